package layout

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// ErrInvalidInput wraps every input-validation error returned by this
// package (ragged lists, out-of-range neighbour indices, non-finite values,
// bad options).
var ErrInvalidInput = errors.New("layout: invalid input")

// Options tune UMAP and PCA. Start from DefaultOptions; zero-valued fields
// (other than MinDist and Seed, where zero is meaningful) take their
// defaults.
type Options struct {
	Method             string  // "umap" (default) or "pca"; read by Layout
	Epochs             int     // 0 = auto: 500 for n ≤ 10,000, else 200
	MinDist            float64 // 0.1: how tightly points may pack in 2-D
	Spread             float64 // 1.0: scale of the embedded clusters
	NegativeSampleRate int     // 5 repulsive samples per attractive one
	LearningRate       float64 // 1.0 initial SGD step, decayed linearly to 0
	Seed               int64   // the layout is a pure function of inputs, Seed
	Workers            int     // 0 = GOMAXPROCS; does not change the result
	// Progress, when set, is called from the calling goroutine after every
	// epoch (UMAP) or iteration (PCA) with done ≤ total.
	Progress func(done, total int)
}

// DefaultOptions returns the reference implementation's defaults.
func DefaultOptions() Options {
	return Options{Method: "umap", MinDist: 0.1, Spread: 1, NegativeSampleRate: 5, LearningRate: 1, Seed: 1}
}

// resolved fills defaults and validates.
func (o Options) resolved() (Options, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...))
	}
	switch o.Method {
	case "":
		o.Method = "umap"
	case "umap", "pca":
	default:
		bad("method %q (want umap or pca)", o.Method)
	}
	if o.Spread == 0 {
		o.Spread = 1
	}
	if o.NegativeSampleRate == 0 {
		o.NegativeSampleRate = 5
	}
	if o.LearningRate == 0 {
		o.LearningRate = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if o.Epochs < 0 || o.Epochs > 100_000 {
		bad("epochs %d out of range [0, 100000]", o.Epochs)
	}
	if !finite(o.Spread) || o.Spread <= 0 || o.Spread > 1e3 {
		bad("spread %v must be in (0, 1000]", o.Spread)
	}
	if !finite(o.MinDist) || o.MinDist < 0 || o.MinDist > o.Spread {
		bad("min dist %v must be in [0, spread=%v]", o.MinDist, o.Spread)
	}
	if o.NegativeSampleRate < 0 || o.NegativeSampleRate > 1000 {
		bad("negative sample rate %d out of range [1, 1000]", o.NegativeSampleRate)
	}
	if !finite(o.LearningRate) || o.LearningRate <= 0 || o.LearningRate > 1e3 {
		bad("learning rate %v must be in (0, 1000]", o.LearningRate)
	}
	return o, errors.Join(errs...)
}

func (o Options) progress(done, total int) {
	if o.Progress != nil {
		o.Progress(done, total)
	}
}

// FitCurve returns the parameters a, b of the low-dimensional similarity
// 1/(1+a·d^(2b)) that best fit (least squares on 300 points of [0, 3·spread])
// the target curve 1 for d < minDist, exp(-(d-minDist)/spread) beyond. For
// minDist=0.1, spread=1 this gives a≈1.577, b≈0.895 as in the UMAP paper.
func FitCurve(minDist, spread float64) (a, b float64) {
	const m = 300
	xs := make([]float64, m)
	ys := make([]float64, m)
	for i := range m {
		x := 3 * spread * float64(i) / float64(m-1)
		xs[i] = x
		if x < minDist {
			ys[i] = 1
		} else {
			ys[i] = math.Exp(-(x - minDist) / spread)
		}
	}
	sse := func(a, b float64) float64 {
		s := 0.0
		for i, x := range xs {
			r := 1/(1+a*math.Pow(x, 2*b)) - ys[i]
			s += r * r
		}
		return s
	}
	// Levenberg–Marquardt on the two parameters with analytic Jacobian.
	a, b = 1, 1
	lambda := 1e-3
	cur := sse(a, b)
	for iter := 0; iter < 500; iter++ {
		var jaa, jab, jbb, ga, gb float64
		for i, x := range xs {
			if x == 0 {
				continue
			}
			p := math.Pow(x, 2*b)
			den := 1 + a*p
			f := 1 / den
			r := f - ys[i]
			da := -p / (den * den)
			db := -a * p * 2 * math.Log(x) / (den * den)
			jaa += da * da
			jab += da * db
			jbb += db * db
			ga += da * r
			gb += db * r
		}
		// Solve ((JᵀJ) + λ diag(JᵀJ)) δ = -Jᵀr.
		m00, m11 := jaa*(1+lambda), jbb*(1+lambda)
		det := m00*m11 - jab*jab
		if det == 0 || math.IsNaN(det) {
			break
		}
		na := a + (-ga*m11+gb*jab)/det
		nb := b + (-gb*m00+ga*jab)/det
		if na > 0 && nb > 0 {
			if s := sse(na, nb); s < cur {
				done := cur-s < 1e-14*(1+cur)
				a, b, cur = na, nb, s
				lambda = max(lambda/10, 1e-12)
				if done {
					break
				}
				continue
			}
		}
		lambda *= 10
		if lambda > 1e12 {
			break
		}
	}
	return a, b
}
