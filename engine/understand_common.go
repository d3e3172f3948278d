package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/reef-ml/reef/analysis"
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
func (e *Engine) refs(rows *Rows, which []int, withMeta bool) ([]RowRef, error) {
	iids := make([]uint64, len(which))
	for i, r := range which {
		iids[i] = rows.IIDs[r]
	}
	res, err := e.db.Resolve(rows.Dataset, iids)
	if err != nil {
		return nil, fromStorage(err)
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

// sameSpace is the provenance guard: analyses across datasets need the same
// space definition (dim, metric, model and version).
func (e *Engine) sameSpace(a, b string, space string) error {
	_, sa, err := e.space(a, space)
	if err != nil {
		return err
	}
	_, sb, err := e.space(b, space)
	if err != nil {
		return err
	}
	x, y := sa.info, sb.info
	if x.Dim != y.Dim || x.Metric != y.Metric || x.Provenance != y.Provenance || x.ModelVersion != y.ModelVersion {
		return fieldErr(ErrIncompatible, "space", "space %q differs between %q (%d-d %s, %s %s) and %q (%d-d %s, %s %s): vectors from different models cannot be compared",
			space, a, x.Dim, x.Metric, x.Provenance, x.ModelVersion, b, y.Dim, y.Metric, y.Provenance, y.ModelVersion)
	}
	return nil
}

// groupValues returns each row's value of a metadata field ("" if absent),
// or, at object level, of "object.class".
func (e *Engine) groupValues(rows *Rows, field string) ([]string, error) {
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
func (e *Engine) jointGraph(ctx context.Context, a, b *Rows, idxA, idxB index.Index, k int) (*analysis.Graph, error) {
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
	return analysis.BuildGraph(ctx, nA+len(b.IIDs), k, search, analysis.Options{Workers: e.workers()})
}

// writeMetadataFields merges fields into the metadata of the given rows'
// points (point level only), in batches.
func (e *Engine) writeMetadataFields(ctx context.Context, rows *Rows, fields func(row int) map[string]any) error {
	if rows.Level != storage.LevelPoint {
		return fieldErr(ErrInvalid, "write_metadata", "only point-level results can be written to metadata")
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
		pts := make([]PointInput, 0, len(refs))
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
			pts = append(pts, PointInput{ID: ref.ID, Metadata: raw})
		}
		if len(pts) == 0 {
			continue
		}
		if _, err := e.write(ctx, rows.Dataset, pts, true); err != nil {
			return err
		}
	}
	return nil
}
