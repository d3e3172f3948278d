package view

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// hitsLocked resolves rows to what they stand for: the point (and object),
// its thumbnail (at object level the crop of the box, when there is one,
// and the whole image's), its audio, and with an overlay its dataset.
func (e *Viewer) hitsLocked(ctx context.Context, vr viewRows, rows []int, dists []float32) ([]ViewHit, error) {
	out := make([]ViewHit, len(rows))
	keep := make([]bool, len(rows))
	// One resolve per dataset.
	byDS := map[string][]int{}
	var order []string
	for i, r := range rows {
		ds, _ := vr.at(r)
		if _, ok := byDS[ds]; !ok {
			order = append(order, ds)
		}
		byDS[ds] = append(byDS[ds], i)
	}
	for _, ds := range order {
		which := byDS[ds]
		iids := make([]uint64, len(which))
		for j, i := range which {
			_, iids[j] = vr.at(rows[i])
		}
		res, err := e.eng.DB().Resolve(ds, iids)
		if err != nil {
			return nil, engine.FromStorage(err)
		}
		ids := make([]string, len(res))
		for j, r := range res {
			ids[j] = r.PointID
		}
		media := e.opts.Media
		has, err := e.eng.DB().HasThumbnails(ds, ids)
		if err != nil {
			return nil, engine.FromStorage(err)
		}
		hasPreview, err := e.eng.DB().HasBlobs(storage.BlobPreview, ds, ids)
		if err != nil {
			return nil, engine.FromStorage(err)
		}
		for j, r := range res {
			if r.PointID == "" {
				continue
			}
			i := which[j]
			c := vr.coord(rows[i])
			h := ViewHit{Row: rows[i], ID: r.PointID, ObjectID: r.ObjectID, URI: r.URI, Metadata: r.Metadata, X: c[0], Y: c[1]}
			if vr.ov != nil {
				h.Dataset = ds
			}
			if dists != nil {
				d := dists[i]
				h.Distance = &d
			}
			switch {
			case r.Object != nil:
				bbox := r.Object.BBox
				h.Kind, h.Class, h.BBox = r.Object.Kind, r.Object.Class, &bbox
				if media != nil && media.CropSource(ds, r.PointID, r.Object) != "" {
					h.Thumbnail = ObjectThumbnailURL(ds, r.PointID, r.ObjectID)
				}
				if has[j] {
					h.ImageThumbnail = ThumbnailURL(ds, r.PointID)
				}
			case has[j]:
				h.Thumbnail = ThumbnailURL(ds, r.PointID)
			}
			if hasPreview[j] {
				h.ImageURL = ImageURL(ds, r.PointID)
			}
			if h.ImageSize, err = e.imageSize(ds, r.PointID, has[j]); err != nil {
				return nil, err
			}
			if media != nil && media.HasAudio(ctx, ds, r.PointID) {
				h.AudioURL = AudioURL(ds, r.PointID)
			}
			out[i], keep[i] = h, true
		}
	}
	hits := out[:0]
	for i := range out {
		if keep[i] {
			hits = append(hits, out[i])
		}
	}
	return hits, nil
}

// ViewRow describes one row.
func (e *Viewer) ViewRow(ctx context.Context, dataset string, ref ViewRef, row int) (ViewHit, error) {
	vr, err := e.viewRows(ctx, dataset, ref)
	if err != nil {
		return ViewHit{}, err
	}
	defer vr.unlock()
	if err := vr.checkRow("row", row); err != nil {
		return ViewHit{}, err
	}
	hits, err := e.hitsLocked(ctx, vr, []int{row}, nil)
	if err != nil {
		return ViewHit{}, err
	}
	if len(hits) == 0 {
		return ViewHit{}, engine.FieldErr(engine.ErrNotFound, "row", "row %d was deleted", row)
	}
	return hits[0], nil
}

