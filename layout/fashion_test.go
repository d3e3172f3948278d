package layout

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

// indexKNN builds reef's HNSW index over vecs (L2) with AddBatch and
// returns every point's k nearest other points with Euclidean distances.
func indexKNN(tb testing.TB, vecs [][]float32, k int) ([][]int32, [][]float32) {
	tb.Helper()
	ctx := context.Background()
	idx, err := index.New(index.DefaultConfig(len(vecs[0]), index.L2))
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]uint64, len(vecs))
	for i := range ids {
		ids[i] = uint64(i)
	}
	ab, ok := idx.(interface {
		AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error
	})
	if !ok {
		tb.Fatal("index has no AddBatch")
	}
	if err := ab.AddBatch(ctx, ids, vecs, 0); err != nil {
		tb.Fatal(err)
	}
	n := len(vecs)
	nb := make([][]int32, n)
	ds := make([][]float32, n)
	errs := make([]error, (n+255)/256)
	parallel(2, len(errs), func(c int) {
		lo, hi := chunkRange(c, 256, n)
		for i := lo; i < hi; i++ {
			hits, err := idx.Search(ctx, vecs[i], k+1, index.SearchOptions{})
			if err != nil {
				errs[c] = err
				return
			}
			row := make([]int32, 0, k)
			drow := make([]float32, 0, k)
			for _, h := range hits {
				if int(h.ID) == i || len(row) == k {
					continue
				}
				row = append(row, int32(h.ID))
				drow = append(drow, h.Distance)
			}
			nb[i], ds[i] = row, drow
		}
	})
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return nb, ds
}

func loadFashion(tb testing.TB, splits ...string) ([][]float32, []int) {
	tb.Helper()
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		tb.Skip("Fashion-MNIST not installed in " + fashionmnist.DefaultDir)
	}
	var vecs [][]float32
	var labels []int
	for _, s := range splits {
		set, err := fashionmnist.Load(fashionmnist.DefaultDir, s)
		if err != nil {
			tb.Fatal(err)
		}
		vecs = append(vecs, set.Images...)
		for _, l := range set.Labels {
			labels = append(labels, int(l))
		}
	}
	return vecs, labels
}

// TestFashionMNIST5k lays out 5,000 Fashion-MNIST test images from their
// 15-NN (reef's HNSW index) and compares 10-NN label agreement in 2-D with
// that in 784-D.
func TestFashionMNIST5k(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("slow under -race / -short")
	}
	vecs, labels := loadFashion(t, "t10k")
	vecs, labels = vecs[:5000], labels[:5000]
	t0 := time.Now()
	nb, ds := indexKNN(t, vecs, 15)
	tKNN := time.Since(t0)
	o := DefaultOptions()
	o.Epochs = 200
	t0 = time.Now()
	got, err := UMAP(context.Background(), nb, ds, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	tUMAP := time.Since(t0)
	pca, err := PCA(context.Background(), vecs, o)
	if err != nil {
		t.Fatal(err)
	}
	a2, aHi, aPCA := NeighborAgreement2D(got, labels, 10), HighDimAgreement(nb, labels, 10), NeighborAgreement2D(pca, labels, 10)
	t.Logf("Fashion-MNIST 5k: kNN %v, UMAP %v; 10-NN label agreement: UMAP 2-D %.4f, PCA 2-D %.4f, 784-D %.4f", tKNN.Round(time.Millisecond), tUMAP.Round(time.Millisecond), a2, aPCA, aHi)
	if a2 < 0.85*aHi || a2 <= aPCA {
		t.Errorf("UMAP agreement %.4f too low (784-D %.4f, PCA %.4f)", a2, aHi, aPCA)
	}
}

// BenchmarkFashionMNIST70k (REEF_HEAVY=1) lays out all 70,000 Fashion-MNIST
// images from 15-NN found by reef's HNSW index; the kNN time is reported
// separately (knn-s) from the layout (ns/op).
func BenchmarkFashionMNIST70k(b *testing.B) {
	if !heavy() {
		b.Skip("set REEF_HEAVY=1")
	}
	vecs, labels := loadFashion(b, "train", "t10k")
	t0 := time.Now()
	nb, ds := indexKNN(b, vecs, 15)
	knn := time.Since(t0)
	benchLayout(b, nb, ds, labels, knn, nil)
}

// BenchmarkFashionMNIST10k is the 10,000 test images, for scaling.
func BenchmarkFashionMNIST10k(b *testing.B) {
	if !heavy() {
		b.Skip("set REEF_HEAVY=1")
	}
	vecs, labels := loadFashion(b, "t10k")
	t0 := time.Now()
	nb, ds := indexKNN(b, vecs, 15)
	benchLayout(b, nb, ds, labels, time.Since(t0), func(o *Options) { o.Epochs = 200 })
}

// BenchmarkSynthetic200k: 200,000 points from 20 Gaussian blobs in 16-D,
// 15-NN from HNSW, for extrapolating to 1M points.
func BenchmarkSynthetic200k(b *testing.B) {
	if !heavy() {
		b.Skip("set REEF_HEAVY=1")
	}
	vecs, labels := blobs(200_000, 16, 20, 12, 99)
	t0 := time.Now()
	nb, ds := indexKNN(b, vecs, 15)
	benchLayout(b, nb, ds, labels, time.Since(t0), nil)
}

// BenchmarkSynthetic1M: 1,000,000 points from 20 Gaussian blobs in 16-D,
// 15-NN from HNSW: the measured (not extrapolated) 1M layout.
func BenchmarkSynthetic1M(b *testing.B) {
	if !heavy() {
		b.Skip("set REEF_HEAVY=1")
	}
	vecs, labels := blobs(1_000_000, 16, 20, 12, 99)
	t0 := time.Now()
	nb, ds := indexKNN(b, vecs, 15)
	benchLayout(b, nb, ds, labels, time.Since(t0), nil)
}

func benchLayout(b *testing.B, nb [][]int32, ds [][]float32, labels []int, knn time.Duration, tweak func(*Options)) {
	b.ReportMetric(knn.Seconds(), "knn-s")
	o := DefaultOptions()
	if tweak != nil {
		tweak(&o)
	}
	var got [][2]float32
	for b.Loop() {
		var err error
		if got, err = UMAP(context.Background(), nb, ds, nil, o); err != nil {
			b.Fatal(err)
		}
	}
	a2, aHi := NeighborAgreement2D(got, labels, 10), HighDimAgreement(nb, labels, 10)
	b.ReportMetric(a2, "agree2d")
	b.ReportMetric(aHi, "agreeHD")
	fmt.Printf("%s: n=%d kNN %v; 10-NN agreement 2-D %.4f vs high-dim %.4f\n", b.Name(), len(nb), knn.Round(time.Millisecond), a2, aHi)
}
