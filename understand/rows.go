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
			hits, err := idx.Search(ctx, vec(i), kk, index.SearchOptions{Ef: engine.GraphEf(kk)})
			if err != nil {
				return nil, err
			}
			for _, h := range hits {
				if side == 0 {
					if r, ok := rowA[h.ID]; ok {
						out = append(out, analysis.Neighbor{Index: r, Distance: h.Distance})
					}
				} else if r, ok := rowB[h.ID]; ok {
					out = append(out, analysis.Neighbor{Index: r + int32(nA), Distance: h.Distance})
				}
			}
		}
		sort.Slice(out, func(x, y int) bool { return out[x].Distance < out[y].Distance })
		return out, nil
	}
	return analysis.BuildGraph(ctx, nA+len(b.IIDs), k, search, analysis.Options{Workers: e.eng.Workers()})
}

// writeMetadataFields merges fields into the metadata of the given rows'
// points (point level only), in batches.
func (e *Analyzer) writeMetadataFields(ctx context.Context, rows *engine.Rows, fields func(row int) map[string]any) error {
	if rows.Level != storage.LevelPoint {
		return engine.FieldErr(engine.ErrInvalid, "write_metadata", "only point-level results can be written to metadata")
	}
	const chunk = 2048
	for lo := 0; lo < len(rows.IIDs); lo += chunk {
		hi := min(lo+chunk, len(rows.IIDs))
		which := make([]int, 0, hi-lo)
		for r := lo; r < hi; r++ {
			which = append(which, r)
		}
		refs, err := e.refs(rows, which, true)
		if err != nil {
			return err
		}
		pts := make([]engine.PointInput, 0, len(refs))
		for i, ref := range refs {
			if ref.ID == "" {
				continue
			}
			m := map[string]any{}
			if len(ref.Metadata) > 0 {
				if err := json.Unmarshal(ref.Metadata, &m); err != nil {
					return err
				}
			}
			for k, v := range fields(which[i]) {
				m[k] = v
			}
			raw, _ := json.Marshal(m)
			pts = append(pts, engine.PointInput{ID: ref.ID, Metadata: raw})
		}
		if len(pts) == 0 {
			continue
		}
		if _, err := e.eng.UpsertMerge(ctx, rows.Dataset, pts); err != nil {
			return err
		}
	}
	return nil
}
