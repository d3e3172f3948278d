package analysis

import (
	"context"
	"math"

	"github.com/reef-ml/reef/index"
)

// LogisticOptions tune TrainLogistic.
type LogisticOptions struct {
	// L2 is the ridge penalty λ in mean loss + λ/2·|w|²; 0 means 0.1.
	// Features are scaled to unit norm first, so λ is scale-free.
	L2 float64
	// MaxIter bounds gradient steps; 0 means 500.
	MaxIter int
	// Tol stops when the gradient norm falls below it; 0 means 1e-6.
	Tol float64
	// Metric is Cosine to normalise each vector (as the index does); any
	// other value divides all vectors by the training set's mean norm.
	Metric index.Metric
	// Unbalanced turns off class balancing. By default each class carries
	// half of the total weight, so 3 accepted versus 40 rejected examples
	// still yield a useful model.
	Unbalanced bool
}

// LogisticModel is a trained linear classifier P(y=1|x) = σ(w·x̃ + b), where
// x̃ is x normalised (Cosine) or scaled by Scale.
type LogisticModel struct {
	W      []float64
	B      float64
	Scale  float64
	Cosine bool
	// Iterations run and final objective value.
	Iterations int
	Loss       float64
}

// TrainLogistic fits an L2-regularised logistic regression by gradient
// descent with backtracking line search (the objective is smooth and
// strongly convex, so this converges to the unique optimum). x are feature
// vectors, y the labels (true = relevant, e.g. positives and accepted
// results). The bias is not penalised.
func TrainLogistic(ctx context.Context, x [][]float32, y []bool, opts LogisticOptions) (*LogisticModel, error) {
	if len(x) != len(y) || len(x) == 0 {
		return nil, invalid("%d vectors for %d labels", len(x), len(y))
	}
	d, err := checkVectors(x, opts.Metric)
	if err != nil {
		return nil, err
	}
	lam, iters, tol := opts.L2, opts.MaxIter, opts.Tol
	if lam <= 0 {
		lam = 0.1
	}
	if iters <= 0 {
		iters = 500
	}
	if tol <= 0 {
		tol = 1e-6
	}
	m := &LogisticModel{W: make([]float64, d), Scale: 1, Cosine: opts.Metric == index.Cosine}
	if !m.Cosine {
		var s float64
		for _, v := range x {
			s += norm64(v)
		}
		if s > 0 {
			m.Scale = float64(len(x)) / s
		}
	}
	feats := make([][]float64, len(x))
	for i, v := range x {
		feats[i] = m.features(v)
	}
	npos := 0
	for _, l := range y {
		if l {
			npos++
		}
	}
	sw := make([]float64, len(x))
	for i, l := range y {
		switch {
		case opts.Unbalanced || npos == 0 || npos == len(y):
			sw[i] = 1 / float64(len(y))
		case l:
			sw[i] = 0.5 / float64(npos)
		default:
			sw[i] = 0.5 / float64(len(y)-npos)
		}
	}
	obj := func(w []float64, b float64, grad []float64) (float64, float64) {
		var loss, gb float64
		if grad != nil {
			for t := range grad {
				grad[t] = lam * w[t]
			}
		}
		for i, f := range feats {
			z := b + dot64(w, f)
			s := 1.0
			if !y[i] {
				s = -1
			}
			loss += sw[i] * softplus(-s*z)
			if grad != nil {
				g := -s * sw[i] / (1 + math.Exp(s*z))
				for t := range grad {
					grad[t] += g * f[t]
				}
				gb += g
			}
		}
		return loss + lam/2*dot64(w, w), gb
	}
	grad := make([]float64, d)
	trial := make([]float64, d)
	step := 1.0
	loss, gb := obj(m.W, m.B, grad)
	for m.Iterations = 0; m.Iterations < iters; m.Iterations++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g2 := dot64(grad, grad) + gb*gb
		if math.Sqrt(g2) < tol {
			break
		}
		step *= 2
		for {
			for t := range trial {
				trial[t] = m.W[t] - step*grad[t]
			}
			if l, _ := obj(trial, m.B-step*gb, nil); l <= loss-0.5*step*g2 || step < 1e-12 {
				break
			}
			step /= 2
		}
		copy(m.W, trial)
		m.B -= step * gb
		loss, gb = obj(m.W, m.B, grad)
	}
	m.Loss = loss
	return m, nil
}

func (m *LogisticModel) features(v []float32) []float64 {
	f := make([]float64, len(v))
	s := m.Scale
	if m.Cosine {
		if n := norm64(v); n > 0 {
			s = 1 / n
		}
	}
	for t, x := range v {
		f[t] = float64(x) * s
	}
	return f
}

// Decision is w·x̃ + b (the log-odds).
func (m *LogisticModel) Decision(v []float32) float64 {
	if len(v) != len(m.W) {
		return math.NaN()
	}
	return m.B + dot64(m.W, m.features(v))
}

// Prob is P(relevant | v).
func (m *LogisticModel) Prob(v []float32) float64 { return 1 / (1 + math.Exp(-m.Decision(v))) }

// Rerank scores candidates by the model's log-odds, best first.
func (m *LogisticModel) Rerank(ctx context.Context, candidates [][]float32, opts Options) ([]Scored, error) {
	out := make([]Scored, len(candidates))
	err := parallelFor(ctx, len(candidates), opts, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if len(candidates[i]) != len(m.W) {
				return invalid("candidate %d has dimension %d, want %d", i, len(candidates[i]), len(m.W))
			}
			out[i] = Scored{Index: i, Score: m.Decision(candidates[i]), Matched: -1}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortScored(out)
	return out, nil
}

func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm64(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
