package index

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/reef-ml/reef/fashionmnist"
)

func loadFashion(tb testing.TB) (train, test *fashionmnist.Set) {
	tb.Helper()
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		tb.Skip("Fashion-MNIST not installed in " + fashionmnist.DefaultDir)
	}
	train, err := fashionmnist.Load(fashionmnist.DefaultDir, "train")
	if err != nil {
		tb.Fatal(err)
	}
	test, err = fashionmnist.Load(fashionmnist.DefaultDir, "t10k")
	if err != nil {
		tb.Fatal(err)
	}
	return train, test
}

// groundTruth returns the exact top-k ids per query, computed in parallel.
func groundTruth(tb testing.TB, base [][]float32, queries [][]float32, k int) [][]uint64 {
	tb.Helper()
	ex, _ := NewExact(len(base[0]), L2)
	for i, v := range base {
		ex.Add(uint64(i), v)
	}
	out := make([][]uint64, len(queries))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(queries); i += workers {
				hits, _ := ex.Search(context.Background(), queries[i], k, SearchOptions{})
				for _, h := range hits {
					out[i] = append(out[i], h.ID)
				}
			}
		})
	}
	wg.Wait()
	return out
}

func recallVs(truth [][]uint64, got [][]Hit) float64 {
	found, total := 0, 0
	for i, want := range truth {
		set := make(map[uint64]bool, len(want))
		for _, id := range want {
			set[id] = true
		}
		for _, h := range got[i] {
			if set[h.ID] {
				found++
			}
		}
		total += len(want)
	}
	return float64(found) / float64(total)
}

func TestFashionMNISTSubset(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("too slow under -race / -short")
	}
	train, test := loadFashion(t)
	base, queries := train.Images[:10000], test.Images[:200]
	h, _ := NewHNSW(DefaultConfig(784, L2))
	if err := h.AddBatch(context.Background(), seqIDs(len(base), 0), base, 0); err != nil {
		t.Fatal(err)
	}
	truth := groundTruth(t, base, queries, 10)
	got := make([][]Hit, len(queries))
	for i, q := range queries {
		got[i], _ = h.Search(context.Background(), q, 10, SearchOptions{Ef: 64})
	}
	r := recallVs(truth, got)
	t.Logf("Fashion-MNIST 10k recall@10 (ef=64) = %.4f", r)
	if r < 0.95 {
		t.Errorf("recall %.3f < 0.95", r)
	}
}

var fashionEfs = []int{10, 20, 40, 80, 120, 200, 400}

// BenchmarkFashionMNIST builds reef's HNSW on the 60k training set (L2,
// M=16, efC=200, AddBatch on all cores) and measures single-threaded
// recall@10 and QPS over 1000 test queries per ef.
func BenchmarkFashionMNIST(b *testing.B) {
	benchFashion(b, BackendHNSW, fashionEfs)
}

// BenchmarkFashionMNISTSQ8 is the same with the sq8 quantised walk.
func BenchmarkFashionMNISTSQ8(b *testing.B) {
	benchFashion(b, "hnsw+sq8", fashionEfs)
}

// BenchmarkFashionMNISTCoder is the same for the coder/hnsw v0.6.1 wrapper
// (built serially: it is not safe for concurrent use).
func BenchmarkFashionMNISTCoder(b *testing.B) {
	benchFashion(b, BackendCoder, fashionEfs)
}

func benchFashion(b *testing.B, backend string, efs []int) {
	train, test := loadFashion(b)
	const nq = 1000
	queries := test.Images[:nq]
	idx, err := New(backendConfig(backend, 784, L2))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	mustAddAll(b, idx, seqIDs(len(train.Images), 0), train.Images)
	build := time.Since(start)
	bpv := 0.0
	if h, ok := idx.(*HNSW); ok {
		bpv = float64(h.MemoryBytes()) / float64(h.Len())
	}
	b.Logf("%s: built %d vectors in %v (GOMAXPROCS=%d), %.0f bytes/vector", backend, idx.Len(), build, runtime.GOMAXPROCS(0), bpv)
	truth := groundTruth(b, train.Images, queries, 10)
	got := make([][]Hit, nq)
	ctx := context.Background()
	for _, ef := range efs {
		b.Run(fmt.Sprintf("ef=%d", ef), func(b *testing.B) {
			opts := SearchOptions{Ef: ef}
			var elapsed time.Duration
			var runs int
			for b.Loop() {
				t0 := time.Now()
				for i, q := range queries {
					got[i], _ = idx.Search(ctx, q, 10, opts)
				}
				elapsed += time.Since(t0)
				runs++
			}
			b.ReportMetric(recallVs(truth, got), "recall@10")
			b.ReportMetric(float64(runs*nq)/elapsed.Seconds(), "QPS")
			b.ReportMetric(build.Seconds(), "build_s")
			if bpv > 0 {
				b.ReportMetric(bpv, "bytes/vec")
			}
		})
	}
}
