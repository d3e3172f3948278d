package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

// plantedFailures draws 10 Gaussian blobs of 200 points in 8-D, fails each
// point with probability base, and with probability planted inside blob 3.
func plantedFailures(seed uint64, base, planted float64) (*Graph, []int, []bool) {
	rng := rand.New(rand.NewPCG(seed, 5))
	centres := make([][]float32, 10)
	for c := range centres {
		centres[c] = make([]float32, 8)
		centres[c][c%8] = 12 * float32(1+c/8)
	}
	vs, labels := blobs(rng, centres, 200, 1)
	failed := make([]bool, len(vs))
	for i, l := range labels {
		p := base
		if l == 3 {
			p = planted
		}
		failed[i] = rng.Float64() < p
	}
	g, _ := ExactGraph(bgCtx, vs, index.L2, 15, workers)
	return g, labels, failed
}

func TestFailureRegionsPlanted(t *testing.T) {
	tests := []struct {
		name     string
		clusters bool
	}{{"graph scan", false}, {"clusters", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, labels, failed := plantedFailures(1, 0.1, 0.45)
			meta := map[string][]string{"blob": make([]string, len(labels))}
			for i, l := range labels {
				meta["blob"][i] = string(rune('a' + l))
			}
			o := RegionOptions{Metadata: meta}
			if tc.clusters {
				o.Clusters = labels
			}
			r, err := FailureRegions(bgCtx, g, failed, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Regions) != 1 {
				t.Fatalf("want one region, got %d (overall rate %.3f)", len(r.Regions), r.OverallRate)
			}
			reg := r.Regions[0]
			inBlob := 0
			for _, i := range reg.Members {
				if labels[i] == 3 {
					inBlob++
				}
			}
			precision, recall := float64(inBlob)/float64(len(reg.Members)), float64(inBlob)/200
			t.Logf("region: %d members, rate %.3f, lift %.2f, q %.2g, precision %.3f recall %.3f, dominant %+v",
				len(reg.Members), reg.Rate, reg.Lift, reg.QValue, precision, recall, reg.Dominant)
			if precision < 0.95 || recall < 0.75 || reg.Lift < 2.5 || reg.QValue > 0.05 {
				t.Errorf("planted region not recovered")
			}
			if d := reg.Dominant; len(d) != 1 || d[0].Value != "d" || d[0].Share < 0.95 || math.Abs(d[0].OverallShare-0.1) > 1e-9 {
				t.Errorf("dominant %+v", d)
			}
			for _, m := range reg.Medoids {
				if labels[m] != 3 {
					t.Errorf("medoid %d outside the planted blob", m)
				}
			}
		})
	}
}

func TestFailureRegionsNullFindsNothing(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		g, _, failed := plantedFailures(seed, 0.1, 0.1)
		r, err := FailureRegions(bgCtx, g, failed, RegionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Regions) != 0 {
			t.Errorf("seed %d: %d regions found without a planted one (first: %d members, rate %.2f, q %.3g)",
				seed, len(r.Regions), len(r.Regions[0].Members), r.Regions[0].Rate, r.Regions[0].QValue)
		}
	}
}

func TestFailureRegionsValidates(t *testing.T) {
	g, _, failed := plantedFailures(1, 0.1, 0.1)
	tests := []struct {
		name   string
		failed []bool
		opts   RegionOptions
	}{
		{"length", failed[:5], RegionOptions{}},
		{"alpha", failed, RegionOptions{Alpha: 2}},
		{"clusters", failed, RegionOptions{Clusters: []int{1}}},
		{"metadata", failed, RegionOptions{Metadata: map[string][]string{"x": {"a"}}}},
	}
	for _, tc := range tests {
		if _, err := FailureRegions(bgCtx, g, tc.failed, tc.opts); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if got := FailedAbove([]float64{0.2, math.NaN(), 0.9}, 0.5); got[0] || got[1] || !got[2] {
		t.Errorf("FailedAbove %v", got)
	}
}

// TestFailureRegionsFashion plants a failure region in 3000 Fashion-MNIST
// test images (raw pixels, exact 20-NN): the 150 images nearest to one
// image fail at 50%, the rest at 10%. It also reports the regions of a real
// model's failures (leave-one-out 20-NN vote), with each region's dominant
// class.
func TestFailureRegionsFashion(t *testing.T) {
	g, truth := rawGraph(t, "t10k", 3000, 20)
	imgs, _ := subset(fashion(t, "t10k"), 3000)
	rng := rand.New(rand.NewPCG(41, 42))
	centre := imgs[rng.IntN(len(imgs))]
	dist, _ := distanceFunc(index.L2)
	near := bruteSearch(imgs, centre, 150, dist, -1)
	planted := make([]bool, len(imgs))
	for _, nb := range near {
		planted[nb.Index] = true
	}
	failed := make([]bool, len(imgs))
	for i := range failed {
		p := 0.1
		if planted[i] {
			p = 0.5
		}
		failed[i] = rng.Float64() < p
	}
	r, err := FailureRegions(bgCtx, g, failed, RegionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Regions) == 0 {
		t.Fatal("planted region not found")
	}
	reg := r.Regions[0]
	in := 0
	for _, i := range reg.Members {
		if planted[i] {
			in++
		}
	}
	prec, rec := float64(in)/float64(len(reg.Members)), float64(in)/150
	t.Logf("planted: %d regions; top %d members rate %.2f lift %.2f q %.2g precision %.3f recall %.3f",
		len(r.Regions), len(reg.Members), reg.Rate, reg.Lift, reg.QValue, prec, rec)
	if prec < 0.7 || rec < 0.8 {
		t.Errorf("planted region recovered with precision %.3f recall %.3f", prec, rec)
	}
	// A real model's failures: the k-NN vote on the true labels.
	labels := make([]string, len(truth))
	classOf := make([]string, len(truth))
	for i, y := range truth {
		labels[i] = string(rune('0' + y))
		classOf[i] = fashionClass(y)
	}
	le, err := LabelErrors(bgCtx, g, labels, LabelErrorOptions{K: 20})
	if err != nil {
		t.Fatal(err)
	}
	wrong := make([]bool, len(truth))
	for _, is := range le.Issues {
		wrong[is.Index] = is.SuggestedProb > 1-is.Score // the vote prefers another class
	}
	rr, err := FailureRegions(bgCtx, g, wrong, RegionOptions{Metadata: map[string][]string{"class": classOf}})
	if err != nil {
		t.Fatal(err)
	}
	for i, reg := range rr.Regions[:min(4, len(rr.Regions))] {
		t.Logf("model failures (overall %.3f): region %d: %d members, rate %.2f, lift %.2f, q %.2g, dominant %s",
			rr.OverallRate, i, len(reg.Members), reg.Rate, reg.Lift, reg.QValue, dominantString(reg.Dominant))
	}
	if len(rr.Regions) == 0 {
		t.Error("no region for the k-NN model's failures")
	}
}

func fashionClass(y int) string { return fashionmnist.ClassNames[y] }

func dominantString(ds []DominantValue) string {
	out := ""
	for _, d := range ds {
		out += fmt.Sprintf("%s %.0f%% (%.0f%% overall) ", d.Value, 100*d.Share, 100*d.OverallShare)
	}
	return out
}
