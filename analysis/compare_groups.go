package analysis

import (
	"cmp"
	"math"
	"slices"

	"github.com/reef-ml/reef/index"
)

// GroupDiff compares one group's presence in A and B.
//
// The test: if A and B come from one distribution, then among the c = CountA
// + CountB members of a group, CountB is hypergeometric with mean
// c·nB/N and variance c·(nB/N)·(nA/N)·(N−c)/(N−1). Z is the standardised
// difference (positive: over-represented in B), PValue its two-sided normal
// tail multiplied by the number of groups (Bonferroni, capped at 1), and
// Significant compares PValue with CompareOptions.Alpha.
type GroupDiff struct {
	Group          string
	CountA, CountB int
	// ShareA and ShareB are the group's fraction of A and of B.
	ShareA, ShareB float64
	// ExpectedB is CountB's H0 mean.
	ExpectedB   float64
	Z           float64
	PValue      float64
	Significant bool
	// MeanCoverageA is the mean Coverage of the group's A points (how well
	// B covers them) and MeanCoverageB that of its B points (how well A
	// covers them); NaN when the group has no point in that set.
	MeanCoverageA, MeanCoverageB float64
}

func groupBreakdown(groups []string, isB []bool, r *CompareResult, alpha float64) []GroupDiff {
	if alpha <= 0 {
		alpha = 0.05
	}
	type acc struct {
		ca, cb     int
		covA, covB float64
	}
	byName := map[string]*acc{}
	for i, gname := range groups {
		a := byName[gname]
		if a == nil {
			a = &acc{}
			byName[gname] = a
		}
		c := float64(r.Coverage[i])
		if isB[i] {
			a.cb++
			if !math.IsNaN(c) {
				a.covB += c
			}
		} else {
			a.ca++
			if !math.IsNaN(c) {
				a.covA += c
			}
		}
	}
	nA, nB := float64(r.NA), float64(r.NB)
	N := nA + nB
	out := make([]GroupDiff, 0, len(byName))
	for name, a := range byName {
		c := float64(a.ca + a.cb)
		d := GroupDiff{
			Group: name, CountA: a.ca, CountB: a.cb,
			ShareA: float64(a.ca) / nA, ShareB: float64(a.cb) / nB,
			ExpectedB:     c * nB / N,
			MeanCoverageA: math.NaN(), MeanCoverageB: math.NaN(),
		}
		if a.ca > 0 {
			d.MeanCoverageA = a.covA / float64(a.ca)
		}
		if a.cb > 0 {
			d.MeanCoverageB = a.covB / float64(a.cb)
		}
		v := c * (nB / N) * (nA / N) * (N - c) / (N - 1)
		d.PValue = 1
		if v > 0 {
			d.Z = (float64(a.cb) - d.ExpectedB) / math.Sqrt(v)
			d.PValue = min(1, math.Erfc(math.Abs(d.Z)/math.Sqrt2)*float64(len(byName)))
		}
		d.Significant = d.PValue < alpha
		out = append(out, d)
	}
	slices.SortFunc(out, func(x, y GroupDiff) int {
		if c := cmp.Compare(math.Abs(y.Z), math.Abs(x.Z)); c != 0 {
			return c
		}
		return cmp.Compare(x.Group, y.Group)
	})
	return out
}

// Uncovered returns the points of one set whose Coverage is below
// threshold, least covered first: with ofB true, points of B that A does not
// cover (new in B); with ofB false, points of A in regions B lacks.
func (r *CompareResult) Uncovered(isB []bool, ofB bool, threshold float64) []int {
	var out []int
	for i, c := range r.Coverage {
		if i < len(isB) && isB[i] == ofB && float64(c) < threshold {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(x, y int) int { return cmp.Compare(r.Coverage[x], r.Coverage[y]) })
	return out
}

// CentroidDistance is the distance between the means of a and b under
// metric. Under Cosine the vectors are normalised first and the result is
// 1 - cos between the two mean directions; under Dot it is -dot of the
// means.
func CentroidDistance(a, b [][]float32, metric index.Metric) (float64, error) {
	if len(a) == 0 || len(b) == 0 {
		return 0, invalid("CentroidDistance needs two non-empty sets")
	}
	da, err := checkVectors(a, metric)
	if err != nil {
		return 0, err
	}
	db, err := checkVectors(b, metric)
	if err != nil {
		return 0, err
	}
	if da != db {
		return 0, invalid("dimension mismatch %d vs %d", da, db)
	}
	ca, cb := mean64(a, metric == index.Cosine), mean64(b, metric == index.Cosine)
	var dot, na, nb, sq float64
	for i := range ca {
		dot += ca[i] * cb[i]
		na += ca[i] * ca[i]
		nb += cb[i] * cb[i]
		sq += (ca[i] - cb[i]) * (ca[i] - cb[i])
	}
	switch metric {
	case index.L2:
		return math.Sqrt(sq), nil
	case index.Dot:
		return -dot, nil
	case index.Cosine:
		if na == 0 || nb == 0 {
			return 1, nil
		}
		return 1 - dot/math.Sqrt(na*nb), nil
	}
	return 0, invalid("unknown metric %d", uint8(metric))
}

func mean64(vs [][]float32, unit bool) []float64 {
	m := make([]float64, len(vs[0]))
	for _, v := range vs {
		s := 1.0
		if unit {
			var sq float64
			for _, x := range v {
				sq += float64(x) * float64(x)
			}
			s = 1 / math.Sqrt(sq)
		}
		for i, x := range v {
			m[i] += float64(x) * s
		}
	}
	for i := range m {
		m[i] /= float64(len(vs))
	}
	return m
}
