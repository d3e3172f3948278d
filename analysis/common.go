package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/viterin/vek/vek32"

	"github.com/reef-ml/reef/index"
)

// Errors returned for invalid input.
var (
	ErrInvalidInput = errors.New("analysis: invalid input")
	ErrFormat       = errors.New("analysis: malformed graph encoding")
)

// Options are shared by every long computation.
type Options struct {
	// Workers is the number of goroutines; <= 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Progress, when set, is called serially with the number of work items
	// done so far (non-decreasing) and the total.
	Progress func(done, total int)
}

// Neighbor is one search result: a point index and its distance.
type Neighbor struct {
	Index    int32
	Distance float32
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// parallelFor runs fn over [0,n) in chunks on o.workers() goroutines. It
// stops at the first error or when ctx is cancelled.
func parallelFor(ctx context.Context, n int, o Options, fn func(lo, hi int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	w := o.workers()
	if w > n {
		w = n
	}
	chunk := n / (w * 32)
	if chunk < 1 {
		chunk = 1
	}
	if chunk > 1024 {
		chunk = 1024
	}
	var (
		next     atomic.Int64
		stop     atomic.Bool
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		stop.Store(true)
	}
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				hi := min(lo+chunk, n)
				if err := fn(lo, hi); err != nil {
					fail(err)
					return
				}
				if o.Progress != nil {
					mu.Lock()
					done += hi - lo
					o.Progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// distanceFunc returns the distance for m. Under Cosine the inputs must
// already be unit length (see normalizedCopy).
func distanceFunc(m index.Metric) (func(a, b []float32) float32, error) {
	switch m {
	case index.L2:
		return vek32.Distance, nil
	case index.Cosine:
		return func(a, b []float32) float32 { return 1 - vek32.Dot(a, b) }, nil
	case index.Dot:
		return func(a, b []float32) float32 { return -vek32.Dot(a, b) }, nil
	}
	return nil, invalid("unknown metric %d", uint8(m))
}

// checkVectors validates that all vectors share one dimension and are finite
// (and non-zero under Cosine). It returns the dimension.
func checkVectors(vs [][]float32, m index.Metric) (int, error) {
	if len(vs) == 0 {
		return 0, nil
	}
	d := len(vs[0])
	if d == 0 {
		return 0, invalid("zero-dimensional vectors")
	}
	for i, v := range vs {
		if len(v) != d {
			return 0, invalid("vector %d has dimension %d, want %d", i, len(v), d)
		}
		var sq float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return 0, invalid("vector %d has a NaN or Inf component", i)
			}
			sq += float64(x) * float64(x)
		}
		if m == index.Cosine && sq == 0 {
			return 0, invalid("vector %d is zero under cosine", i)
		}
	}
	return d, nil
}

// normalizedCopy returns unit-length copies of vs in one backing array.
func normalizedCopy(vs [][]float32) [][]float32 {
	out := make([][]float32, len(vs))
	if len(vs) == 0 {
		return out
	}
	d := len(vs[0])
	buf := make([]float32, len(vs)*d)
	for i, v := range vs {
		dst := buf[i*d : (i+1)*d : (i+1)*d]
		copy(dst, v)
		normalize(dst)
		out[i] = dst
	}
	return out
}

func normalize(v []float32) {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	if sq == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sq))
	for i := range v {
		v[i] *= inv
	}
}

// unionFind is a disjoint-set forest with path halving and union by size.
type unionFind struct {
	parent []int32
	size   []int32
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int32, n), size: make([]int32, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		u.size[i] = 1
	}
	return u
}

func (u *unionFind) find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// union merges the sets of a and b and reports whether they were distinct.
func (u *unionFind) union(a, b int32) bool {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return false
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
	return true
}

func invalidWrap(base error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", base, fmt.Sprintf(format, args...))
}
