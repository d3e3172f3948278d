package analysis

import (
	"cmp"
	"math"
	"slices"

	"github.com/reef-ml/reef/index"
)

// GroupDiff compares one group's presence in A and B.
//
// The share test: if A and B come from one distribution, then among the c
// = CountA + CountB members of a group, CountB is hypergeometric with mean
// c·nB/N and variance c·(nB/N)·(nA/N)·(N−c)/(N−1). Z is the standardised
// difference (positive: over-represented in B), PValue its two-sided normal
// tail multiplied by the number of groups (Bonferroni, capped at 1), and
// Significant compares PValue with CompareOptions.Alpha.
//
// Shares sum to one, so when some groups shrink every other group's share
// rises although nothing happened to it. The complement test separates the
// two: the reference factor s is the median over groups of ShareB/ShareA
// (median of ratios: it assumes fewer than half the groups really
// changed), and a group moves "only as the complement" when its own ratio
// is consistent with s. Conditional on c, CountB is then binomial with
// success probability s·nB/(s·nB + nA); AdjustedPValue is that two-sided
// exact test, Bonferroni-corrected. Driver marks a group significant under
// both tests; Complement marks one significant under the share test only.
type GroupDiff struct {
	Group  string `json:"group"`
	CountA int    `json:"count_a"`
	CountB int    `json:"count_b"`
	// ShareA and ShareB are the group's fraction of A and of B.
	ShareA float64 `json:"share_a"`
	ShareB float64 `json:"share_b"`
	// ExpectedB is CountB's H0 mean.
	ExpectedB   float64 `json:"expected_b"`
	Z           float64 `json:"z"`
	PValue      float64 `json:"p_value"`
	Significant bool    `json:"significant"`
	// Effect sizes: ShareDiff = ShareB − ShareA; LogRatio = log2 of
	// ShareB/ShareA (counts plus ½, so empty sides stay finite); CohenH =
	// 2·asin√ShareB − 2·asin√ShareA; AdjustedLogRatio = LogRatio − log2 s,
	// the change left once the complement's shift is taken out.
	ShareDiff        float64 `json:"share_diff"`
	LogRatio         float64 `json:"log_ratio"`
	CohenH           float64 `json:"cohen_h"`
	AdjustedLogRatio float64 `json:"adjusted_log_ratio"`
	AdjustedPValue   float64 `json:"adjusted_p_value"`
	Driver           bool    `json:"driver"`
	Complement       bool    `json:"complement"`
	// MeanCoverageA is the mean Coverage of the group's A points (how well
	// B covers them) and MeanCoverageB that of its B points (how well A
	// covers them); NaN when the group has no point in that set.
	MeanCoverageA float64 `json:"mean_coverage_a"`
	MeanCoverageB float64 `json:"mean_coverage_b"`
}

type groupAcc struct {
	ca, cb     int
	covA, covB float64
}

func groupCounts(groups []string, isB []bool, cov []float32) map[string]*groupAcc {
	byName := map[string]*groupAcc{}
	for i, gname := range groups {
		a := byName[gname]
		if a == nil {
			a = &groupAcc{}
			byName[gname] = a
		}
		c := float64(cov[i])
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
	return byName
}

func groupBreakdown(groups []string, isB []bool, r *CompareResult, alpha float64) ([]GroupDiff, []string) {
	byName := groupCounts(groups, isB, r.Coverage)
	nA, nB := float64(r.NA), float64(r.NB)
	N := nA + nB
	m := float64(len(byName))
	out := make([]GroupDiff, 0, len(byName))
	ratios := make([]float64, 0, len(byName))
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
			d.PValue = min(1, math.Erfc(math.Abs(d.Z)/math.Sqrt2)*m)
		}
		d.Significant = d.PValue < alpha
		d.ShareDiff = d.ShareB - d.ShareA
		d.LogRatio = math.Log2(((float64(a.cb) + 0.5) / nB) / ((float64(a.ca) + 0.5) / nA))
		d.CohenH = 2*math.Asin(math.Sqrt(d.ShareB)) - 2*math.Asin(math.Sqrt(d.ShareA))
		ratios = append(ratios, d.LogRatio)
		out = append(out, d)
	}
	slices.Sort(ratios)
	logS := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		logS = (ratios[len(ratios)/2-1] + logS) / 2
	}
	s := math.Exp2(logS)
	pi := s * nB / (s*nB + nA)
	var drivers []GroupDiff
	for i := range out {
		d := &out[i]
		d.AdjustedLogRatio = d.LogRatio - logS
		d.AdjustedPValue = min(1, binomialTwoSided(d.CountB, d.CountA+d.CountB, pi)*m)
		d.Driver = d.Significant && d.AdjustedPValue < alpha
		d.Complement = d.Significant && !d.Driver
		if d.Driver {
			drivers = append(drivers, *d)
		}
	}
	slices.SortFunc(out, func(x, y GroupDiff) int {
		if c := cmp.Compare(math.Abs(y.Z), math.Abs(x.Z)); c != 0 {
			return c
		}
		return cmp.Compare(x.Group, y.Group)
	})
	slices.SortFunc(drivers, func(x, y GroupDiff) int {
		if c := cmp.Compare(math.Abs(y.AdjustedLogRatio), math.Abs(x.AdjustedLogRatio)); c != 0 {
			return c
		}
		return cmp.Compare(x.Group, y.Group)
	})
	names := make([]string, len(drivers))
	for i, d := range drivers {
		names[i] = d.Group
	}
	return out, names
}

// binomialTwoSided is 2·min(P(X <= k), P(X >= k)) for X ~ Binomial(n, p),
// capped at 1.
func binomialTwoSided(k, n int, p float64) float64 {
	lo := 1 - BinomialUpper(k+1, n, p)
	hi := BinomialUpper(k, n, p)
	return min(1, 2*min(lo, hi))
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
