package analysis

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

func TestLabelErrorsByHand(t *testing.T) {
	// Two tight groups on a line; point 2 sits in group "a" but is labelled "b".
	vs := [][]float32{{0}, {0.1}, {0.2}, {0.3}, {0.4}, {10}, {10.1}, {10.2}, {10.3}, {10.4}}
	labels := []string{"a", "a", "b", "a", "a", "b", "b", "b", "b", "b"}
	g := mustGraph(t, vs, index.L2, 4)
	r, err := LabelErrors(bgCtx, g, labels, LabelErrorOptions{K: 4})
	if err != nil {
		t.Fatal(err)
	}
	top := r.Issues[0]
	if top.Index != 2 || top.Suggested != "a" || !top.Flagged || top.Agreement != 0 {
		t.Fatalf("top issue %+v", top)
	}
	if r.EstimatedErrors != 1 || r.Issues[1].Flagged {
		t.Fatalf("estimated %d, second %+v", r.EstimatedErrors, r.Issues[1])
	}
	// A confident model that agrees with the label outweighs the neighbours.
	pred := slices.Clone(labels)
	r2, err := LabelErrors(bgCtx, g, labels, LabelErrorOptions{K: 4, Predictions: pred, ModelWeight: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range r2.Issues {
		if is.Index == 2 && is.Flagged {
			t.Fatalf("model agreeing with the label still flags it: %+v", is)
		}
	}
}

func TestLabelErrorsValidates(t *testing.T) {
	g := mustGraph(t, [][]float32{{0}, {1}, {2}}, index.L2, 2)
	tests := []struct {
		name   string
		labels []string
		opts   LabelErrorOptions
	}{
		{"length", []string{"a", "b"}, LabelErrorOptions{}},
		{"one class", []string{"a", "a", ""}, LabelErrorOptions{}},
		{"confidence range", []string{"a", "b", "a"}, LabelErrorOptions{Predictions: []string{"a", "a", "a"}, Confidence: []float64{0.5, 2, 1}}},
		{"confidence without predictions", []string{"a", "b", "a"}, LabelErrorOptions{Confidence: []float64{1, 1, 1}}},
		{"weight", []string{"a", "b", "a"}, LabelErrorOptions{ModelWeight: 1.5}},
	}
	for _, tc := range tests {
		if _, err := LabelErrors(bgCtx, g, tc.labels, tc.opts); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// flipResult is one label-noise experiment's figures.
type flipResult struct {
	n, flipped             int
	auroc, auroc1mp, aurAg float64 // calibrated score, uncalibrated 1-p(y), raw agreement
	precAtN                float64 // precision at N = number flipped
	flaggedPrec, flaggedRe float64
	suggestRight           float64 // flipped points whose suggestion is the true label
}

func (f flipResult) String() string {
	return fmt.Sprintf("n=%d flipped=%d AUROC %.4f (1-p(y) %.4f, agreement %.4f) precision@%d %.3f flagged precision %.3f recall %.3f suggestion=true label %.3f",
		f.n, f.flipped, f.auroc, f.auroc1mp, f.aurAg, f.flipped, f.precAtN, f.flaggedPrec, f.flaggedRe, f.suggestRight)
}

// noisyLabels returns labels with either a random fraction flipped to a
// uniformly drawn other class or (from >= 0) a fraction of class from
// relabelled as class to.
func noisyLabels(truth []int, frac float64, from, to int, seed uint64) ([]string, []bool) {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]string, len(truth))
	flipped := make([]bool, len(truth))
	for i, y := range truth {
		l := y
		switch {
		case from < 0 && rng.Float64() < frac:
			l = (y + 1 + rng.IntN(9)) % 10
		case from >= 0 && y == from && rng.Float64() < frac:
			l = to
		}
		flipped[i] = l != y
		out[i] = fashionmnist.ClassNames[l]
	}
	return out, flipped
}

func runFlip(t testing.TB, g *Graph, truth []int, labels []string, flipped []bool, k int) flipResult {
	return runFlipWith(t, g, truth, labels, flipped, LabelErrorOptions{K: k})
}

func runFlipWith(t testing.TB, g *Graph, truth []int, labels []string, flipped []bool, opts LabelErrorOptions) flipResult {
	t.Helper()
	k := opts.K
	r, err := LabelErrors(bgCtx, g, labels, opts)
	if err != nil {
		t.Fatal(err)
	}
	fr := flipResult{n: len(labels)}
	sc, raw, ag := make([]float64, len(labels)), make([]float64, len(labels)), make([]float64, len(labels))
	ranked := make([]int, len(r.Issues))
	flaggedTP, flagged, right := 0, 0, 0
	for p, is := range r.Issues {
		sc[is.Index], ag[is.Index] = is.Score, -is.Agreement
		ranked[p] = is.Index
		if is.Flagged {
			flagged++
			if flipped[is.Index] {
				flaggedTP++
			}
		}
		if flipped[is.Index] && is.Suggested == fashionmnist.ClassNames[truth[is.Index]] {
			right++
		}
	}
	// Uncalibrated 1 - p(label), for the record.
	classes, ids := classIndex(labels)
	probs, _, _ := votes(bgCtx, g, ids, classes, LabelErrorOptions{K: k})
	for i, y := range ids {
		raw[i] = 1 - probs[i*len(classes)+y]
	}
	for _, f := range flipped {
		if f {
			fr.flipped++
		}
	}
	fr.auroc, _ = AUROC(sc, flipped)
	fr.auroc1mp, _ = AUROC(raw, flipped)
	fr.aurAg, _ = AUROC(ag, flipped)
	fr.precAtN = PrecisionAtK(ranked, func(i int) bool { return flipped[i] }, fr.flipped)
	fr.flaggedPrec, fr.flaggedRe = ratio(flaggedTP, flagged), ratio(flaggedTP, fr.flipped)
	fr.suggestRight = ratio(right, fr.flipped)
	return fr
}

// rawGraph is the exact L2 graph over the first n raw-pixel images of a
// split, cached on disk between runs (it costs minutes at full size).
func rawGraph(t testing.TB, split string, n, k int) (*Graph, []int) {
	t.Helper()
	s := fashion(t, split)
	imgs, truth := subset(s, n)
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("reef-analysis-raw-%s-%d-%d.graph", split, len(imgs), k))
	if b, err := os.ReadFile(cache); err == nil {
		if g, err := DecodeGraph(b); err == nil && g.Len() == len(imgs) {
			return g, truth
		}
	}
	g := mustGraph(t, imgs, index.L2, k)
	if b, err := EncodeGraph(g); err == nil && n > 5000 {
		_ = os.WriteFile(cache, b, 0o644)
	}
	return g, truth
}

// TestLabelErrorsFashionSmall flips 5% of 3000 Fashion-MNIST test labels at
// random (raw pixels, exact 20-NN) and checks the ranking finds them. The
// bound sits just under the value measured at this size (see BENCHMARKS).
func TestLabelErrorsFashionSmall(t *testing.T) {
	g, truth := rawGraph(t, "t10k", 3000, 20)
	labels, flipped := noisyLabels(truth, 0.05, -1, -1, 1)
	fr := runFlip(t, g, truth, labels, flipped, 20)
	t.Log(fr)
	if fr.auroc < 0.93 || fr.precAtN < 0.6 || fr.flaggedRe < 0.8 {
		t.Errorf("random 5%% flips: %v", fr)
	}
	// Calibration must not hurt the uncalibrated ranking by much.
	if fr.auroc < fr.auroc1mp-0.01 {
		t.Errorf("calibrated AUROC %.4f below uncalibrated %.4f", fr.auroc, fr.auroc1mp)
	}
}

// BenchmarkLabelErrorsFashion reports the full figures: 5% random flips
// and 30% of Shirt relabelled T-shirt/top, on raw pixels. REEF_LABEL_N sets
// how many images of train are used (default 20000).
func BenchmarkLabelErrorsFashion(b *testing.B) {
	needHeavy(b)
	n := 20000
	if v := os.Getenv("REEF_LABEL_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	g, truth := rawGraph(b, "train", n, 50)
	for b.Loop() {
		for _, k := range []int{10, 20, 50} {
			labels, flipped := noisyLabels(truth, 0.05, -1, -1, 1)
			fr := runFlip(b, g, truth, labels, flipped, k)
			b.Logf("random 5%%, k=%d: %v", k, fr)
			if k == 20 {
				b.ReportMetric(fr.auroc, "auroc-random")
				b.ReportMetric(fr.precAtN, "prec@N-random")
			}
			labels, flipped = noisyLabels(truth, 0.3, 6, 0, 2)
			fr = runFlip(b, g, truth, labels, flipped, k)
			b.Logf("systematic 30%% Shirt→T-shirt/top, k=%d: %v", k, fr)
			if k == 20 {
				b.ReportMetric(fr.auroc, "auroc-systematic")
				b.ReportMetric(fr.precAtN, "prec@N-systematic")
			}
		}
	}
}

// TestHeavyLabelErrorsWithModel adds a model's predictions: a 10-NN vote
// over 20,000 clean train images predicts each of 3,000 test images
// (confidence = vote share), mixed in with ModelWeight 0.5.
func TestHeavyLabelErrorsWithModel(t *testing.T) {
	needHeavy(t)
	g, truth := rawGraph(t, "t10k", 3000, 20)
	test, _ := subset(fashion(t, "t10k"), 3000)
	train, trainLabels := subset(fashion(t, "train"), 20000)
	nbs := crossNeighbors(test, train, index.L2, 10)
	pred, conf := make([]string, len(test)), make([]float64, len(test))
	correct := 0
	for i, row := range nbs {
		var votes [10]int
		for _, nb := range row {
			votes[trainLabels[nb.Index]]++
		}
		best := 0
		for c := range votes {
			if votes[c] > votes[best] {
				best = c
			}
		}
		pred[i], conf[i] = fashionmnist.ClassNames[best], float64(votes[best])/float64(len(row))
		if best == truth[i] {
			correct++
		}
	}
	t.Logf("model accuracy on the 3000: %.3f", float64(correct)/float64(len(test)))
	for _, tc := range []struct {
		name     string
		frac     float64
		from, to int
		seed     uint64
	}{{"random 5%", 0.05, -1, -1, 1}, {"30% Shirt→T-shirt/top", 0.3, 6, 0, 2}} {
		labels, flipped := noisyLabels(truth, tc.frac, tc.from, tc.to, tc.seed)
		alone := runFlipWith(t, g, truth, labels, flipped, LabelErrorOptions{K: 20})
		with := runFlipWith(t, g, truth, labels, flipped, LabelErrorOptions{K: 20, Predictions: pred, Confidence: conf})
		t.Logf("%s: neighbours only %v", tc.name, alone)
		t.Logf("%s: with model      %v", tc.name, with)
		if with.auroc < alone.auroc {
			t.Errorf("%s: the model's predictions made the ranking worse", tc.name)
		}
	}
}
