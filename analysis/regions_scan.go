package analysis

import (
	"cmp"
	"context"
	"slices"
)

// The tests behind FailureRegions: one per cluster, or one per graph
// neighbourhood merged into regions, and the description of a region.

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
	var groups []map[int]int
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
			groups, qs = append(groups, map[int]int{}), append(qs, 1)
		}
		groups[gi][i] += o.MinCover
		for _, j := range hood(i) {
			groups[gi][int(j)]++
		}
		qs[gi] = min(qs[gi], q[i])
	}
	out := make([][]int, len(groups))
	for gi, m := range groups {
		for i, c := range m {
			if c >= o.MinCover {
				out[gi] = append(out[gi], i)
			}
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

// dominantValues gives, per field (sorted by name), the three commonest
// non-empty values among members, commonest first (ties: lexically
// smaller value first).
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
		vals := make([]string, 0, len(cnt))
		for v := range cnt {
			vals = append(vals, v)
		}
		slices.SortFunc(vals, func(a, b string) int {
			if c := cmp.Compare(cnt[b], cnt[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for _, v := range vals[:min(3, len(vals))] {
			all := 0
			for _, x := range vs {
				if x == v {
					all++
				}
			}
			out = append(out, DominantValue{Field: f, Value: v, Share: float64(cnt[v]) / float64(len(members)),
				OverallShare: float64(all) / float64(len(vs))})
		}
	}
	return out
}
