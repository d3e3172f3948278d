package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reef-ml/reef/index"
)

func (vs *viewState) checkRow(field string, row int) error {
	if row < 0 || row >= len(vs.iids) {
		return fieldErr(ErrInvalid, field, "row %d is out of range [0, %d)", row, len(vs.iids))
	}
	return nil
}

// hitsLocked resolves rows to what they stand for.
func (e *Engine) hitsLocked(vs *viewState, rows []int, dists []float32) ([]ViewHit, error) {
	res, err := e.db.Resolve(vs.dataset, vs.iidsOf(rows))
	if err != nil {
		return nil, fromStorage(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.PointID
	}
	has, err := e.db.HasThumbnails(vs.dataset, ids)
	if err != nil {
		return nil, fromStorage(err)
	}
	out := make([]ViewHit, 0, len(rows))
	for i, r := range res {
		if r.PointID == "" {
			continue
		}
		h := ViewHit{Row: rows[i], ID: r.PointID, ObjectID: r.ObjectID, URI: r.URI, Metadata: r.Metadata,
			X: vs.coords[rows[i]][0], Y: vs.coords[rows[i]][1]}
		if dists != nil {
			d := dists[i]
			h.Distance = &d
		}
		if r.Object != nil {
			bbox := r.Object.BBox
			h.Kind, h.Class, h.BBox = r.Object.Kind, r.Object.Class, &bbox
		}
		if has[i] {
			h.Thumbnail = ThumbnailURL(vs.dataset, r.PointID)
		}
		out = append(out, h)
	}
	return out, nil
}

// ViewRow describes one row.
func (e *Engine) ViewRow(ctx context.Context, dataset string, ref ViewRef, row int) (ViewHit, error) {
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewHit{}, err
	}
	defer vs.mu.Unlock()
	if err := vs.checkRow("row", row); err != nil {
		return ViewHit{}, err
	}
	hits, err := e.hitsLocked(vs, []int{row}, nil)
	if err != nil {
		return ViewHit{}, err
	}
	if len(hits) == 0 {
		return ViewHit{}, fieldErr(ErrNotFound, "row", "row %d was deleted", row)
	}
	return hits[0], nil
}

// searchRowsLocked runs a k-NN query and maps hits to rows, leaving out
// the rows in skip.
func (e *Engine) searchRowsLocked(ctx context.Context, vs *viewState, q []float32, k int, skip map[int]bool) ([]int, []float32, error) {
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return nil, nil, err
	}
	hits, err := sp.level(vs.level).Search(ctx, q, k+len(skip), index.SearchOptions{Ef: max(64, 2*(k+len(skip)))})
	if err != nil {
		return nil, nil, err
	}
	var rows []int
	var dists []float32
	for _, h := range hits {
		r, ok := vs.rowOf[h.ID]
		if !ok || skip[int(r)] {
			continue
		}
		rows, dists = append(rows, int(r)), append(dists, h.Distance)
		if len(rows) == k {
			break
		}
	}
	return rows, dists, nil
}

// ViewNeighbors returns the k nearest rows of a row (itself left out).
func (e *Engine) ViewNeighbors(ctx context.Context, dataset string, ref ViewRef, row, k int) (ViewHits, error) {
	start := time.Now()
	if k == 0 {
		k = 12
	}
	if k < 1 || k > 1000 {
		return ViewHits{}, fieldErr(ErrInvalid, "k", "must be between 1 and 1000, got %d", k)
	}
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewHits{}, err
	}
	defer vs.mu.Unlock()
	if err := vs.checkRow("row", row); err != nil {
		return ViewHits{}, err
	}
	q, err := e.db.Vector(vs.dataset, vs.space, vs.level, vs.iids[row])
	if err != nil {
		return ViewHits{}, fromStorage(err)
	}
	rows, dists, err := e.searchRowsLocked(ctx, vs, q, k, map[int]bool{row: true})
	if err != nil {
		return ViewHits{}, err
	}
	self, err := e.hitsLocked(vs, []int{row}, nil)
	if err != nil {
		return ViewHits{}, err
	}
	hits, err := e.hitsLocked(vs, rows, dists)
	if err != nil {
		return ViewHits{}, err
	}
	out := ViewHits{Generation: vs.gen, Hits: hits, TookMs: msSince(start)}
	if len(self) == 1 {
		out.Query = &self[0]
	}
	return out, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// ViewSimilarRequest asks for rows like the positives and unlike the
