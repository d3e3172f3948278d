package engine

import (
	"container/list"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/reef-ml/reef/storage"
)

// Filter selects datapoints by metadata: {"metadata.split": "test"} or
// {"metadata.label": ["cat", "dog"]} (any of). At object level the keys
// "object.class" and "object.kind" select boxes too. All keys must match.
type Filter map[string]any

type filterKey struct {
	uid   string
	seq   uint64
	level storage.Level
	expr  string
}

// filterCache keeps the id sets of recent filters, valid for one dataset
// version (its seq), so repeated filtered searches scan metadata once.
type filterCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of filterKey, most recent first; guarded by mu
	entries map[filterKey]*list.Element
	sets    map[filterKey]map[uint64]struct{}
}

func newFilterCache(max int) filterCache {
	return filterCache{max: max, order: list.New(), entries: map[filterKey]*list.Element{}, sets: map[filterKey]map[uint64]struct{}{}}
}

func (c *filterCache) get(k filterKey) (map[uint64]struct{}, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return c.sets[k], true
}

func (c *filterCache) put(k filterKey, set map[uint64]struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	c.entries[k] = c.order.PushFront(k)
	c.sets[k] = set
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(filterKey)
		delete(c.entries, old)
		delete(c.sets, old)
	}
}

type condition struct {
	path   []string // below metadata, or ["object", "class"|"kind"]
	object bool
	want   []any // JSON-decoded values; any of
}

func compileFilter(f Filter, level storage.Level) ([]condition, string, error) {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conds []condition
	for _, k := range keys {
		field := "filter." + k
		var c condition
		switch {
		case strings.HasPrefix(k, "metadata.") && len(k) > len("metadata."):
			c.path = strings.Split(strings.TrimPrefix(k, "metadata."), ".")
		case k == "object.class" || k == "object.kind":
			if level != storage.LevelObject {
				return nil, "", fieldErr(ErrInvalid, field, "object filters need \"level\": \"object\"")
			}
			c.object, c.path = true, []string{strings.TrimPrefix(k, "object.")}
		default:
			return nil, "", fieldErr(ErrInvalid, field, "keys must be metadata.<field>, object.class or object.kind")
		}
		switch v := f[k].(type) {
		case []any:
			if len(v) == 0 {
				return nil, "", fieldErr(ErrInvalid, field, "empty list matches nothing")
			}
			c.want = v
		case string, float64, bool, nil:
			c.want = []any{v}
		default:
			return nil, "", fieldErr(ErrInvalid, field, "must be a string, number, boolean, null or a list of them")
		}
		conds = append(conds, c)
	}
	expr, _ := json.Marshal(f) // map keys marshal sorted: a canonical form
	return conds, string(expr), nil
}

func lookup(meta map[string]any, path []string) (any, bool) {
	var cur any = meta
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func matchesAny(v any, want []any) bool {
	for _, w := range want {
		if fmt.Sprint(v) == fmt.Sprint(w) && sameKind(v, w) {
			return true
		}
	}
	return false
}

func sameKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case float64:
		_, ok := b.(float64)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	}
	return a == nil && b == nil
}

// filterSet returns the IIDs at a level that match every condition.
func (e *Engine) filterSet(st *datasetState, level storage.Level, f Filter) (map[uint64]struct{}, error) {
	conds, expr, err := compileFilter(f, level)
	if err != nil {
		return nil, err
	}
	info, err := e.db.Dataset(st.info.Name)
	if err != nil {
		return nil, fromStorage(err)
	}
	key := filterKey{uid: info.UID, seq: info.Seq, level: level, expr: expr}
	if set, ok := e.filters.get(key); ok {
		return set, nil
	}
	set := map[uint64]struct{}{}
	err = e.db.ScanPoints(st.info.Name, nil, func(p *storage.Point) error {
		var meta map[string]any
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &meta); err != nil {
				return fmt.Errorf("%w: metadata of %q: %v", storage.ErrCorrupt, p.ID, err)
			}
		}
		for _, c := range conds {
			if c.object {
				continue
			}
			v, ok := lookup(meta, c.path)
			if !ok || !matchesAny(v, c.want) {
				return nil
			}
		}
		if level == storage.LevelPoint {
			set[p.IID] = struct{}{}
			return nil
		}
	objects:
		for _, o := range p.Objects {
			for _, c := range conds {
				if !c.object {
					continue
				}
				v := o.Class
				if c.path[0] == "kind" {
					v = o.Kind
				}
				if !matchesAny(v, c.want) {
					continue objects
				}
			}
			set[o.IID] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	e.filters.put(key, set)
	return set, nil
}
