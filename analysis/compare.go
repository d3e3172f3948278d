package analysis

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// CompareOptions tune Compare.
type CompareOptions struct {
	Options
	// K is the number of neighbours per point used; 0 means the graph's K.
	K int
	// Permutations is the number of label permutations for the permutation
	// p-value; 0 means 1000, negative means none (PValuePerm is NaN).
	Permutations int
	// Seed makes the permutations reproducible.
	Seed uint64
	// Groups optionally labels each point (class, cluster, ...) for the
	// per-group breakdown; nil skips it.
	Groups []string
	// Alpha is the significance level of the overall test (Significant) and
	// the family-wise level of the group breakdown (Bonferroni); 0 means
	// 0.05.
	Alpha float64
}

// CompareResult is the outcome of the nearest-neighbour two-sample test.
//
// Statistic T is Schilling's: the fraction of all directed k-NN edges whose
// two ends are in the same set. Under H0 (A and B drawn from one distribution)
// labels are exchangeable, so E[T] = (nA(nA-1) + nB(nB-1)) / (N(N-1)) for
// every edge, whatever the set sizes. StdDev is T's exact standard deviation
// under random relabelling, computed from the graph's structure (mutual
// edges, shared endpoints), so Z = (T-E)/StdDev is valid for unequal sizes
// and PValueZ = P(N(0,1) >= Z) is its normal approximation. The test is
// one-sided: differences between A and B raise T.
type CompareResult struct {
	NA, NB int
	K      int
	// Edges is the number of directed neighbour edges used.
	Edges     int
	Statistic float64
	Expected  float64
	StdDev    float64
	Z         float64
	PValueZ   float64
	// PValuePerm is (1 + #{T_perm >= T}) / (1 + Permutations).
	PValuePerm   float64
	Permutations int
	// Effect is (T - E) / (1 - E) clamped to [0, 1]: 0 when sets mix as
	// well as chance allows, 1 when no neighbour ever crosses sets.
	Effect float64
	// SameFracA is the mean same-set neighbour fraction over A's points and
	// ExpectedSameA its H0 value (nA-1)/(N-1); likewise for B. They show
	// which side is "clumping" when sizes are very unequal.
	SameFracA, ExpectedSameA float64
	SameFracB, ExpectedSameB float64
	// OtherFrac[i] is the fraction of point i's neighbours from the other
	// set.
	OtherFrac []float32
	// Coverage[i] is the local density ratio: the other-set neighbour
	// fraction, pooled over i and its same-set neighbours, divided by its H0
	// value (nOther/(N-1)). About 1: the other set is as dense here as
	// expected; near 0: the other set is absent here (a B point not covered
	// by A, or a region of A missing from B); above 1: over-represented.
	Coverage []float32
	// Alpha is the level used, and Significant reports PValuePerm < Alpha
	// (PValueZ < Alpha when permutations are off).
	Alpha       float64
	Significant bool
	// Groups is the per-group breakdown, most significant first.
	Groups []GroupDiff
	// Drivers names the groups whose share changed beyond the complement of
	// the others' (GroupDiff.Driver), largest adjusted change first.
	Drivers []string
}

