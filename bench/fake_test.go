package bench

import (
	"context"
	"slices"
	"sync"

	"github.com/reef-ml/reef/index"
)

// fakeIndex is an exact L2 index whose answers are deliberately degraded:
// correct(ef, k, q) says how many of the k true neighbours it returns for
// query q (identified by q[0]); the rest are bogus IDs. nil means all.
type fakeIndex struct {
	mu       sync.Mutex
	dim      int
	vecs     map[uint64][]float32
	correct  func(ef, k int, q []float32) int
	searches int
}

func newFake(dim int, correct func(ef, k int, q []float32) int) *fakeIndex {
	return &fakeIndex{dim: dim, vecs: map[uint64][]float32{}, correct: correct}
}

func (f *fakeIndex) Dim() int             { return f.dim }
func (f *fakeIndex) Metric() index.Metric { return index.L2 }
func (f *fakeIndex) Len() int             { f.mu.Lock(); defer f.mu.Unlock(); return len(f.vecs) }
func (f *fakeIndex) Delete(id uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.vecs, id)
	return true
}
func (f *fakeIndex) IDs(fn func(uint64) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := range f.vecs {
		if !fn(id) {
			return
		}
	}
}

func (f *fakeIndex) Add(id uint64, v []float32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vecs[id] = slices.Clone(v)
	return nil
}

func (f *fakeIndex) Search(ctx context.Context, q []float32, k int, o index.SearchOptions) ([]index.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches++
	hits := make([]index.Hit, 0, len(f.vecs))
	for id, v := range f.vecs {
		var d float32
		for i := range v {
			x := v[i] - q[i]
			d += x * x
		}
		hits = append(hits, index.Hit{ID: id, Distance: d})
	}
	slices.SortFunc(hits, func(a, b index.Hit) int {
		if a.Distance != b.Distance {
			if a.Distance < b.Distance {
				return -1
			}
			return 1
		}
		return int(a.ID) - int(b.ID)
	})
	hits = hits[:min(k, len(hits))]
	if f.correct != nil {
		for j := f.correct(max(o.Ef, k), k, q); j < len(hits); j++ {
			hits[j].ID = 1<<40 + uint64(j)
		}
	}
	return hits, nil
}

func fakeNew(correct func(ef, k int, q []float32) int) func(index.Config) (index.Index, error) {
	return func(c index.Config) (index.Index, error) { return newFake(c.Dim, correct), nil }
}
