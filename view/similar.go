package view

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/vec"
)

// ViewSimilarRequest asks for rows like the positives and unlike the
// negatives.
type ViewSimilarRequest struct {
	ViewRef
	Positive []int `json:"positive"`
	Negative []int `json:"negative,omitempty"`
	// K caps the results other than the selection: 100 by default, or the
	// engine's MaxK with MaxDistance.
	K int `json:"k,omitempty"`
	// MaxDistance keeps only rows at most this far from the query (the
	// metric's distance, as in hits); the search widens until it passes
	// it, so k is a cap, not the number looked at.
	MaxDistance *float64 `json:"max_distance,omitempty"`
	// IncludeSelection puts the positive rows first in the hits (with
	// their own distance to the query); otherwise they are left out.
	IncludeSelection bool `json:"include_selection,omitempty"`
}

// ViewSimilarResult is ViewHits with what the request's bounds did.
type ViewSimilarResult struct {
	ViewHits
	// Selection is how many leading hits are the positive rows
	// (include_selection); the rest are the similar rows.
	Selection int `json:"selection"`
	// Capped says k stopped the results while every one was within
	// max_distance: more rows may lie within it.
	Capped bool `json:"capped,omitempty"`
}

// distance is the metric's distance as the index reports it.
func distance(m index.Metric, a, b []float32) float32 {
	switch m {
	case index.Cosine:
		return vec.CosineDistance(a, b)
	case index.Dot:
		return -vec.Dot(a, b)
	}
	return float32(math.Sqrt(float64(vec.L2Sq(a, b))))
}

func (e *Viewer) checkSimilar(req *ViewSimilarRequest) error {
	maxK := e.eng.Limits().MaxK
	if req.K == 0 {
		req.K = 100
		if req.MaxDistance != nil {
			req.K = maxK
		}
	}
	if req.K < 1 || req.K > maxK {
		return engine.FieldErr(engine.ErrInvalid, "k", "must be between 1 and %d, got %d", maxK, req.K)
	}
	if d := req.MaxDistance; d != nil && (math.IsNaN(*d) || math.IsInf(*d, 0)) {
		return engine.FieldErr(engine.ErrInvalid, "max_distance", "must be a finite number")
	}
	if len(req.Positive) == 0 {
		return engine.FieldErr(engine.ErrInvalid, "positive", "needs at least one row")
	}
	if len(req.Positive)+len(req.Negative) > maxViewRows {
		return engine.FieldErr(engine.ErrTooLarge, "positive", "%d rows, limit %d per request", len(req.Positive)+len(req.Negative), maxViewRows)
	}
	return nil
}

// ViewSimilar finds rows near the Rocchio query (analysis.RocchioVector)
// of the positive and negative rows; the given rows are never among the similar ones (the
// positives come first with IncludeSelection).
func (e *Viewer) ViewSimilar(ctx context.Context, dataset string, req ViewSimilarRequest) (ViewSimilarResult, error) {
	start := time.Now()
	if err := e.checkSimilar(&req); err != nil {
		return ViewSimilarResult{}, err
	}
	vr, err := e.viewRows(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	defer vr.unlock()
	seen := map[int]string{}
	if err := vr.checkRows("positive", req.Positive, seen); err != nil {
		return ViewSimilarResult{}, err
	}
	if err := vr.checkRows("negative", req.Negative, seen); err != nil {
		return ViewSimilarResult{}, err
	}
	posVecs, err := e.rowsVectors(vr, req.Positive)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	negVecs, err := e.rowsVectors(vr, req.Negative)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	live := func(vs [][]float32) [][]float32 {
		return slices.DeleteFunc(slices.Clone(vs), func(v []float32) bool { return v == nil })
	}
	pos, neg := live(posVecs), live(negVecs)
	if len(pos) == 0 {
		return ViewSimilarResult{}, engine.FieldErr(engine.ErrNotFound, "positive", "the rows were deleted")
	}
	sp, err := e.eng.Space(dataset, req.Space)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	q, err := analysis.RocchioVector(analysis.MultiQuery{Positives: pos, Negatives: neg, Metric: sp.Metric})
	if err != nil {
		return ViewSimilarResult{}, engine.FieldErr(engine.ErrInvalid, "positive", "%v", err)
	}
	if err := engine.CheckVector("positive", q, sp.Info.Dim, sp.Metric); err != nil {
		return ViewSimilarResult{}, engine.FieldErr(engine.ErrInvalid, "negative", "the query (positives minus negatives) is not a usable vector: %v", err)
	}
	skip := make(map[int]bool, len(seen))
	for r := range seen {
		skip[r] = true
	}
	rows, dists, capped, err := e.searchWithin(ctx, vr, q, req.K, req.MaxDistance, skip)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	out := ViewSimilarResult{}
	if req.IncludeSelection {
		var selRows []int
		var selDists []float32
		for i, v := range posVecs {
			if v != nil {
				selRows = append(selRows, req.Positive[i])
				selDists = append(selDists, distance(sp.Metric, q, v))
			}
		}
		rows, dists = append(selRows, rows...), append(selDists, dists...)
		out.Selection = len(selRows)
	}
	hits, err := e.hitsLocked(ctx, vr, rows, dists)
	if err != nil {
		return ViewSimilarResult{}, err
	}
	out.ViewHits = ViewHits{Generation: vr.gen(), Hits: hits, TookMs: msSince(start)}
	out.Capped = capped
	return out, nil
}

// searchWithin is searchRowsLocked for k rows, or with maxDist for the
// rows within it (at most k): the search widens ×4 until its farthest hit
// is beyond maxDist, the index has no more, or k is reached. capped says
// k stopped it with every hit still within maxDist.
func (e *Viewer) searchWithin(ctx context.Context, vr viewRows, q []float32, k int, maxDist *float64, skip map[int]bool) ([]int, []float32, bool, error) {
	if maxDist == nil {
		rows, dists, err := e.searchRowsLocked(ctx, vr, q, k, skip)
		return rows, dists, false, err
	}
	probe := min(k, 256)
	for {
		rows, dists, err := e.searchRowsLocked(ctx, vr, q, probe, skip)
		if err != nil {
			return nil, nil, false, err
		}
		// Distances are float32: a distance the page was shown (and sends
		// back) must keep its own row.
		lim := float32(*maxDist)
		n := 0
		for n < len(dists) && dists[n] <= lim {
			n++
		}
		if n < len(rows) || len(rows) < probe || probe >= k {
			return rows[:n], dists[:n], n == k, nil
		}
		probe = min(k, 4*probe)
	}
}
