package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/reef-ml/reef/storage"
)

// MetadataUpdate edits the metadata of points and nothing else: vectors,
// uri and objects are never touched. It selects points by IDs or by Filter
// (exactly one; an empty filter selects every point), then sets keys, unsets
// keys and, for Go callers, runs Edit — all on the metadata read inside the
// single write transaction, so concurrent updates of different keys of the
// same point never lose one another.
type MetadataUpdate struct {
	IDs    []string                   `json:"ids,omitempty"`
	Filter Filter                     `json:"filter,omitempty"`
	Set    map[string]json.RawMessage `json:"set,omitempty"`
	Unset  []string                   `json:"unset,omitempty"`
	// Edit runs after Set and Unset on each selected point's metadata (keys
	// to raw JSON values; the map may be changed in place) and reports
	// whether it changed anything. It must not call back into the engine.
	Edit func(id string, meta map[string]json.RawMessage) (changed bool, err error) `json:"-"`
	// SkipMissing ignores ids that do not exist (for callers whose ids may
	// have been deleted meanwhile); otherwise one fails the whole update.
	SkipMissing bool `json:"-"`
}

// MetadataResult acknowledges a metadata update.
type MetadataResult struct {
	Matched int    `json:"matched"` // points selected
	Changed int    `json:"changed"` // points whose metadata changed
	Seq     uint64 `json:"seq,omitempty"`
	// Warnings name filter fields no point has.
	Warnings []string `json:"warnings,omitempty"`
}

// UpdateMetadata applies a MetadataUpdate in one transaction: it is applied
// to every selected point or to none.
func (e *Engine) UpdateMetadata(ctx context.Context, dataset string, u MetadataUpdate) (MetadataResult, error) {
	st, err := e.dataset(dataset)
	if err != nil {
		return MetadataResult{}, err
	}
	set, err := e.checkMetadataUpdate(&u)
	if err != nil {
		return MetadataResult{}, err
	}
	var cf *compiledFilter
	if u.Filter != nil {
		if cf, err = compileFilter(u.Filter, storage.LevelPoint); err != nil {
			return MetadataResult{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return MetadataResult{}, err
	}
	var res MetadataResult
	seen := map[string]bool{}
	limit := e.opts.Limits.MaxMetadataBytes
	edit := func(p *storage.Point) (json.RawMessage, bool, error) {
		m := map[string]json.RawMessage{}
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &m); err != nil {
				return nil, false, fmt.Errorf("%w: metadata of %q: %v", storage.ErrCorrupt, p.ID, err)
			}
		}
		if cf != nil {
			ok, err := matchRaw(cf, m, seen)
			if err != nil || !ok {
				return nil, false, err
			}
		}
		res.Matched++
		changed := applySetUnset(m, set, u.Unset)
		if u.Edit != nil {
			c, err := u.Edit(p.ID, m)
			if err != nil {
				return nil, false, fieldErr(ErrInvalid, "ids", "point %q: %v", p.ID, err)
			}
			changed = changed || c
		}
		if !changed {
			return nil, false, nil
		}
		raw, err := marshalMetadata(m)
		if err != nil {
			return nil, false, err
		}
		if len(raw) > limit {
			return nil, false, fieldErr(ErrTooLarge, "set", "point %q: metadata would be %d bytes, limit %d", p.ID, len(raw), limit)
		}
		return raw, true, nil
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if cur, err := e.dataset(dataset); err != nil || cur != st {
		return MetadataResult{}, fieldErr(ErrNotFound, "dataset", "dataset %q was deleted", dataset)
	}
	ids := u.IDs
	if cf != nil {
		ids = nil // every point, filtered inside the transaction
	}
	seq, changed, err := e.store.EditMetadata(ctx, dataset, ids, u.SkipMissing, edit)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return MetadataResult{}, fe
		}
		return MetadataResult{}, fromStorage(err)
	}
	res.Changed, res.Seq = changed, seq
	if cf != nil {
		res.Warnings = fieldWarnings(cf, seen)
	}
	return res, nil
}

// checkMetadataUpdate validates an update whole and returns Set with its
// values compacted.
func (e *Engine) checkMetadataUpdate(u *MetadataUpdate) (map[string]json.RawMessage, error) {
	switch {
	case u.IDs == nil && u.Filter == nil:
		return nil, fieldErr(ErrInvalid, "ids", "give ids or filter (an empty filter selects every point)")
	case u.IDs != nil && u.Filter != nil:
		return nil, fieldErr(ErrInvalid, "filter", "give ids or filter, not both")
	case len(u.Set) == 0 && len(u.Unset) == 0 && u.Edit == nil:
		return nil, fieldErr(ErrInvalid, "set", "give set or unset")
	}
	for i, id := range u.IDs {
		if err := e.checkID(fmt.Sprintf("ids[%d]", i), id); err != nil {
			return nil, err
		}
	}
	set := make(map[string]json.RawMessage, len(u.Set))
	keys := make([]string, 0, len(u.Set))
	for k := range u.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	for _, k := range keys {
		if err := e.checkID("set", k); err != nil {
			return nil, fieldErr(ErrInvalid, "set", "key %q: %v", k, err)
		}
		v := u.Set[k]
		if len(v) > e.opts.Limits.MaxMetadataBytes {
			return nil, fieldErr(ErrTooLarge, "set."+k, "is %d bytes, limit %d", len(v), e.opts.Limits.MaxMetadataBytes)
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fieldErr(ErrInvalid, "set."+k, "is not a JSON value")
		}
		set[k], _ = json.Marshal(x)
	}
	for i, k := range u.Unset {
		if err := e.checkID(fmt.Sprintf("unset[%d]", i), k); err != nil {
			return nil, err
		}
		if _, both := set[k]; both {
			return nil, fieldErr(ErrInvalid, fmt.Sprintf("unset[%d]", i), "key %q is also in set", k)
		}
	}
	return set, nil
}

func applySetUnset(m, set map[string]json.RawMessage, unset []string) bool {
	changed := false
	for k, v := range set {
		if old, ok := m[k]; !ok || string(old) != string(v) {
			m[k], changed = v, true
		}
	}
	for _, k := range unset {
		if _, ok := m[k]; ok {
			delete(m, k)
			changed = true
		}
	}
	return changed
}

// matchRaw evaluates a point-level filter on raw metadata and records which
// of its fields the point has.
func matchRaw(cf *compiledFilter, m map[string]json.RawMessage, seen map[string]bool) (bool, error) {
	x := fctx{meta: make(map[string]any, len(m))}
	for k, v := range m {
		var d any
		if err := json.Unmarshal(v, &d); err != nil {
			return false, fmt.Errorf("%w: metadata key %q: %v", storage.ErrCorrupt, k, err)
		}
		x.meta[k] = d
	}
	for _, n := range cf.fields {
		if !seen[n.field] {
			_, seen[n.field] = lookup(x.meta, n.path)
		}
	}
	return cf.root.match(x), nil
}

// marshalMetadata writes metadata with sorted keys; no metadata is nil.
func marshalMetadata(m map[string]json.RawMessage) (json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m) // encoding/json sorts map keys
}
