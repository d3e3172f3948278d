package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/vec"
)

// Workload is a data set to index, held-out queries and their exact nearest
// neighbours. Train vector i is indexed under ID uint64(i).
type Workload struct {
	Name    string
	Metric  index.Metric
	Train   [][]float32
	Queries [][]float32
	// Truth[q] holds the IDs of the exact nearest train vectors of query q,
	// nearest first. ComputeTruth fills it; len(Truth[q]) must be >= k.
	Truth [][]uint64
	// Self[q], when Self is not nil, is the train ID query q was sampled
	// from (Sampled workloads). It is excluded from Truth[q], and searches
	// ask for one extra result and drop it.
	Self []uint64
}

// Dim is the vector dimension (0 for an empty workload).
func (w *Workload) Dim() int {
	if len(w.Train) == 0 {
		return 0
	}
	return len(w.Train[0])
}

// ComputeTruth fills w.Truth with the exact k nearest neighbours of every
// query, using all cores. progress may be nil.
func (w *Workload) ComputeTruth(ctx context.Context, k int, progress func(done, total int)) error {
	t, err := groundTruth(ctx, w.Metric, w.Train, w.Queries, k, runtime.NumCPU(), w.Self, progress)
	if err != nil {
		return err
	}
	w.Truth = t
	return nil
}

// FashionMNIST uses the first nTrain images of the train split as data and
// the first nQueries images of t10k as held-out queries, under L2 on raw
// pixel values. Zero or oversized counts mean the whole split. Truth is left
// empty (see ComputeTruth; Run computes it on demand).
func FashionMNIST(dir string, nTrain, nQueries int) (*Workload, error) {
	if !fashionmnist.Available(dir) {
		return nil, fmt.Errorf("bench: Fashion-MNIST not found in %s (Debian: apt-get install dataset-fashion-mnist)", dir)
	}
	train, err := fashionmnist.Load(dir, "train")
	if err != nil {
		return nil, err
	}
	test, err := fashionmnist.Load(dir, "t10k")
	if err != nil {
		return nil, err
	}
	tr, qs := clip(train.Images, nTrain), clip(test.Images, nQueries)
	return &Workload{
		Name:   fmt.Sprintf("fashion-mnist n=%d q=%d", len(tr), len(qs)),
		Metric: index.L2, Train: tr, Queries: qs,
	}, nil
}

func clip(v [][]float32, n int) [][]float32 {
	if n <= 0 || n > len(v) {
		return v
	}
	return v[:n]
}

// Synthetic draws n data vectors and nQueries held-out queries from the same
// Gaussian mixture: about sqrt(n)/4 (at least 8) cluster centres with unit
// variance per coordinate, points spread around them with sd 0.35. The
// clusters give HNSW realistic structure; uniform noise would not. L2 metric.
func Synthetic(n, dim, nQueries int, seed int64) (*Workload, error) {
	if n <= 0 || dim <= 0 || nQueries <= 0 {
		return nil, errors.New("bench: Synthetic needs n, dim and nQueries > 0")
	}
	rng := rand.New(rand.NewSource(seed))
	nc := max(8, int(math.Sqrt(float64(n))/4))
	centres := make([][]float32, nc)
	for i := range centres {
		centres[i] = gaussian(rng, nil, dim, 1)
	}
	draw := func(m int) [][]float32 {
		out := make([][]float32, m)
		for i := range out {
			out[i] = gaussian(rng, centres[rng.Intn(nc)], dim, 0.35)
		}
		return out
	}
	return &Workload{
		Name:   fmt.Sprintf("synthetic n=%d d=%d q=%d seed=%d", n, dim, nQueries, seed),
		Metric: index.L2, Train: draw(n), Queries: draw(nQueries),
	}, nil
}

func gaussian(rng *rand.Rand, mean []float32, dim int, sd float64) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * sd)
		if mean != nil {
			v[i] += mean[i]
		}
	}
	return v
}

// Sampled turns a user's vectors (no held-out set) into a workload: nQueries
// distinct vectors are sampled as queries but stay in the data; each query's
// own ID is excluded from its truth and from its search results.
func Sampled(vectors [][]float32, metric index.Metric, nQueries int, seed int64) (*Workload, error) {
	if nQueries <= 0 || nQueries >= len(vectors) {
		return nil, fmt.Errorf("bench: Sampled needs 0 < nQueries < %d", len(vectors))
	}
	perm := rand.New(rand.NewSource(seed)).Perm(len(vectors))[:nQueries]
	w := &Workload{
		Name:   fmt.Sprintf("sampled n=%d q=%d seed=%d", len(vectors), nQueries, seed),
		Metric: metric, Train: vectors,
		Queries: make([][]float32, nQueries), Self: make([]uint64, nQueries),
	}
	for i, p := range perm {
		w.Queries[i], w.Self[i] = vectors[p], uint64(p)
	}
	return w, nil
}

// GroundTruth returns, for every query, the IDs (indexes into train) of its
// k nearest train vectors under metric, nearest first, ties broken by lower
// ID. It splits the queries over workers goroutines (<=0 means NumCPU) and
// calls progress (if not nil) as queries complete.
func GroundTruth(ctx context.Context, metric index.Metric, train, queries [][]float32, k, workers int, progress func(done, total int)) ([][]uint64, error) {
	return groundTruth(ctx, metric, train, queries, k, workers, nil, progress)
}

func groundTruth(ctx context.Context, metric index.Metric, train, queries [][]float32, k, workers int, self []uint64, progress func(done, total int)) ([][]uint64, error) {
	if k <= 0 {
		return nil, errors.New("bench: k must be positive")
	}
	dist, err := exactDistance(metric, train)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	out := make([][]uint64, len(queries))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := vec.NewTopK(k)
			for ctx.Err() == nil {
				q := int(next.Add(1) - 1)
				if q >= len(queries) {
					return
				}
				h.Reset()
				skip := int64(-1)
				if self != nil {
					skip = int64(self[q])
				}
				qd := dist(queries[q])
				for i := range train {
					if int64(i) != skip {
						h.Push(uint64(i), qd(i))
					}
				}
				out[q] = sortedIDs(h)
				if d := done.Add(1); progress != nil {
					mu.Lock()
					progress(int(d), len(queries))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
