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
	// Examples is how many medoids each region returns; 0 means 5.
	Examples int
	// Metadata maps a field name to one value per point ("" for none); each
	// region reports its dominant value per field.
	Metadata map[string][]string
}

// DefaultRegionOptions are the settings used in the tests.
func DefaultRegionOptions() RegionOptions {
	return RegionOptions{Alpha: 0.05, MinSize: 10, Examples: 5}
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
	// Dominant holds, per metadata field, the most frequent value.
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
// Significant points whose neighbourhoods contain each other are merged, and
// a region is the union of its neighbourhoods. With Clusters, each cluster
// is one test and each significant cluster one region.
//
// Caveats: overlapping neighbourhoods make the graph-scan tests dependent
// (positively, as BH tolerates), and the merged region's PValue is
// post-selection; QValue is the figure that carries the FDR guarantee. A
// region's members include the non-failing points of its neighbourhoods.
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
	var errs []error
	if nFailed != n {
		errs = append(errs, invalid("%d outcomes for %d points", nFailed, n))
	}
	if o.Clusters != nil && len(o.Clusters) != n {
		errs = append(errs, invalid("%d clusters for %d points", len(o.Clusters), n))
	}
	if !(o.Alpha > 0 && o.Alpha < 1) || o.MinSize < 1 || o.Examples < 0 || o.K < 0 {
		errs = append(errs, invalid("alpha %v must be in (0, 1), min_size >= 1, examples and k >= 0", o.Alpha))
	}
	for f, vs := range o.Metadata {
		if len(vs) != n {
			errs = append(errs, invalid("metadata field %q has %d values for %d points", f, len(vs), n))
		}
	}
	return o, errors.Join(errs...)
}

func clusterTests(clusters []int, failed []bool, p0, alpha float64) ([][]int, []float64, int) {
	byID := map[int][]int{}
	for i, c := range clusters {
		if c >= 0 {
			byID[c] = append(byID[c], i)
		}
	}
	ids := make([]int, 0, len(byID))
	for c := range byID {
		ids = append(ids, c)
	}
	slices.Sort(ids)
	p := make([]float64, len(ids))
	for t, c := range ids {
		p[t] = BinomialUpper(countTrue(failed, byID[c]), len(byID[c]), p0)
	}
	q := BenjaminiHochberg(p)
	var groups [][]int
	var qs []float64
	for t, c := range ids {
		if q[t] <= alpha {
			groups, qs = append(groups, byID[c]), append(qs, q[t])
		}
	}
	return groups, qs, len(ids)
}

func countTrue(failed []bool, members []int) int {
	f := 0
	for _, i := range members {
		if failed[i] {
			f++
		}
	}
	return f
}

func scanTests(ctx context.Context, g *Graph, failed []bool, p0 float64, o RegionOptions) ([][]int, []float64, int, error) {
	n := g.Len()
	k := o.K
	if k <= 0 {
		k = g.K
	}
	hood := func(i int) []int32 { return g.Neighbors[i][:min(k, len(g.Neighbors[i]))] }
	p := make([]float64, n)
	err := parallelFor(ctx, n, o.Options, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			f := 0
			if failed[i] {
				f = 1
			}
			for _, j := range hood(i) {
				if failed[j] {
					f++
				}
			}
			p[i] = BinomialUpper(f, len(hood(i))+1, p0)
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	q := BenjaminiHochberg(p)
	sig := func(i int) bool { return q[i] <= o.Alpha }
	uf := newUnionFind(n)
	for i := range n {
		if sig(i) {
			for _, j := range hood(i) {
				if sig(int(j)) {
					uf.union(int32(i), j)
				}
			}
		}
	}
	root := map[int32]int{}
	var groups []map[int]bool
	var qs []float64
	for i := range n {
		if !sig(i) {
			continue
		}
		r := uf.find(int32(i))
		gi, ok := root[r]
		if !ok {
			gi = len(groups)
			root[r] = gi
			groups, qs = append(groups, map[int]bool{}), append(qs, 1)
		}
		groups[gi][i] = true
		for _, j := range hood(i) {
			groups[gi][int(j)] = true
		}
		qs[gi] = min(qs[gi], q[i])
	}
	out := make([][]int, len(groups))
	for gi, m := range groups {
		for i := range m {
			out[gi] = append(out[gi], i)
		}
		slices.Sort(out[gi])
	}
	return out, qs, n, nil
}

func describeRegion(g *Graph, members []int, q float64, failed []bool, p0 float64, o RegionOptions) Region {
	f := countTrue(failed, members)
	r := Region{Members: members, Failures: f, QValue: q}
	r.Rate = float64(f) / float64(len(members))
	r.Lift = r.Rate / p0
	r.Excess = float64(f) - p0*float64(len(members))
	r.PValue = BinomialUpper(f, len(members), p0)
	in := make(map[int32]bool, len(members))
	for _, i := range members {
		in[int32(i)] = true
	}
	deg := make([]int, len(members))
	for t, i := range members {
		for _, j := range g.Neighbors[i] {
			if in[j] {
				deg[t]++
			}
		}
	}
	order := make([]int, len(members))
	for t := range order {
		order[t] = t
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(deg[b], deg[a]) })
	for _, t := range order[:min(o.Examples, len(order))] {
		r.Medoids = append(r.Medoids, members[t])
	}
	r.Dominant = dominantValues(members, o.Metadata)
	return r
}

// dominantValues gives, per field (sorted by name), the commonest non-empty
// value among members; ties go to the lexically smaller value.
func dominantValues(members []int, meta map[string][]string) []DominantValue {
	fields := make([]string, 0, len(meta))
	for f := range meta {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	var out []DominantValue
	for _, f := range fields {
		vs := meta[f]
		cnt := map[string]int{}
		for _, i := range members {
			if vs[i] != "" {
				cnt[vs[i]]++
			}
		}
		best, bc := "", 0
		for v, c := range cnt {
			if c > bc || (c == bc && v < best) {
				best, bc = v, c
			}
		}
		if bc == 0 {
			continue
		}
		all := 0
		for _, v := range vs {
			if v == best {
				all++
			}
		}
		out = append(out, DominantValue{Field: f, Value: best, Share: float64(bc) / float64(len(members)),
			OverallShare: float64(all) / float64(len(vs))})
	}
	return out
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
