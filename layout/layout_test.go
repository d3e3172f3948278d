package layout

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestFitCurve(t *testing.T) {
	for _, tc := range []struct{ minDist, spread, a, b float64 }{
		{0.1, 1, 1.577, 0.895}, // values quoted by the reference for its defaults
		{0.001, 1, 1.929, 0.7915},
		{0.5, 1, 0.583, 1.334},
	} {
		a, b := FitCurve(tc.minDist, tc.spread)
		if math.Abs(a-tc.a) > 0.01*tc.a || math.Abs(b-tc.b) > 0.01*tc.b {
			t.Errorf("FitCurve(%v,%v) = %.4f, %.4f; want ≈ %.4f, %.4f", tc.minDist, tc.spread, a, b, tc.a, tc.b)
		}
	}
}

func TestSmoothKNN(t *testing.T) {
	d := []float32{1, 1.5, 2, 2.5, 3, 4, 5, 6}
	rho, sigma := smoothKNN(d, nil)
	if rho != 1 {
		t.Fatalf("rho = %v", rho)
	}
	s := 0.0
	for _, x := range d {
		s += membership(x, rho, sigma)
	}
	if math.Abs(s-3) > 1e-4 { // log2(8)
		t.Fatalf("Σ memberships = %v, want 3 (sigma %v)", s, sigma)
	}
}

func TestFuzzyGraphSymmetric(t *testing.T) {
	bd := cachedBlobs(t, 300, 3)
	g := fuzzyGraph(bd.nb, bd.ds)
	w := map[[2]int32]float32{}
	for i := range g.n {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			if g.col[e] == int32(i) || g.w[e] <= 0 || g.w[e] > 1 {
				t.Fatalf("bad edge %d→%d w=%v", i, g.col[e], g.w[e])
			}
			w[[2]int32{int32(i), g.col[e]}] = g.w[e]
		}
	}
	for k, v := range w {
		if w[[2]int32{k[1], k[0]}] != v {
			t.Fatalf("edge %v weight %v, reverse %v", k, v, w[[2]int32{k[1], k[0]}])
		}
	}
}

// clusterSeparation is the smallest distance between 2-D cluster centroids
// divided by the largest RMS radius of a cluster.
func clusterSeparation(coords [][2]float32, labels []int, c int) float64 {
	cen := make([][2]float64, c)
	cnt := make([]float64, c)
	for i, p := range coords {
		cen[labels[i]][0] += float64(p[0])
		cen[labels[i]][1] += float64(p[1])
		cnt[labels[i]]++
	}
	for k := range cen {
		cen[k][0] /= cnt[k]
		cen[k][1] /= cnt[k]
	}
	rad := make([]float64, c)
	for i, p := range coords {
		dx, dy := float64(p[0])-cen[labels[i]][0], float64(p[1])-cen[labels[i]][1]
		rad[labels[i]] += dx*dx + dy*dy
	}
	maxRad := 0.0
	for k := range rad {
		maxRad = max(maxRad, math.Sqrt(rad[k]/cnt[k]))
	}
	minSep := math.Inf(1)
	for a := range c {
		for b := a + 1; b < c; b++ {
			minSep = min(minSep, math.Hypot(cen[a][0]-cen[b][0], cen[a][1]-cen[b][1]))
		}
	}
	return minSep / maxRad
}

func TestUMAPClusters(t *testing.T) {
	n, epochs := 1200, 200
	if raceEnabled {
		n, epochs = 300, 60
	}
	for _, tc := range []struct {
		name     string
		clusters int
		pcaInit  bool
		workers  int
	}{
		{"3 blobs spectral", 3, false, 2},
		{"4 blobs pca init", 4, true, 2},
		{"5 blobs spectral 1 worker", 5, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bd := cachedBlobs(t, n, tc.clusters)
			o := DefaultOptions()
			o.Epochs, o.Workers, o.Seed = epochs, tc.workers, 42
			var init [][2]float32
			if tc.pcaInit {
				var err error
				if init, err = PCA(context.Background(), bd.vecs, o); err != nil {
					t.Fatal(err)
				}
			}
			calls := 0
			o.Progress = func(done, total int) { calls++ }
			got, err := UMAP(context.Background(), bd.nb, bd.ds, init, o)
			if err != nil {
				t.Fatal(err)
			}
			if calls == 0 {
				t.Error("Progress never called")
			}
			agree := NeighborAgreement2D(got, bd.labels, 10)
			sep := clusterSeparation(got, bd.labels, tc.clusters)
			t.Logf("n=%d 10-NN agreement 2-D %.4f (high-dim %.4f), separation %.1f", n, agree, HighDimAgreement(bd.nb, bd.labels, 10), sep)
			if agree < 0.95 {
				t.Errorf("agreement %.4f < 0.95", agree)
			}
			if sep < 2 {
				t.Errorf("clusters not separated: min centroid distance / max radius = %.2f", sep)
			}
			for i, p := range got {
				if !finite32(p[0]) || !finite32(p[1]) {
					t.Fatalf("point %d not finite: %v", i, p)
				}
			}
		})
	}
}

