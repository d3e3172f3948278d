package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/reef-ml/reef/storage"
)

// The filter language. A filter is a JSON object whose keys are field paths
// ("metadata.<field>[.<sub>…]", "object.class", "object.kind") or the
// logical operators "$and", "$or" (lists of filters) and "$not" (a filter);
// all keys of one object must hold. A field's value is
//   - a scalar: equality; a stored list matches when one element is equal,
//     so {"metadata.tags": "review"} selects points tagged "review";
//   - a list: any of (as $in);
//   - an object of operators, all of which must hold: $eq $ne $in $nin
//     $gt $gte $lt $lte $exists $contains.
// Numbers compare as numbers and strings as strings; a comparison between a
// number and a string is false, never an error. $ne and $nin hold for a
// missing field, as in MongoDB. $contains holds for a list holding the value
// or a string holding the substring.

// Limits of one filter, so that a hostile filter costs little to refuse.
const (
	maxFilterDepth  = 16
	maxFilterValues = 10_000 // scalars across the whole filter
)

var filterOps = map[string]bool{"$eq": true, "$ne": true, "$in": true, "$nin": true, "$gt": true, "$gte": true,
	"$lt": true, "$lte": true, "$exists": true, "$contains": true}

// fnode is a compiled filter: a logical node or one test on one field.
type fnode struct {
	op     string   // "$and", "$or", "$not", or a field operator
	kids   []*fnode // for logical nodes
	path   []string // field path below metadata, or ["class"|"kind"] with object
	object bool
	field  string // the request's key, for warnings
	vals   []any  // operands; one for comparisons
}

// fctx is what a filter is evaluated against: a point's decoded metadata
// and, at object level, one of its objects.
type fctx struct {
	meta map[string]any
	obj  *storage.Object
}

type filterCompiler struct {
	level  storage.Level
	values int
	fields []*fnode // every field test, for warnings
}

// compiledFilter is a checked filter.
type compiledFilter struct {
	root   *fnode
	fields []*fnode // every field test, for warnings
	expr   string   // canonical form, for caching
}

// compileFilter checks a filter whole.
func compileFilter(f Filter, level storage.Level) (*compiledFilter, error) {
	c := &filterCompiler{level: level}
	n, err := c.object(map[string]any(f), "filter", 0)
	if err != nil {
		return nil, err
	}
	expr, _ := json.Marshal(f) // map keys marshal sorted: a canonical form
	return &compiledFilter{root: n, fields: c.fields, expr: string(expr)}, nil
}

func (c *filterCompiler) object(m map[string]any, at string, depth int) (*fnode, error) {
	if depth > maxFilterDepth {
		return nil, fieldErr(ErrInvalid, at, "nests deeper than %d levels", maxFilterDepth)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	and := &fnode{op: "$and"}
	for _, k := range keys {
		field := at + "." + k
		var (
			n   *fnode
			err error
		)
		switch k {
		case "$and", "$or":
			n, err = c.list(k, m[k], field, depth)
		case "$not":
			sub, ok := m[k].(map[string]any)
			if !ok {
				return nil, fieldErr(ErrInvalid, field, "must be a filter object")
			}
			var kid *fnode
			if kid, err = c.object(sub, field, depth+1); err == nil {
				n = &fnode{op: "$not", kids: []*fnode{kid}}
			}
		default:
			n, err = c.field(k, m[k], field)
		}
		if err != nil {
			return nil, err
		}
		and.kids = append(and.kids, n)
	}
	return and, nil
}

func (c *filterCompiler) list(op string, v any, at string, depth int) (*fnode, error) {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return nil, fieldErr(ErrInvalid, at, "must be a non-empty list of filter objects")
	}
	n := &fnode{op: op}
	for i, it := range items {
		sub, ok := it.(map[string]any)
		if !ok {
			return nil, fieldErr(ErrInvalid, fmt.Sprintf("%s[%d]", at, i), "must be a filter object")
		}
		kid, err := c.object(sub, fmt.Sprintf("%s[%d]", at, i), depth+1)
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, kid)
	}
	return n, nil
}

// field compiles the tests on one field path.
func (c *filterCompiler) field(key string, v any, at string) (*fnode, error) {
	base := fnode{field: key}
	switch {
	case strings.HasPrefix(key, "metadata.") && len(key) > len("metadata."):
		base.path = strings.Split(strings.TrimPrefix(key, "metadata."), ".")
	case key == "object.class" || key == "object.kind":
		if c.level != storage.LevelObject {
			return nil, fieldErr(ErrInvalid, at, "object filters need \"level\": \"object\"")
		}
		base.object, base.path = true, []string{strings.TrimPrefix(key, "object.")}
	case strings.HasPrefix(key, "$"):
		return nil, fieldErr(ErrInvalid, at, "unknown operator; logical operators are $and, $or and $not")
	default:
		return nil, fieldErr(ErrInvalid, at, "keys must be metadata.<field>, object.class, object.kind or $and, $or, $not")
	}
	ops, isOps := v.(map[string]any)
	if !isOps {
		ops = map[string]any{"$eq": v}
		if _, isList := v.([]any); isList {
			ops = map[string]any{"$in": v}
		}
	}
	if len(ops) == 0 {
		return nil, fieldErr(ErrInvalid, at, "an empty operator object matches nothing")
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	and := &fnode{op: "$and"}
	for _, op := range names {
		n := base
		n.op = op
		vals, err := c.operands(op, ops[op], at+"."+op)
		if err != nil {
			return nil, err
		}
		n.vals = vals
		c.fields = append(c.fields, &n)
		and.kids = append(and.kids, &n)
	}
	return and, nil
}

func (c *filterCompiler) operands(op string, v any, at string) ([]any, error) {
	if !filterOps[op] {
		return nil, fieldErr(ErrInvalid, at, "unknown operator; use $eq $ne $in $nin $gt $gte $lt $lte $exists $contains")
	}
	scalar := func(x any) bool {
		switch x.(type) {
		case string, float64, bool, nil:
			return true
		}
		return false
	}
	switch op {
	case "$in", "$nin":
		items, ok := v.([]any)
		if !ok || len(items) == 0 {
			return nil, fieldErr(ErrInvalid, at, "must be a non-empty list of strings, numbers, booleans or null")
		}
		for i, x := range items {
			if !scalar(x) {
				return nil, fieldErr(ErrInvalid, fmt.Sprintf("%s[%d]", at, i), "must be a string, number, boolean or null")
			}
		}
		if c.values += len(items); c.values > maxFilterValues {
			return nil, fieldErr(ErrTooLarge, at, "the filter holds more than %d values", maxFilterValues)
		}
		return items, nil
	case "$exists":
		if _, ok := v.(bool); !ok {
			return nil, fieldErr(ErrInvalid, at, "must be true or false")
		}
	case "$gt", "$gte", "$lt", "$lte":
		switch v.(type) {
		case float64, string:
		default:
			return nil, fieldErr(ErrInvalid, at, "must be a number or a string")
		}
	default:
		if !scalar(v) {
			return nil, fieldErr(ErrInvalid, at, "must be a string, number, boolean or null")
		}
	}
	if c.values++; c.values > maxFilterValues {
		return nil, fieldErr(ErrTooLarge, at, "the filter holds more than %d values", maxFilterValues)
	}
	return []any{v}, nil
}
