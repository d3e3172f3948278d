package analysis

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/viterin/vek/vek32"

	"github.com/reef-ml/reef/index"
)

// Strategy selects how several examples combine into one ranking.
type Strategy uint8

// Strategies for MultiQuery.
const (
	// Average is Rocchio: one query vector α·mean(pos) − β·mean(neg)
	// (weighted means; inputs and result unit-normalised under Cosine);
	// score = similarity to it.
	Average Strategy = iota
	// BestScore is score(x) = max_i w_i·sim(x, pos_i) − λ·max_j v_j·sim(x,
	// neg_j): a candidate only has to be close to one positive, so
	// multi-modal example sets (several looks of one concept) work.
	BestScore
)

// MultiQuery describes "find examples like these, unlike those".
//
// Similarity is cos under Cosine, the dot product under Dot and
// 1/(1+distance) under L2, so larger is always more similar and, for L2,
// weights scale a positive number.
type MultiQuery struct {
	Positives  [][]float32
	Negatives  [][]float32
	PosWeights []float32 // nil means all 1
	NegWeights []float32 // nil means all 1
	Metric     index.Metric
	// Alpha and Beta weight the Rocchio terms; 0 means 1 and 0.5.
	Alpha, Beta float64
	// Lambda weights the negative term of BestScore; 0 means 1. Use a
	// negative value for "no penalty".
	Lambda float64
}

// Scored is a rescored candidate.
type Scored struct {
	// Index is the position in the candidate list.
	Index int
	Score float64
	// Matched is the positive that gave the best similarity (BestScore) or
	// -1 (Average).
	Matched int
}

func (q *MultiQuery) check() (int, error) {
	if len(q.Positives) == 0 {
		return 0, invalid("multi-query needs at least one positive")
	}
	if q.Metric != index.L2 && q.Metric != index.Cosine && q.Metric != index.Dot {
		return 0, invalid("unknown metric %d", uint8(q.Metric))
	}
	all := append(slices.Clip(q.Positives), q.Negatives...)
	d, err := checkVectors(all, q.Metric)
	if err != nil {
		return 0, err
	}
	if (q.PosWeights != nil && len(q.PosWeights) != len(q.Positives)) || (q.NegWeights != nil && len(q.NegWeights) != len(q.Negatives)) {
		return 0, invalid("weights do not match examples")
	}
	return d, nil
}

func weightOf(w []float32, i int) float32 {
	if w == nil {
		return 1
	}
	return w[i]
}

// RocchioVector is the Average strategy's query vector; the engine can
// search the index with it directly.
func RocchioVector(q MultiQuery) ([]float32, error) {
	d, err := q.check()
	if err != nil {
		return nil, err
	}
	alpha, beta := q.Alpha, q.Beta
	if alpha == 0 {
		alpha = 1
	}
	if beta == 0 {
		beta = 0.5
	}
	wmean := func(vs [][]float32, w []float32) []float64 {
		m := make([]float64, d)
		var tot float64
		for i, v := range vs {
			wi := float64(weightOf(w, i))
			s := wi
			if q.Metric == index.Cosine {
				s /= math.Sqrt(float64(vek32.Dot(v, v)))
			}
			for t, x := range v {
				m[t] += s * float64(x)
			}
			tot += wi
		}
		if tot != 0 {
			for t := range m {
				m[t] /= tot
			}
		}
		return m
	}
	pos := wmean(q.Positives, q.PosWeights)
	out := make([]float32, d)
	for t := range out {
		out[t] = float32(alpha * pos[t])
	}
	if len(q.Negatives) > 0 {
		neg := wmean(q.Negatives, q.NegWeights)
		for t := range out {
			out[t] -= float32(beta * neg[t])
		}
	}
	if q.Metric == index.Cosine {
		normalize(out)
	}
	return out, nil
}

// Rescore scores candidate vectors with the strategy and returns them best
// first (ties by index). The engine gathers candidates by searching the
// index with each positive (and, for Average, the Rocchio vector) and taking
// the union.
func Rescore(ctx context.Context, q MultiQuery, s Strategy, candidates [][]float32, opts Options) ([]Scored, error) {
	d, err := q.check()
	if err != nil {
		return nil, err
	}
	for i, c := range candidates {
		if len(c) != d {
			return nil, invalid("candidate %d has dimension %d, want %d", i, len(c), d)
		}
	}
	sim := similarity(q.Metric)
	prep := func(vs [][]float32) [][]float32 {
		if q.Metric == index.Cosine {
			return normalizedCopy(vs)
		}
		return vs
	}
	var pos, neg [][]float32
	switch s {
	case Average:
		r, err := RocchioVector(q)
		if err != nil {
			return nil, err
		}
		pos = [][]float32{r}
	case BestScore:
		pos, neg = prep(q.Positives), prep(q.Negatives)
	default:
		return nil, invalid("unknown strategy %d", s)
	}
	lambda := q.Lambda
	if lambda == 0 {
		lambda = 1
	}
	lambda = max(lambda, 0)
	out := make([]Scored, len(candidates))
	err = parallelFor(ctx, len(candidates), opts, func(lo, hi int) error {
		buf := make([]float32, d)
		for i := lo; i < hi; i++ {
			x := candidates[i]
			if q.Metric == index.Cosine {
				copy(buf, x)
				normalize(buf)
				x = buf
			}
			best, match := math.Inf(-1), -1
			for j, p := range pos {
				w := float64(weightOf(q.PosWeights, j))
				if s == Average {
					w = 1
				}
				if v := w * sim(x, p); v > best {
					best, match = v, j
				}
			}
			if s == Average {
				match = -1
			}
			if len(neg) > 0 && lambda > 0 {
				worst := math.Inf(-1)
				for j, nv := range neg {
					worst = max(worst, float64(weightOf(q.NegWeights, j))*sim(x, nv))
				}
				best -= lambda * worst
			}
			out[i] = Scored{Index: i, Score: best, Matched: match}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortScored(out)
	return out, nil
}

func sortScored(s []Scored) {
	slices.SortFunc(s, func(a, b Scored) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
}

// similarity for unit vectors under Cosine.
func similarity(m index.Metric) func(a, b []float32) float64 {
	switch m {
	case index.L2:
		return func(a, b []float32) float64 { return 1 / (1 + float64(vek32.Distance(a, b))) }
	default:
		return func(a, b []float32) float64 { return float64(vek32.Dot(a, b)) }
	}
}
