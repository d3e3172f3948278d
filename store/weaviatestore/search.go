package weaviatestore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/weaviate"
)

// Search is Weaviate's k-NN in the space's named vector with the filter
// pushed down. Weaviate has no per-query ef (q.Ef is not passed) and
// searches exhaustively below its flat-search cutoff, so Exact is a plain
// search there.
func (s *Store) Search(ctx context.Context, q engine.StoreQuery) (engine.StoreHits, error) {
	if q.Level != storage.LevelPoint {
		return engine.StoreHits{}, fmt.Errorf("%w: the weaviate store has no object level yet", storage.ErrInvalid)
	}
	if _, err := s.space(ctx, q.Dataset, q.Space); err != nil {
		return engine.StoreHits{}, err
	}
	var out engine.StoreHits
	var wf weaviate.Filter
	if len(q.Filter) > 0 {
		props, err := s.c.Properties(ctx, collection(q.Dataset))
		if err != nil {
			return out, mapErr(err)
		}
		tree, err := engine.ParseFilter(q.Filter, q.Level)
		if err != nil {
			return out, err
		}
		t := translator{props: props, missing: map[string]bool{}}
		c, err := t.node(tree)
		if err != nil {
			return out, err
		}
		wf = weaviate.Filter{c}
		for f := range t.missing {
			out.Warnings = append(out.Warnings, fmt.Sprintf("no point has field %q", f))
		}
		sort.Strings(out.Warnings)
	}
	hits, err := s.c.Search(ctx, collection(q.Dataset), vectorName(q.Space), q.Vector, q.K, wf)
	if err != nil {
		return out, mapErr(err)
	}
	out.Hits = make([]index.Hit, len(hits))
	for i, h := range hits {
		d := h.Distance
		if q.Metric == index.L2 { // Weaviate's l2 is squared
			d = float32(math.Sqrt(float64(max(d, 0))))
		}
		out.Hits[i] = index.Hit{ID: iidOf(h.ID), Distance: d}
	}
	return out, nil
}

// translator maps reef's filter tree onto Weaviate conditions. Fields
// the collection has no property for match as a missing field does (only
// $ne, $nin and $exists: false hold) and are reported as warnings.
type translator struct {
	props   map[string]string
	missing map[string]bool
}

var errUnsupported = errors.New("not supported by the weaviate store")

// never and always are conditions that hold for no object and for every
// one: reef ids are never empty.
func never() weaviate.Cond  { return weaviate.Eq(weaviate.IDProperty, "") }
func always() weaviate.Cond { return weaviate.Not(weaviate.Filter{never()}) }

func (t *translator) node(n engine.FilterNode) (weaviate.Cond, error) {
	switch n.Op {
	case "$and", "$or":
		subs := make([]weaviate.Filter, 0, len(n.Kids))
		for _, k := range n.Kids {
			c, err := t.node(k)
			if err != nil {
				return weaviate.Cond{}, err
			}
			subs = append(subs, weaviate.Filter{c})
		}
		if n.Op == "$or" {
			return weaviate.Or(subs...), nil
		}
		var all weaviate.Filter
		for _, f := range subs {
			all = append(all, f...)
		}
		if len(all) == 1 {
			return all[0], nil
		}
		return weaviate.Or(all), nil // a one-way Or is the conjunction
	case "$not":
		c, err := t.node(n.Kids[0])
		return weaviate.Not(weaviate.Filter{c}), err
	}
	return t.field(n)
}

func (t *translator) field(n engine.FilterNode) (weaviate.Cond, error) {
	if n.Object || len(n.Path) != 1 {
		return weaviate.Cond{}, fmt.Errorf("%w: filter %q: only top-level metadata keys are %v", storage.ErrInvalid, n.Field, errUnsupported)
	}
	prop := metaProperty(n.Path[0])
	typ, ok := t.props[prop]
	if prop == "" || !ok {
		t.missing[n.Field] = true
		switch n.Op {
		case "$ne", "$nin":
			return always(), nil
		case "$exists":
			if b, _ := n.Vals[0].(bool); !b {
				return always(), nil
			}
		}
		return never(), nil
	}
	// A value of another type than the property never matches (reef's
	// rule for comparing a number with a string), and is never sent.
	fits := func(v any) bool {
		switch v.(type) {
		case string:
			return typ == "text"
		case float64:
			return typ == "number" || typ == "int"
		case bool:
			return typ == "boolean"
		}
		return false
	}
	cmp := map[string]weaviate.Op{"$gt": weaviate.OpGreater, "$gte": weaviate.OpGreaterEqual, "$lt": weaviate.OpLess, "$lte": weaviate.OpLessEqual}
	switch n.Op {
	case "$eq", "$ne":
		c := never()
		if fits(n.Vals[0]) {
			c = weaviate.Eq(prop, n.Vals[0])
		}
		if n.Op == "$ne" {
			return weaviate.Not(weaviate.Filter{c}), nil
		}
		return c, nil
	case "$in", "$nin":
		var vs []any
		for _, v := range n.Vals {
			if fits(v) {
				vs = append(vs, v)
			}
		}
		c := never()
		if len(vs) > 0 {
			c = weaviate.AnyOf(prop, vs...)
		}
		if n.Op == "$nin" {
			return weaviate.Not(weaviate.Filter{c}), nil
		}
		return c, nil
	case "$gt", "$gte", "$lt", "$lte":
		v := n.Vals[0]
		if !fits(v) || typ == "boolean" {
			return never(), nil
		}
		return weaviate.Cond{Property: prop, Op: cmp[n.Op], Value: v}, nil
	case "$exists":
		present := weaviate.Cond{Property: prop, Op: weaviate.OpIsNull, Value: false}
		if b, _ := n.Vals[0].(bool); b {
			return present, nil
		}
		return weaviate.Not(weaviate.Filter{present}), nil
	case "$contains":
		v, ok := n.Vals[0].(string)
		if !ok || typ != "text" {
			return never(), nil
		}
		return weaviate.Cond{Property: prop, Op: weaviate.OpLike, Value: "*" + strings.NewReplacer("*", "?", "?", "?").Replace(v) + "*"}, nil
	}
	return weaviate.Cond{}, fmt.Errorf("%w: filter %q: %s is %v", storage.ErrInvalid, n.Field, n.Op, errUnsupported)
}