// searchRowsLocked runs a k-NN query and maps hits to rows, leaving out
// the rows in skip. With an overlay both datasets are searched and the
// hits merged, nearest first.
func (e *Viewer) searchRowsLocked(ctx context.Context, vr viewRows, q []float32, k int, skip map[int]bool) ([]int, []float32, error) {
	vs := vr.vs
	type part struct {
		dataset string
		rowOf   map[uint64]int32
		offset  int
	}
	parts := []part{{vs.dataset, vs.rowOf, 0}}
	if vr.ov != nil {
		parts = append(parts, part{vr.ov.dataset, vr.ov.rowOf, len(vs.iids)})
	}
	type hit struct {
		row  int
		dist float32
	}
	var all []hit
	for _, p := range parts {
		sp, err := e.eng.Space(p.dataset, vs.space)
		if err != nil {
			return nil, nil, err
		}
		hits, err := sp.Index(vs.level).Search(ctx, q, k+len(skip), index.SearchOptions{Ef: max(64, 2*(k+len(skip)))})
		if err != nil {
			return nil, nil, err
		}
		for _, h := range hits {
			if r, ok := p.rowOf[h.ID]; ok && !skip[p.offset+int(r)] {
				all = append(all, hit{p.offset + int(r), h.Distance})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b hit) int { return cmp.Compare(a.dist, b.dist) })
	all = all[:min(k, len(all))]
	rows := make([]int, len(all))
	dists := make([]float32, len(all))
	for i, h := range all {
		rows[i], dists[i] = h.row, h.dist
	}
	return rows, dists, nil
}

// rowsVectors reads the vectors of rows (nil for a row deleted since the
// view was refreshed), of either dataset; vr is locked.
func (e *Viewer) rowsVectors(vr viewRows, rows []int) ([][]float32, error) {
	out := make([][]float32, len(rows))
	byDS := map[string][]int{}
	for i, r := range rows {
		ds, _ := vr.at(r)
		byDS[ds] = append(byDS[ds], i)
	}
	for ds, which := range byDS {
		iids := make([]uint64, len(which))
		for j, i := range which {
			_, iids[j] = vr.at(rows[i])
		}
		vecs, err := e.eng.DB().Vectors(ds, vr.vs.space, vr.vs.level, iids)
		if err != nil {
			return nil, engine.FromStorage(err)
		}
		for j, i := range which {
			out[i] = vecs[j]
		}
	}
	return out, nil
}

// ViewNeighbors returns the k nearest rows of a row (itself left out); with
// an overlay, from both datasets.
func (e *Viewer) ViewNeighbors(ctx context.Context, dataset string, ref ViewRef, row, k int) (ViewHits, error) {
	start := time.Now()
	if k == 0 {
		k = 12
	}
	if k < 1 || k > 1000 {
		return ViewHits{}, engine.FieldErr(engine.ErrInvalid, "k", "must be between 1 and 1000, got %d", k)
	}
	vr, err := e.viewRows(ctx, dataset, ref)
	if err != nil {
		return ViewHits{}, err
	}
	defer vr.unlock()
	if err := vr.checkRow("row", row); err != nil {
		return ViewHits{}, err
	}
	ds, iid := vr.at(row)
	q, err := e.eng.DB().Vector(ds, vr.vs.space, vr.vs.level, iid)
	if err != nil {
		return ViewHits{}, engine.FromStorage(err)
	}
	rows, dists, err := e.searchRowsLocked(ctx, vr, q, k, map[int]bool{row: true})
	if err != nil {
		return ViewHits{}, err
	}
	self, err := e.hitsLocked(ctx, vr, []int{row}, nil)
	if err != nil {
		return ViewHits{}, err
	}
	hits, err := e.hitsLocked(ctx, vr, rows, dists)
	if err != nil {
		return ViewHits{}, err
	}
	out := ViewHits{Generation: vr.gen(), Hits: hits, TookMs: msSince(start)}
	if len(self) == 1 {
		out.Query = &self[0]
	}
	return out, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
