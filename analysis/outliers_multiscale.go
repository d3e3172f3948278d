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
	// Smooth is the number of neighbours over which the per-point maximum
	// is averaged into a region score (the rarity of the item's region);
	// 0 means 10, negative turns it off.
	Smooth int
}

// DefaultMultiScaleOptions are the settings measured in docs/BENCHMARKS.md.
func DefaultMultiScaleOptions() MultiScaleOptions {
	return MultiScaleOptions{SmallK: 10, Scales: []float64{0.02, 0.05}, Smooth: 10}
}

// ScaleScore names one component of a multi-scale score.
type ScaleScore struct {
	K      int           `json:"k"`
	Method OutlierMethod `json:"method"`
}

// MultiScaleResult is the multi-scale outlier ranking.
type MultiScaleResult struct {
	// Scores[i].Score is the larger of point i's local percentile and its
	// region percentile (see MultiScaleOutliers), and Percentile ranks it
	// within the data set; Neighbors are the SmallK nearest.
	Scores []OutlierScore `json:"scores"`
	// Components lists the scores combined; Best[i] is the index of the
	// component that gave point i its largest percentile (the scale it
	// stands out at), and ByRegion[i] tells that the region score, not the
	// point's own, decided its Score.
	Components []ScaleScore `json:"components"`
	Best       []int        `json:"best"`
	ByRegion   []bool       `json:"by_region"`
}

// MultiScaleOutliers is a self-mode outlier score that resists masking.
// Single-scale scores miss a group of similar foreign items (many photos in
// a set of product shots): inside the group every item has close
// neighbours. The components are the mean distance to the SmallK nearest
// (scattered outliers) and LOF at each of Scales·n neighbours (a group
// smaller than the scale is compared with the density of the data around
// it, not with itself). Per point, m(i) is the largest of its component
// percentiles; the region score averages m over i and its Smooth nearest
// neighbours, so a group whose members all stand out somewhat stands out
// together, while one clean point in a sparse place is diluted by its
// clean neighbours. Score = max(local percentile, region percentile).
//
// Caveats: percentiles of a maximum put more clean points in the top tail
// than one score would, so read the ranking, not absolute percentiles; a
// group larger than the largest scale stays masked; a clean point next to
// a group inherits part of its region score; the cost is O(n·K) with K the
// largest scale.
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
	if o.Smooth == 0 {
		o.Smooth = d.Smooth
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
	final := percentiles(small)
	res.ByRegion = make([]bool, n)
	if o.Smooth > 0 {
		region := make([]float64, n)
		for i := range n {
			row := g.Neighbors[i][:min(o.Smooth, len(g.Neighbors[i]))]
			sum := best[i]
			for _, j := range row {
				sum += best[j]
			}
			region[i] = sum / float64(len(row)+1)
		}
		rnull := sortedCopy(region)
		for i, r := range region {
			if p := percentileOf(rnull, r); p > final[i] {
				final[i], res.ByRegion[i] = p, true
			}
		}
	}
	null := sortedCopy(final)
	res.Scores = make([]OutlierScore, n)
	for i := range final {
		res.Scores[i] = OutlierScore{Score: final[i], Percentile: percentileOf(null, final[i]), Neighbors: small[i].Neighbors}
	}
	return res, nil
}

// percentiles lists the scores' percentiles.
func percentiles(sc []OutlierScore) []float64 {
	out := make([]float64, len(sc))
	for i, s := range sc {
		out[i] = s.Percentile
	}
	return out
}
