package analysis

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
)

// RegionOptions tune FailureRegions.
type RegionOptions struct {
	Options
	// K is the neighbourhood size of the graph scan; 0 means the graph's K.
	K int
	// Clusters, when set, gives a cluster per point (-1: none) and the
	// clusters are tested instead of graph neighbourhoods.
	Clusters []int
	// Alpha is the false discovery rate (Benjamini–Hochberg); 0 means 0.05.
	Alpha float64
	// MinSize drops smaller regions; 0 means 10.
	MinSize int
	// MinCover is how many significant neighbourhoods of a graph-scan
	// region must contain a point for it to be a member (a significant
	// point itself is always one); 0 means 3. 1 takes the whole union,
	// which overshoots the region's boundary by up to K points per seed.
	MinCover int
	// Examples is how many medoids each region returns; 0 means 5.
	Examples int
	// Metadata maps a field name to one value per point ("" for none); each
	// region reports its dominant value per field.
	Metadata map[string][]string
}

// DefaultRegionOptions are the settings used in the tests.
func DefaultRegionOptions() RegionOptions {
	return RegionOptions{Alpha: 0.05, MinSize: 10, MinCover: 3, Examples: 5}
}

// Region is a part of the data set where failures are over-represented.
type Region struct {
	// Members are point indices, ascending.
	Members  []int `json:"members"`
	Failures int   `json:"failures"`
	// Rate is Failures/len(Members) and Lift is Rate over the overall rate.
	Rate float64 `json:"rate"`
	Lift float64 `json:"lift"`
	// Excess is Failures minus the number expected at the overall rate: the
	// ranking key, which weighs lift by size.
	Excess float64 `json:"excess"`
	// QValue is the smallest BH-adjusted p-value of the tests (neighbourhoods
	// or cluster) that formed the region; PValue is the binomial p-value of
	// the whole region, which is descriptive only (the region was selected
	// on the same data).
	QValue float64 `json:"q_value"`
	PValue float64 `json:"p_value"`
	// Medoids are the members with the most neighbours inside the region.
	Medoids []int `json:"medoids"`
	// Dominant holds, per metadata field, its three most frequent values.
	Dominant []DominantValue `json:"dominant"`
}

// DominantValue is the commonest value of a field inside a region, its
// share there and its share in the whole data set.
type DominantValue struct {
	Field        string  `json:"field"`
	Value        string  `json:"value"`
	Share        float64 `json:"share"`
	OverallShare float64 `json:"overall_share"`
}

// RegionResult lists the regions, highest Excess first.
type RegionResult struct {
	OverallRate float64  `json:"overall_rate"`
	Tests       int      `json:"tests"`
	Regions     []Region `json:"regions"`
}

// FailureRegions finds where failed points (an evaluation outcome, a wrong
// prediction, a loss above a threshold: see FailedAbove) concentrate.
//
// Graph scan (default): every point's neighbourhood (itself and its first K
// neighbours) is tested for a failure rate above the overall rate p0 with a
// one-sided binomial test; the p-values are adjusted by Benjamini–Hochberg
// over all n tests and neighbourhoods with q ≤ Alpha are significant.
// Significant points whose neighbourhoods contain each other are merged;
// a region's members are its significant points and the points at least
// MinCover of its significant neighbourhoods contain. With Clusters, each cluster
// is one test and each significant cluster one region.
//
// Caveats: overlapping neighbourhoods make the graph-scan tests dependent
// (positively, as BH tolerates), and the merged region's PValue is
// post-selection; QValue is the figure that carries the FDR guarantee.
// Members include non-failing points: a region is a part of the space, not
// a list of failures.
func FailureRegions(ctx context.Context, g *Graph, failed []bool, opts RegionOptions) (*RegionResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := g.Len()
	o, err := opts.withDefaults(n, len(failed))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, f := range failed {
		if f {
			total++
		}
	}
	res := &RegionResult{OverallRate: ratio(total, n)}
	if total == 0 || total == n {
		return res, nil
	}
	var groups [][]int
	var qs []float64
	if o.Clusters != nil {
		groups, qs, res.Tests = clusterTests(o.Clusters, failed, res.OverallRate, o.Alpha)
	} else {
		groups, qs, res.Tests, err = scanTests(ctx, g, failed, res.OverallRate, o)
		if err != nil {
			return nil, err
		}
	}
	for gi, members := range groups {
		if len(members) < o.MinSize {
			continue
		}
		res.Regions = append(res.Regions, describeRegion(g, members, qs[gi], failed, res.OverallRate, o))
	}
	slices.SortFunc(res.Regions, func(a, b Region) int {
		if c := cmp.Compare(b.Excess, a.Excess); c != 0 {
			return c
		}
		return cmp.Compare(a.Members[0], b.Members[0])
	})
	return res, nil
}

func (o RegionOptions) withDefaults(n, nFailed int) (RegionOptions, error) {
	d := DefaultRegionOptions()
	if o.Alpha == 0 {
		o.Alpha = d.Alpha
	}
	if o.MinSize == 0 {
		o.MinSize = d.MinSize
	}
	if o.Examples == 0 {
		o.Examples = d.Examples
	}
	if o.MinCover == 0 {
		o.MinCover = d.MinCover
	}
	var errs []error
	if nFailed != n {
		errs = append(errs, invalid("%d outcomes for %d points", nFailed, n))
	}
	if o.Clusters != nil && len(o.Clusters) != n {
		errs = append(errs, invalid("%d clusters for %d points", len(o.Clusters), n))
	}
	if !(o.Alpha > 0 && o.Alpha < 1) || o.MinSize < 1 || o.MinCover < 1 || o.Examples < 0 || o.K < 0 {
		errs = append(errs, invalid("alpha %v must be in (0, 1), min_size and min_cover >= 1, examples and k >= 0", o.Alpha))
	}
	for f, vs := range o.Metadata {
		if len(vs) != n {
			errs = append(errs, invalid("metadata field %q has %d values for %d points", f, len(vs), n))
		}
	}
	return o, errors.Join(errs...)
}

// FailedAbove turns a per-point value (a loss, an error, 1 − IoU) into
// failures: value > threshold. NaN counts as not failed.
func FailedAbove(values []float64, threshold float64) []bool {
	out := make([]bool, len(values))
	for i, v := range values {
		out[i] = !math.IsNaN(v) && v > threshold
	}
	return out
}
