package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/index"
)

func TestRocchioVector(t *testing.T) {
	q := MultiQuery{Positives: [][]float32{{2, 0}, {0, 2}}, Negatives: [][]float32{{4, 4}}, Metric: index.L2}
	v, err := RocchioVector(q)
	if err != nil {
		t.Fatal(err)
	}
	// 1·(1,1) − 0.5·(4,4) = (−1,−1).
	if !slices.Equal(v, []float32{-1, -1}) {
		t.Fatalf("L2 rocchio %v", v)
	}
	q.Metric = index.Cosine
	q.PosWeights = []float32{3, 1}
	v, _ = RocchioVector(q)
	// Unit inputs: (3·(1,0)+1·(0,1))/4 − 0.5·(.707,.707), normalised.
	x, y := 0.75-0.5/math.Sqrt2, 0.25-0.5/math.Sqrt2
	n := math.Hypot(x, y)
	if math.Abs(float64(v[0])-x/n) > 1e-6 || math.Abs(float64(v[1])-y/n) > 1e-6 {
		t.Fatalf("cosine rocchio %v want %v %v", v, x/n, y/n)
	}
}

func TestRescoreBestScore(t *testing.T) {
	// Positives at two far places; the Average query (their midpoint) ranks
	// the middle first, BestScore ranks points near either positive first.
	q := MultiQuery{Positives: [][]float32{{0, 0}, {10, 0}}, Metric: index.L2}
	cands := [][]float32{{5, 0}, {0.5, 0}, {9.8, 0}, {20, 0}}
	r, err := Rescore(bgCtx, q, BestScore, cands, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r[0].Index != 2 || r[0].Matched != 1 || r[1].Index != 1 || r[1].Matched != 0 || r[3].Index != 3 {
		t.Fatalf("best score ranking %+v", r)
	}
	if math.Abs(r[0].Score-1/1.2) > 1e-6 {
		t.Fatalf("score %v", r[0].Score)
	}
	avg, _ := Rescore(bgCtx, q, Average, cands, Options{})
	if avg[0].Index != 0 || avg[0].Matched != -1 {
		t.Fatalf("average ranking %+v", avg)
	}
	// A negative next to positive 1 pushes candidates near it down.
	q.Negatives = [][]float32{{9.9, 0}}
	r, _ = Rescore(bgCtx, q, BestScore, cands, Options{})
	if r[0].Index != 1 {
		t.Fatalf("with negative %+v", r)
	}
	if _, err := Rescore(bgCtx, MultiQuery{Metric: index.L2}, BestScore, cands, Options{}); err == nil {
		t.Fatal("no positives accepted")
	}
}

func TestTrainLogistic(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	pos := gaussian(rng, 30, 8, 3)
	neg := gaussian(rng, 90, 8, -3)
	x := append(append([][]float32(nil), pos...), neg...)
	y := make([]bool, len(x))
	for i := range pos {
		y[i] = true
	}
	m, err := TrainLogistic(bgCtx, x, y, LogisticOptions{L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	// Optimality: the gradient of the balanced objective is ~0.
	grad := make([]float64, len(m.W))
	var gb float64
	for i, v := range x {
		f := m.features(v)
		w := 0.5 / 90
		s := -1.0
		if y[i] {
			w, s = 0.5/30, 1
		}
		g := -s * w / (1 + math.Exp(s*(m.B+dot64(m.W, f))))
		for t := range grad {
			grad[t] += g * f[t]
		}
		gb += g
	}
	for t := range grad {
		grad[t] += 0.01 * m.W[t]
	}
	if gn := math.Sqrt(dot64(grad, grad) + gb*gb); gn > 1e-4 {
		t.Fatalf("gradient norm %g after %d iterations", gn, m.Iterations)
	}
	test := append(gaussian(rng, 10, 8, 3), gaussian(rng, 10, 8, -3)...)
	r, _ := m.Rerank(bgCtx, test, Options{})
	for _, s := range r[:10] {
		if s.Index >= 10 {
			t.Fatalf("rerank put a negative in the top 10: %+v", r)
		}
	}
	if p := m.Prob(test[0]); p < 0.5 {
		t.Fatalf("P(pos) = %v", p)
	}
}