func TestUMAPDeterminism(t *testing.T) {
	n := 800
	if raceEnabled {
		n = 200
	}
	bd := cachedBlobs(t, n, 4)
	run := func(workers int, seed int64) [][2]float32 {
		o := DefaultOptions()
		o.Epochs, o.Workers, o.Seed = 50, workers, seed
		got, err := UMAP(context.Background(), bd.nb, bd.ds, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a, b := run(1, 7), run(1, 7)
	if !slices.Equal(a, b) {
		t.Fatal("Workers=1 runs with the same seed differ")
	}
	if c := run(3, 7); !slices.Equal(a, c) {
		t.Fatal("Workers=3 differs from Workers=1 (documented as bit-identical)")
	}
	if d := run(1, 8); slices.Equal(a, d) {
		t.Fatal("different seeds gave identical layouts")
	}
}

func TestUMAPCancel(t *testing.T) {
	bd := cachedBlobs(t, 300, 3)
	ctx, cancel := context.WithCancel(context.Background())
	o := DefaultOptions()
	o.Progress = func(done, total int) {
		if done == 3 {
			cancel()
		}
	}
	if _, err := UMAP(ctx, bd.nb, bd.ds, nil, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := PCA(ctx, bd.vecs, DefaultOptions()); !errors.Is(err, context.Canceled) {
		t.Fatalf("PCA err = %v, want context.Canceled", err)
	}
}

func TestUMAPSmallInputs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		nb   [][]int32
		ds   [][]float32
	}{
		{"empty", nil, nil},
		{"one point", [][]int32{{}}, [][]float32{{}}},
		{"two points", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}},
		{"duplicates and self", [][]int32{{0, 1, 1, 2}, {0, 2}, {0, 1}}, [][]float32{{0, 0, 0, 0}, {0, 0}, {0, 0}}},
		{"isolated point", [][]int32{{1}, {0}, {}}, [][]float32{{1}, {1}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Epochs = 20
			got, err := UMAP(ctx, tc.nb, tc.ds, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.nb) {
				t.Fatalf("%d points out for %d in", len(got), len(tc.nb))
			}
			for i, p := range got {
				if !finite32(p[0]) || !finite32(p[1]) {
					t.Fatalf("point %d not finite: %v", i, p)
				}
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	nan := float32(math.NaN())
	ok := DefaultOptions()
	for _, tc := range []struct {
		name string
		nb   [][]int32
		ds   [][]float32
		init [][2]float32
		o    Options
	}{
		{"row count mismatch", [][]int32{{1}, {0}}, [][]float32{{1}}, nil, ok},
		{"ragged row", [][]int32{{1}, {0}}, [][]float32{{1, 2}, {1}}, nil, ok},
		{"index too large", [][]int32{{2}, {0}}, [][]float32{{1}, {1}}, nil, ok},
		{"negative index", [][]int32{{-1}, {0}}, [][]float32{{1}, {1}}, nil, ok},
		{"NaN distance", [][]int32{{1}, {0}}, [][]float32{{nan}, {1}}, nil, ok},
		{"Inf distance", [][]int32{{1}, {0}}, [][]float32{{float32(math.Inf(1))}, {1}}, nil, ok},
		{"negative distance", [][]int32{{1}, {0}}, [][]float32{{-1}, {1}}, nil, ok},
		{"init length", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, [][2]float32{{0, 0}}, ok},
		{"init NaN", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, [][2]float32{{0, nan}, {1, 1}}, ok},
		{"bad method", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, nil, Options{Method: "tsne"}},
		{"negative epochs", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, nil, Options{Epochs: -1}},
		{"min dist > spread", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, nil, Options{MinDist: 2, Spread: 1}},
		{"NaN learning rate", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, nil, Options{LearningRate: math.NaN()}},
		{"negative sample rate", [][]int32{{1}, {0}}, [][]float32{{1}, {1}}, nil, Options{NegativeSampleRate: -3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UMAP(ctx, tc.nb, tc.ds, tc.init, tc.o)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		v    [][]float32
	}{
		{"ragged vectors", [][]float32{{1, 2}, {1}}},
		{"NaN vector", [][]float32{{1, 2}, {nan, 1}}},
	} {
		t.Run("PCA "+tc.name, func(t *testing.T) {
			if _, err := PCA(ctx, tc.v, ok); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
}
