package understand

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// RowRef names a row of an analysis: the point, and the object for
// object-level spaces.
type RowRef struct {
	Dataset  string          `json:"dataset,omitempty"`
	ID       string          `json:"id"`
	ObjectID string          `json:"object_id,omitempty"`
	Class    string          `json:"class,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// refs resolves rows to their points in one read transaction.
func (e *Analyzer) refs(rows *engine.Rows, which []int, withMeta bool) ([]RowRef, error) {
	iids := make([]uint64, len(which))
	for i, r := range which {
		iids[i] = rows.IIDs[r]
	}
	res, err := e.eng.DB().Resolve(rows.Dataset, iids)
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	out := make([]RowRef, len(res))
	for i, r := range res {
		out[i] = RowRef{ID: r.PointID, ObjectID: r.ObjectID}
		if r.Object != nil {
			out[i].Class = r.Object.Class
		}
		if withMeta {
			out[i].Metadata = r.Metadata
		}
	}
	return out, nil
}

// groupValues returns each row's value of a metadata field ("" if absent),
// or, at object level, of "object.class".
func (e *Analyzer) groupValues(rows *engine.Rows, field string) ([]string, error) {
	all := make([]int, len(rows.IIDs))
	for i := range all {
		all[i] = i
	}
	refs, err := e.refs(rows, all, field != "object.class")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		if field == "object.class" {
			out[i] = r.Class
			continue
		}
		var m map[string]any
		if len(r.Metadata) > 0 && json.Unmarshal(r.Metadata, &m) == nil {
			if v, ok := m[field]; ok && v != nil {
				out[i] = fmt.Sprint(v)
			}
		}
	}
	return out, nil
}

// jointGraph builds the k-NN graph over A's rows followed by B's rows, by
// searching both indexes for every point and merging: no joint index needed.
func (e *Analyzer) jointGraph(ctx context.Context, a, b *engine.Rows, idxA, idxB index.Index, k int) (*analysis.Graph, error) {
	rowA, rowB := a.RowOf(), b.RowOf()
	nA := len(a.IIDs)
	vec := func(i int) []float32 {
		if i < nA {
			return a.Vectors[i]
		}
		return b.Vectors[i-nA]
	}
	search := func(i, kk int) ([]analysis.Neighbor, error) {
		var out []analysis.Neighbor
		for side, idx := range []index.Index{idxA, idxB} {
			hits, err := idx.Search(ctx, vec(i), kk, index.SearchOptions{Ef: graphEf(kk)})
			if err != nil {
				return nil, err
			}
			for _, h := range hits {
				if side == 0 {
					if r, ok := rowA[h.ID]; ok {
						out = append(out, analysis.Neighbor{Index: r, Distance: finiteDistance(h.Distance)})
					}
				} else if r, ok := rowB[h.ID]; ok {
					out = append(out, analysis.Neighbor{Index: r + int32(nA), Distance: finiteDistance(h.Distance)})
				}
			}
		}
		sort.Slice(out, func(x, y int) bool { return out[x].Distance < out[y].Distance })
		return out, nil
	}
	return analysis.BuildGraph(ctx, nA+len(b.IIDs), k, search, analysis.Options{Workers: e.eng.Workers()})
}

// writeMetadataFields sets fields in the metadata of the given rows' points
// (point level only) in one metadata update: all rows or none, and other
// keys written meanwhile are kept.
func (e *Analyzer) writeMetadataFields(ctx context.Context, rows *engine.Rows, fields func(row int) map[string]any) error {
	if rows.Level != storage.LevelPoint {
		return engine.FieldErr(engine.ErrInvalid, "write_metadata", "only point-level results can be written to metadata")
	}
	which := make([]int, len(rows.IIDs))
	for r := range which {
		which[r] = r
	}
	refs, err := e.refs(rows, which, false)
	if err != nil {
		return err
	}
	byID := make(map[string]map[string]json.RawMessage, len(refs))
	ids := make([]string, 0, len(refs))
	for i, ref := range refs {
		if ref.ID == "" {
			continue
		}
		set := map[string]json.RawMessage{}
		for k, v := range fields(which[i]) {
			if set[k], err = json.Marshal(v); err != nil {
				return fmt.Errorf("write_metadata %q: %w", k, err)
			}
		}
		byID[ref.ID] = set
		ids = append(ids, ref.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err = e.eng.UpdateMetadata(ctx, rows.Dataset, engine.MetadataUpdate{IDs: ids, SkipMissing: true,
		Edit: func(id string, m map[string]json.RawMessage) (bool, error) {
			changed := false
			for k, v := range byID[id] {
				if string(m[k]) != string(v) {
					m[k], changed = v, true
				}
			}
			return changed, nil
		}})
	return err
}
