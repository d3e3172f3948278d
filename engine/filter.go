package engine

import (
	"container/list"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/reef-ml/reef/storage"
)

// Filter selects datapoints by metadata, e.g. {"metadata.split": "test"},
// {"metadata.label": ["cat", "dog"]} (any of) or
// {"metadata.score": {"$gte": 0.8}}; at object level "object.class" and
// "object.kind" select boxes too. filterexpr.go defines the language.
type Filter map[string]any

// filterMatch is a filter's answer for one dataset version.
type filterMatch struct {
	set      map[uint64]struct{}
	warnings []string
}

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
	sets    map[filterKey]filterMatch
}

func newFilterCache(max int) filterCache {
	return filterCache{max: max, order: list.New(), entries: map[filterKey]*list.Element{}, sets: map[filterKey]filterMatch{}}
}

func (c *filterCache) get(k filterKey) (filterMatch, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return filterMatch{}, false
	}
	c.order.MoveToFront(el)
	return c.sets[k], true
}

func (c *filterCache) put(k filterKey, m filterMatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	c.entries[k] = c.order.PushFront(k)
	c.sets[k] = m
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(filterKey)
		delete(c.entries, old)
		delete(c.sets, old)
	}
}

// filterSet returns the IIDs at a level that match a filter, and warnings
// for its fields that no point has (a misspelt field matches nothing, and
// the caller should hear why).
func (s *embedded) filterSet(dataset string, level storage.Level, f Filter) (map[uint64]struct{}, []string, error) {
	cf, err := compileFilter(f, level)
	if err != nil {
		return nil, nil, err
	}
	info, err := s.db.Dataset(dataset)
	if err != nil {
		return nil, nil, fromStorage(err)
	}
	key := filterKey{uid: info.UID, seq: info.Seq, level: level, expr: cf.expr}
	if m, ok := s.filters.get(key); ok {
		return m.set, m.warnings, nil
	}
	set := map[uint64]struct{}{}
	seen := map[string]bool{}
	err = s.db.ScanPoints(dataset, nil, func(p *storage.Point) error {
		x := fctx{}
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &x.meta); err != nil {
				return fmt.Errorf("%w: metadata of %q: %v", storage.ErrCorrupt, p.ID, err)
			}
		}
		for _, n := range cf.fields {
			if !n.object && !seen[n.field] {
				_, seen[n.field] = lookup(x.meta, n.path)
			}
		}
		if level == storage.LevelPoint {
			if cf.root.match(x) {
				set[p.IID] = struct{}{}
			}
			return nil
		}
		for i := range p.Objects {
			x.obj = &p.Objects[i]
			if cf.root.match(x) {
				set[x.obj.IID] = struct{}{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fromStorage(err)
	}
	m := filterMatch{set: set, warnings: fieldWarnings(cf, seen)}
	s.filters.put(key, m)
	return m.set, m.warnings, nil
}
