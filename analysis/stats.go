package analysis

import (
	"cmp"
	"math"
	"slices"
)

// BinomialUpper is P(X >= k) for X ~ Binomial(n, p): the one-sided p-value
// of seeing k or more failures among n points when the failure rate is p.
// It is computed as the regularised incomplete beta I_p(k, n-k+1), accurate
// to about 1e-12 relative for every n (no summation of n terms).
func BinomialUpper(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	return regIncBeta(float64(k), float64(n-k+1), p)
}

// regIncBeta is I_x(a, b) by the continued fraction (modified Lentz),
// using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where it converges faster.
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 10000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// BenjaminiHochberg returns the BH-adjusted p-values (q-values) of p, in
// the input order: q_i = min over ranks r >= rank(i) of p_(r)·m/r, capped at
// 1. Rejecting every hypothesis with q <= alpha controls the false discovery
// rate at alpha for independent or positively dependent tests.
func BenjaminiHochberg(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	q := make([]float64, m)
	run := 1.0
	for r := m - 1; r >= 0; r-- {
		i := idx[r]
		run = min(run, p[i]*float64(m)/float64(r+1))
		q[i] = run
	}
	return q
}

// mcnemarExact is the two-sided exact McNemar p-value for b and c
// discordant pairs: 2·P(X <= min(b,c)) for X ~ Binomial(b+c, 1/2), capped
// at 1.
func mcnemarExact(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	lo := min(b, c)
	return min(1, 2*(1-BinomialUpper(lo+1, n, 0.5)))
}