// Compare runs the nearest-neighbour two-sample test on a k-NN graph over
// the union of sets A and B; isB[i] marks the points of B.
func Compare(ctx context.Context, g *Graph, isB []bool, opts CompareOptions) (*CompareResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := g.Len()
	if len(isB) != n {
		return nil, invalid("isB has %d entries for %d points", len(isB), n)
	}
	if opts.Groups != nil && len(opts.Groups) != n {
		return nil, invalid("groups has %d entries for %d points", len(opts.Groups), n)
	}
	if opts.Alpha < 0 || opts.Alpha >= 1 {
		return nil, invalid("alpha %v not in (0, 1)", opts.Alpha)
	}
	k := opts.K
	if k <= 0 {
		k = g.K
	}
	r := &CompareResult{K: k}
	for _, b := range isB {
		if b {
			r.NB++
		}
	}
	r.NA = n - r.NB
	if r.NA < 2 || r.NB < 2 {
		return nil, invalid("need at least two points in each set (A %d, B %d)", r.NA, r.NB)
	}
	// Flatten the first k edges per point.
	off := make([]int, n+1)
	for i := range n {
		off[i+1] = off[i] + min(k, len(g.Neighbors[i]))
	}
	E := off[n]
	if E == 0 {
		return nil, invalid("graph has no edges")
	}
	r.Edges = E
	dst := make([]int32, E)
	for i := range n {
		copy(dst[off[i]:off[i+1]], g.Neighbors[i])
	}
	same := sameCount(off, dst, isB)
	r.Statistic = float64(same) / float64(E)
	v := edgeVariance(g, off, dst, r.NA, r.NB)
	r.Expected = v.p2
	r.StdDev = math.Sqrt(v.varS) / float64(E)
	if r.StdDev > 0 {
		r.Z = (r.Statistic - r.Expected) / r.StdDev
	}
	r.PValueZ = normalUpper(r.Z)
	r.Effect = min(1, max(0, (r.Statistic-r.Expected)/(1-r.Expected)))

	perms := opts.Permutations
	if perms == 0 {
		perms = 1000
	}
	r.PValuePerm = math.NaN()
	if perms > 0 {
		var ge atomic.Int64
		err := parallelFor(ctx, perms, opts.Options, func(lo, hi int) error {
			labels := make([]bool, n)
			for p := lo; p < hi; p++ {
				copy(labels, isB)
				rng := rand.New(rand.NewPCG(opts.Seed, uint64(p)+1))
				for i := n - 1; i > 0; i-- {
					j := rng.IntN(i + 1)
					labels[i], labels[j] = labels[j], labels[i]
				}
				if sameCount(off, dst, labels) >= same {
					ge.Add(1)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.Permutations = perms
		r.PValuePerm = float64(1+ge.Load()) / float64(1+perms)
	}

	// Per-point and per-set mixing.
	N := float64(n)
	r.ExpectedSameA = float64(r.NA-1) / (N - 1)
	r.ExpectedSameB = float64(r.NB-1) / (N - 1)
	r.OtherFrac = make([]float32, n)
	other := make([]int, n)
	var sumA, sumB float64
	for i := range n {
		deg := off[i+1] - off[i]
		for _, j := range dst[off[i]:off[i+1]] {
			if isB[j] != isB[i] {
				other[i]++
			}
		}
		if deg > 0 {
			f := float64(other[i]) / float64(deg)
			r.OtherFrac[i] = float32(f)
			if isB[i] {
				sumB += 1 - f
			} else {
				sumA += 1 - f
			}
		}
	}
	r.SameFracA, r.SameFracB = sumA/float64(r.NA), sumB/float64(r.NB)
	r.Coverage = make([]float32, n)
	for i := range n {
		o, d := other[i], off[i+1]-off[i]
		for _, j := range dst[off[i]:off[i+1]] {
			if isB[j] == isB[i] {
				o += other[j]
				d += off[j+1] - off[j]
			}
		}
		exp := float64(r.NB) / (N - 1)
		if isB[i] {
			exp = float64(r.NA) / (N - 1)
		}
		if d > 0 {
			r.Coverage[i] = float32(float64(o) / float64(d) / exp)
		} else {
			r.Coverage[i] = float32(math.NaN())
		}
	}
	r.Alpha = opts.Alpha
	if r.Alpha == 0 {
		r.Alpha = 0.05
	}
	if perms > 0 {
		r.Significant = r.PValuePerm < r.Alpha
	} else {
		r.Significant = r.PValueZ < r.Alpha
	}
	if opts.Groups != nil {
		r.Groups, r.Drivers = groupBreakdown(opts.Groups, isB, r, r.Alpha)
	}
	return r, nil
}

func sameCount(off []int, dst []int32, isB []bool) int {
	s := 0
	for i := range len(off) - 1 {
		bi := isB[i]
		for _, j := range dst[off[i]:off[i+1]] {
			if isB[j] == bi {
				s++
			}
		}
	}
	return s
}

type edgeVar struct{ p2, varS float64 }

// edgeVariance is Var(S) for S = number of same-label directed edges when
// nA labels A and nB labels B are assigned at random. Ordered edge pairs
// fall into three classes by how many endpoints they share (two: the same
// edge or its reverse; one; none), each with its own joint probability of
// both edges being monochromatic.
func edgeVariance(g *Graph, off []int, dst []int32, nA, nB int) edgeVar {
	n := len(off) - 1
	a, b, N := float64(nA), float64(nB), float64(nA+nB)
	p2 := (a*(a-1) + b*(b-1)) / (N * (N - 1))
	p3 := (a*(a-1)*(a-2) + b*(b-1)*(b-2)) / (N * (N - 1) * (N - 2))
	p4 := (a*(a-1)*(a-2)*(a-3) + b*(b-1)*(b-2)*(b-3) + 2*a*(a-1)*b*(b-1)) /
		(N * (N - 1) * (N - 2) * (N - 3))
	deg := make([]float64, n)
	mutual := 0.0
	for i := range n {
		for _, j := range dst[off[i]:off[i+1]] {
			deg[i]++
			deg[j]++
			if int(j) > i && hasEdge(dst[off[j]:off[j+1]], int32(i)) {
				mutual++
			}
		}
	}
	E := float64(off[n])
	var sumDeg2 float64
	for _, d := range deg {
		sumDeg2 += d * (d - 1)
	}
	c2 := E + 2*mutual
	c1 := sumDeg2 - 4*mutual
	c0 := E*E - c2 - c1
	v := c2*(p2-p2*p2) + c1*(p3-p2*p2) + c0*(p4-p2*p2)
	return edgeVar{p2: p2, varS: max(v, 0)}
}

func hasEdge(row []int32, j int32) bool {
	for _, x := range row {
		if x == j {
			return true
		}
	}
	return false
}

// normalUpper is P(Z >= z) for a standard normal Z.
func normalUpper(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
