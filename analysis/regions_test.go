package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

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
			if precision < 0.95 || recall < 0.8 || reg.Lift < 2.5 || reg.QValue > 0.05 {
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