// negatives.
type ViewSimilarRequest struct {
	ViewRef
	Positive []int `json:"positive"`
	Negative []int `json:"negative,omitempty"`
	K        int   `json:"k,omitempty"`
}

func (vs *viewState) checkRows(field string, rows []int, seen map[int]string) error {
	for i, r := range rows {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := vs.checkRow(f, r); err != nil {
			return err
		}
		if prev, dup := seen[r]; dup {
			return fieldErr(ErrInvalid, f, "row %d repeats %s", r, prev)
		}
		seen[r] = f
	}
	return nil
}

// RocchioQuery is mean(positive) − 0.5·mean(negative), normalised under
// cosine (each input vector normalised first).
func RocchioQuery(pos, neg [][]float32, cosine bool) []float32 {
	dim := len(pos[0])
	q := make([]float64, dim)
	add := func(vs [][]float32, w float64) {
		for _, v := range vs {
			if cosine {
				v = normalized(v)
			}
			for j, x := range v {
				q[j] += w * float64(x)
			}
		}
	}
	add(pos, 1/float64(len(pos)))
	if len(neg) > 0 {
		add(neg, -0.5/float64(len(neg)))
	}
	out := make([]float32, dim)
	for j, x := range q {
		out[j] = float32(x)
	}
	if cosine {
		out = normalized(out)
	}
	return out
}

// ViewSimilar finds rows near the Rocchio query of the positive and
// negative rows, leaving them out of the results.
func (e *Engine) ViewSimilar(ctx context.Context, dataset string, req ViewSimilarRequest) (ViewHits, error) {
	start := time.Now()
	if req.K == 0 {
		req.K = 100
	}
	if req.K < 1 || req.K > e.opts.Limits.MaxK {
		return ViewHits{}, fieldErr(ErrInvalid, "k", "must be between 1 and %d, got %d", e.opts.Limits.MaxK, req.K)
	}
	if len(req.Positive) == 0 {
		return ViewHits{}, fieldErr(ErrInvalid, "positive", "needs at least one row")
	}
	if len(req.Positive)+len(req.Negative) > maxViewRows {
		return ViewHits{}, fieldErr(ErrTooLarge, "positive", "%d rows, limit %d per request", len(req.Positive)+len(req.Negative), maxViewRows)
	}
	vs, err := e.view(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewHits{}, err
	}
	defer vs.mu.Unlock()
	seen := map[int]string{}
	if err := vs.checkRows("positive", req.Positive, seen); err != nil {
		return ViewHits{}, err
	}
	if err := vs.checkRows("negative", req.Negative, seen); err != nil {
		return ViewHits{}, err
	}
	load := func(rows []int) ([][]float32, error) {
		vecs, err := e.rowVectors(vs, rows)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(vecs, func(v []float32) bool { return v == nil }), nil
	}
	pos, err := load(req.Positive)
	if err != nil {
		return ViewHits{}, err
	}
	neg, err := load(req.Negative)
	if err != nil {
		return ViewHits{}, err
	}
	if len(pos) == 0 {
		return ViewHits{}, fieldErr(ErrNotFound, "positive", "the rows were deleted")
	}
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return ViewHits{}, err
	}
	q := RocchioQuery(pos, neg, sp.metric == index.Cosine)
	if err := checkVector("positive", q, sp.info.Dim, sp.metric); err != nil {
		return ViewHits{}, fieldErr(ErrInvalid, "negative", "the query (positives minus negatives) is not a usable vector: %v", err)
	}
	skip := make(map[int]bool, len(seen))
	for r := range seen {
		skip[r] = true
	}
	rows, dists, err := e.searchRowsLocked(ctx, vs, q, req.K, skip)
	if err != nil {
		return ViewHits{}, err
	}
	hits, err := e.hitsLocked(vs, rows, dists)
	if err != nil {
		return ViewHits{}, err
	}
	return ViewHits{Generation: vs.gen, Hits: hits, TookMs: msSince(start)}, nil
}
