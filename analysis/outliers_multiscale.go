package analysis

import (
	"context"
	"errors"
	"slices"
)

// MultiScaleOptions tune MultiScaleOutliers.
type MultiScaleOptions struct {
	Options
	// SmallK is the neighbourhood of the local score (mean distance), which
	// finds scattered outliers; 0 means 10.
	SmallK int
	// Scales are the neighbourhood sizes of the LOF scores that see past a
	// group, as fractions of the data set size; nil means {0.02, 0.05}. A
	// group of m similar foreign items is only visible at a scale above m,
	// so the largest fraction bounds the group share that can be found.
	// Each scale is cut to the graph's K, which must therefore reach the
	// largest one (allow K up to the data set size for this).
	Scales []float64
}

// DefaultMultiScaleOptions are the settings measured in docs/BENCHMARKS.md.
func DefaultMultiScaleOptions() MultiScaleOptions {
	return MultiScaleOptions{SmallK: 10, Scales: []float64{0.02, 0.05}}
}

// ScaleScore names one component of a multi-scale score.
type ScaleScore struct {
	K      int           `json:"k"`
	Method OutlierMethod `json:"method"`
}

// MultiScaleResult is the multi-scale outlier ranking.
type MultiScaleResult struct {
	// Scores[i].Score is the largest of point i's percentiles over the
	// components, and Percentile ranks that maximum within the data set;
	// Neighbors are the SmallK nearest.
	Scores []OutlierScore `json:"scores"`
	// Components lists the scores combined; Best[i] is the index of the
	// component that gave point i its maximum (the scale it stands out at).
	Components []ScaleScore `json:"components"`
	Best       []int        `json:"best"`
}

// MultiScaleOutliers is a self-mode outlier score that resists masking.
// Single-scale scores miss a group of similar foreign items (many photos in
// a set of product shots): inside the group every item has close
// neighbours. This score takes, per point, the maximum over components of
// its percentile in the data set, where the components are the mean
// distance to the SmallK nearest (scattered outliers) and LOF at each of
// Scales·n neighbours (a group smaller than the scale is compared with the
// density of the data around it, not with itself).
//
// Caveats: percentiles of a maximum over c components put about c times
// more clean points in the top tail than one score would, so read the
// ranking, not absolute percentiles; a group larger than the largest scale
// stays masked; the score costs O(n·K) with K the largest scale.
func MultiScaleOutliers(ctx context.Context, g *Graph, opts MultiScaleOptions) (*MultiScaleResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	o := opts
	d := DefaultMultiScaleOptions()
	if o.SmallK == 0 {
		o.SmallK = d.SmallK
	}
	if o.Scales == nil {
		o.Scales = d.Scales
	}
	var errs []error
	if o.SmallK < 1 {
		errs = append(errs, invalid("small_k %d must be >= 1", o.SmallK))
	}
	for _, s := range o.Scales {
		if !(s > 0 && s <= 1) {
			errs = append(errs, invalid("scale %v not in (0, 1]", s))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n := g.Len()
	comps := []ScaleScore{{K: min(o.SmallK, g.K), Method: MeanDistance}}
	for _, s := range o.Scales {
		k := min(max(int(s*float64(n)+0.5), 1), g.K)
		c := ScaleScore{K: k, Method: LOF}
		if !slices.Contains(comps, c) {
			comps = append(comps, c)
		}
	}
	res := &MultiScaleResult{Components: comps, Best: make([]int, n)}
	best := make([]float64, n)
	var small []OutlierScore
	for ci, c := range comps {
		sc, err := Outliers(ctx, g, OutlierOptions{Options: o.Options, K: c.K, Method: c.Method})
		if err != nil {
			return nil, err
		}
		if ci == 0 {
			small = sc
		}
		for i, s := range sc {
			if ci == 0 || s.Percentile > best[i] {
				best[i], res.Best[i] = s.Percentile, ci
			}
		}
	}
	null := sortedCopy(best)
	res.Scores = make([]OutlierScore, n)
	for i := range best {
		res.Scores[i] = OutlierScore{Score: best[i], Percentile: percentileOf(null, best[i]), Neighbors: small[i].Neighbors}
	}
	return res, nil
}
