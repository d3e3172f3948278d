package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/index"
)

var threeCentres = [][]float32{{0, 0, 0}, {10, 0, 0}, {0, 10, 0}}

func TestKMeansBlobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	vs, truth := blobs(rng, threeCentres, 200, 1)
	for _, m := range []index.Metric{index.L2, index.Cosine} {
		opts := KMeansOptions{K: 3, Seed: 7, BatchSize: 128, MaxIter: 50, Metric: m}
		r, err := KMeans(bgCtx, vs, opts)
		if err != nil {
			t.Fatal(err)
		}
		ari, _ := AdjustedRandIndex(r.Labels, truth)
		if m == index.L2 && ari < 0.99 {
			t.Errorf("%v: ARI %.3f", m, ari)
		}
		opts.Workers = 1
		r1, _ := KMeans(bgCtx, vs, opts)
		if !slices.Equal(r.Labels, r1.Labels) || r.Inertia != r1.Inertia {
			t.Errorf("%v: result depends on workers", m)
		}
		if len(r.Centroids) != 3 || r.Sizes[0]+r.Sizes[1]+r.Sizes[2] != len(vs) {
			t.Errorf("%v: bad shape", m)
		}
	}
	if _, err := KMeans(bgCtx, vs, KMeansOptions{K: 0}); err == nil {
		t.Error("K=0 accepted")
	}
}

func TestMedoidsByHand(t *testing.T) {
	vs := [][]float32{{0}, {1}, {2}, {10}, {11}, {30}}
	labels := []int{0, 0, 0, 1, 1, -1}
	m, err := Medoids(bgCtx, vs, labels, index.L2, 0, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m, []int{1, 3}) {
		t.Fatalf("medoids %v, want [1 3]", m)
	}
}

func TestDensityClustersBlobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	vs, truth := blobs(rng, threeCentres, 150, 0.7)
	// Uniform background noise far from the blobs' cores.
	for len(vs) < 480 {
		p := []float32{float32(rng.Float64()*40 - 15), float32(rng.Float64()*40 - 15), float32(rng.Float64()*40 - 15)}
		far := true
		for _, c := range threeCentres {
			d2 := 0.0
			for t := range p {
				d2 += float64((p[t] - c[t]) * (p[t] - c[t]))
			}
			far = far && d2 > 36
		}
		if far {
			vs = append(vs, p)
			truth = append(truth, -1)
		}
	}
	g := mustGraph(t, vs, index.L2, 15)
	r, err := DensityClusters(bgCtx, g, DensityOptions{MinClusterSize: 20, MinSamples: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.NumClusters != 3 {
		t.Fatalf("%d clusters, want 3", r.NumClusters)
	}
	ari, _ := AdjustedRandIndex(r.Labels[:450], truth[:450])
	// Background points that join a blob before the blobs join each other
	// fall out of that blob's cluster and get its label (as in HDBSCAN),
	// but with a low membership probability.
	noise := 0
	var bgProb, blobProb float64
	for i, l := range r.Labels {
		switch {
		case i < 450:
			blobProb += r.Probabilities[i] / 450
		case l == -1:
			noise++
		default:
			bgProb = max(bgProb, r.Probabilities[i])
		}
	}
	t.Logf("blob ARI %.3f, %d/30 background noise, max background probability %.3f, mean blob probability %.3f", ari, noise, bgProb, blobProb)
	if ari < 0.9 || noise < 10 || bgProb > blobProb/2 {
		t.Errorf("blob ARI %.3f, %d/30 background points noise, background probability up to %.3f", ari, noise, bgProb)
	}
	for i, p := range r.Probabilities {
		if p < 0 || p > 1 || (r.Labels[i] == -1 && p != 0) {
			t.Fatalf("probability %v for label %d", p, r.Labels[i])
		}
	}
}

func TestDensityClustersByHand(t *testing.T) {
	// Two tight groups of 4 on a line, far apart: two clusters, no noise.
	vs := [][]float32{{0}, {0.1}, {0.2}, {0.3}, {100}, {100.1}, {100.2}, {100.3}}
	g := mustGraph(t, vs, index.L2, 3)
	r, err := DensityClusters(bgCtx, g, DensityOptions{MinClusterSize: 3, MinSamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 0, 0, 0, 1, 1, 1, 1}
	if ari, _ := AdjustedRandIndex(r.Labels, want); ari != 1 || r.NumClusters != 2 {
		t.Fatalf("labels %v", r.Labels)
	}
	// Disconnected graph (k=1 inside groups): joined at infinity, still two.
	g1 := mustGraph(t, vs, index.L2, 1)
	r1, _ := DensityClusters(bgCtx, g1, DensityOptions{MinClusterSize: 3, MinSamples: 1})
	if ari, _ := AdjustedRandIndex(r1.Labels, want); ari != 1 {
		t.Fatalf("forest labels %v", r1.Labels)
	}
	// Everything smaller than MinClusterSize: all noise.
	r2, _ := DensityClusters(bgCtx, g, DensityOptions{MinClusterSize: 5, MinSamples: 2})
	for _, l := range r2.Labels {
		if l != -1 {
			t.Fatalf("labels %v, want all noise", r2.Labels)
		}
	}
}

func TestClustersFashionSmall(t *testing.T) {
	s := fashion(t, "t10k")
	imgs, labels := subset(s, 3000)
	km, err := KMeans(bgCtx, imgs, KMeansOptions{K: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ari, _ := AdjustedRandIndex(km.Labels, labels)
	pur, _ := Purity(km.Labels, labels)
	nmi, _ := NMI(km.Labels, labels)
	t.Logf("k-means raw pixels n=3000: ARI %.3f purity %.3f NMI %.3f", ari, pur, nmi)
	if ari < 0.25 || pur < 0.45 {
		t.Errorf("k-means ARI %.3f purity %.3f", ari, pur)
	}
	med, err := Medoids(bgCtx, imgs, km.Labels, index.L2, 100, 1, Options{})
	if err != nil || len(med) != 10 {
		t.Fatalf("medoids %v %v", med, err)
	}
}

func TestClusterMetricsByHand(t *testing.T) {
	tests := []struct {
		name             string
		pred, truth      []int
		ari, purity, nmi float64
	}{
		// Contingency {2},{1},{1}: Σ C(nij,2)=1, rows 1, cols 2, total 6,
		// expected 1/3, max 3/2 → ARI = (2/3)/(7/6) = 4/7. Pred determines
		// truth, so MI = H(truth) = ln 2, H(pred) = 1.5 ln 2, NMI = 0.8.
		{"split one class", []int{0, 0, 1, 2}, []int{0, 0, 1, 1}, 4.0 / 7, 1, 0.8},
		{"identical up to renaming", []int{5, 5, 7, 7, 9}, []int{0, 0, 1, 1, 2}, 1, 1, 1},
		// Clusters {a,a,b} {b,b,c}: majorities 2+2 of 6. Rows 3,3 → ΣC=6;
		// cols 2,3,1 → ΣC=1+3=4; cells 2,1,2,1 → ΣC=2; total 15;
		// expected 6·4/15=1.6; max 5 → ARI = 0.4/3.4.
		{"mixed", []int{0, 0, 0, 1, 1, 1}, []int{0, 0, 1, 1, 1, 2}, 0.4 / 3.4, 4.0 / 6, math.NaN()},
		{"all one cluster", []int{0, 0, 0, 0}, []int{0, 0, 1, 1}, 0, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ari, _ := AdjustedRandIndex(tt.pred, tt.truth)
			pur, _ := Purity(tt.pred, tt.truth)
			nmi, _ := NMI(tt.pred, tt.truth)
			if math.Abs(ari-tt.ari) > 1e-12 || math.Abs(pur-tt.purity) > 1e-12 {
				t.Errorf("ARI %v (want %v) purity %v (want %v)", ari, tt.ari, pur, tt.purity)
			}
			if !math.IsNaN(tt.nmi) && math.Abs(nmi-tt.nmi) > 1e-12 {
				t.Errorf("NMI %v want %v", nmi, tt.nmi)
			}
			if nmi < 0 || nmi > 1 {
				t.Errorf("NMI %v out of [0,1]", nmi)
			}
		})
	}
	if _, err := AdjustedRandIndex([]int{1}, []int{1, 2}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestAUROCByHand(t *testing.T) {
	tests := []struct {
		scores []float64
		pos    []bool
		want   float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		{[]float64{1, 1}, []bool{true, false}, 0.5},
		{[]float64{3, 2, 1}, []bool{true, false, false}, 1},
		{[]float64{1, 2, 3}, []bool{true, false, false}, 0},
	}
	for _, tt := range tests {
		if got, _ := AUROC(tt.scores, tt.pos); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("AUROC(%v,%v) = %v want %v", tt.scores, tt.pos, got, tt.want)
		}
	}
	if got, _ := AUROC([]float64{1}, []bool{true}); !math.IsNaN(got) {
		t.Error("one class should be NaN")
	}
	if p := PrecisionAtK([]int{1, 2, 3, 4}, func(i int) bool { return i%2 == 0 }, 3); math.Abs(p-1.0/3) > 1e-12 {
		t.Errorf("precision %v", p)
	}
}
