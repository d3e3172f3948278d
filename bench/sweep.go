package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reef-ml/reef/index"
)

// Grid is the set of configurations Run measures: every backend × M ×
// EfConstruction build, then every Ef × Threads search on it. The exact
// backend ignores M, EfConstruction and Ef and is measured once.
type Grid struct {
	Backends       []string
	M              []int
	EfConstruction []int
	Ef             []int
	K              int
	Threads        []int // search thread counts
	// Repeats is how many timed passes each (ef, threads) point gets; the
	// fastest is reported (best-of-N damps interference from other load on
	// the machine). 0 means 1.
	Repeats int
	// BuildThreads is the parallelism of the timed build; 0 means NumCPU.
	BuildThreads int
	// SerialBuild also times a single-threaded build (it doubles build
	// cost; the serial index is discarded).
	SerialBuild bool
	Seed        int64
	// New builds an empty index; nil means index.New.
	New func(index.Config) (index.Index, error) `json:"-"`
}

// DefaultGrid is a small sweep around reef's defaults.
func DefaultGrid() Grid {
	return Grid{
		Backends:       []string{index.BackendHNSW, index.BackendCoder, index.BackendExact},
		M:              []int{16},
		EfConstruction: []int{200},
		Ef:             []int{10, 20, 40, 80, 160},
		K:              10,
		Threads:        threadCounts(),
		Repeats:        3,
		Seed:           1,
	}
}

func threadCounts() []int {
	if n := runtime.NumCPU(); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// Observer follows a Run. Stage starts a step with total units of work
// (0 = unknown), Advance reports n more units done (it may be called from
// several goroutines), Row reports each finished measurement.
type Observer interface {
	Stage(name string, total int)
	Advance(n int)
	Row(r Row)
}

type nopObserver struct{}

func (nopObserver) Stage(string, int) {}
func (nopObserver) Advance(int)       {}
func (nopObserver) Row(Row)           {}

// batchAdder is implemented by indexes that insert many vectors at once
// in parallel (reef's HNSW).
type batchAdder interface {
	AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error
}

// Run measures w on every configuration of g. It computes w.Truth first if
// it is missing or shorter than g.K. On cancellation it returns the rows
// measured so far together with ctx's error.
func Run(ctx context.Context, w *Workload, g Grid, obs Observer) (*Report, error) {
	if obs == nil {
		obs = nopObserver{}
	}
	if g.K <= 0 || len(w.Train) == 0 || len(w.Queries) == 0 {
		return nil, errors.New("bench: Run needs K > 0, train vectors and queries")
	}
	if len(g.Threads) == 0 {
		g.Threads = []int{1}
	}
	if g.New == nil {
		g.New = index.New
	}
	if len(g.Ef) == 0 {
		g.Ef = []int{0} // the index's default ef
	}
	if len(w.Truth) != len(w.Queries) || len(w.Truth[0]) < g.K {
		obs.Stage("ground truth", len(w.Queries))
		if err := w.ComputeTruth(ctx, g.K, func(int, int) { obs.Advance(1) }); err != nil {
			return nil, err
		}
	}
	rep := &Report{Workload: describe(w, g.K), Machine: CurrentMachine()}
	for _, be := range g.Backends {
		ms, efcs, efs := g.M, g.EfConstruction, g.Ef
		if b, _ := ParseBackend(be); b == index.BackendExact {
			ms, efcs, efs = []int{0}, []int{0}, []int{0}
		}
		for _, m := range ms {
			for _, efc := range efcs {
				cfg := index.DefaultConfig(w.Dim(), w.Metric)
				cfg.Backend, cfg.Quantization = ParseBackend(be)
				cfg.M, cfg.EfConstruction, cfg.Seed = m, efc, g.Seed
				rows, err := runConfig(ctx, w, g, cfg, be, efs, obs)
				rep.Rows = append(rep.Rows, rows...)
				if err != nil {
					return rep, err
				}
			}
		}
	}
	return rep, nil
}

// ParseBackend splits a bench backend name into an index backend and a
// quantization: "hnsw+sq8" is the HNSW backend with sq8 codes.
func ParseBackend(name string) (backend, quantization string) {
	backend, quantization, _ = strings.Cut(name, "+")
	return backend, quantization
}

func runConfig(ctx context.Context, w *Workload, g Grid, cfg index.Config, label string, efs []int, obs Observer) ([]Row, error) {
	name := fmt.Sprintf("%s M=%d efC=%d", label, cfg.M, cfg.EfConstruction)
	var serial time.Duration
	if g.SerialBuild && cfg.Backend != index.BackendExact {
		obs.Stage("build 1 thread "+name, len(w.Train))
		idx, d, _, err := build(ctx, w, g, cfg, 1, obs)
		if err != nil {
			return nil, err
		}
		serial = d
		runtime.KeepAlive(idx)
	}
	threads := g.BuildThreads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	obs.Stage("build "+name, len(w.Train))
	idx, buildTime, bpv, err := build(ctx, w, g, cfg, threads, obs)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, ef := range efs {
		var recall float64
		for ti, t := range g.Threads {
			reps := max(g.Repeats, 1)
			obs.Stage(fmt.Sprintf("search %s ef=%d threads=%d", name, ef, t), reps*len(w.Queries))
			var lat []time.Duration
			var wall time.Duration
			for rep := range reps {
				ids, l, d, err := searchPass(ctx, idx, w, g.K, ef, t, obs)
				if err != nil {
					return rows, err
				}
				if ti == 0 && rep == 0 {
					recall = meanRecall(ids, w.Truth, g.K)
				}
				if rep == 0 || d < wall {
					lat, wall = l, d
				}
			}
			p := percentiles(lat, 0.50, 0.95, 0.99)
			r := Row{
				Source: "reef", Backend: label, M: cfg.M, EfConstruction: cfg.EfConstruction,
				Ef: ef, K: g.K, Threads: t, Recall: recall,
				QPS:       float64(len(w.Queries)) / wall.Seconds(),
				P50Micros: micros(p[0]), P95Micros: micros(p[1]), P99Micros: micros(p[2]),
				BuildSeconds: buildTime.Seconds(), BuildThreads: threads,
				SerialBuildSeconds: serial.Seconds(), BytesPerVector: bpv,
			}
			obs.Row(r)
			rows = append(rows, r)
		}
	}
	runtime.KeepAlive(idx)
	return rows, nil
}

// build inserts every train vector with the given parallelism and returns
// the index, the wall time and its bytes per vector: what the index reports
// (index.MemoryReporter) when it can, else the Go-heap growth. Heap growth
// goes negative when garbage from earlier work is collected during the
// build (the exact backend showed that), so it is only the fallback and is
// clamped at zero ("not measured").
func build(ctx context.Context, w *Workload, g Grid, cfg index.Config, threads int, obs Observer) (index.Index, time.Duration, float64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx, err := g.New(cfg)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("bench: new %s index: %w", cfg.Backend, err)
	}
	n := len(w.Train)
	start := time.Now()
	if ba, ok := idx.(batchAdder); ok && threads > 1 {
		chunk := max(2048, n/50) // chunks only for progress and ctx checks
		for lo := 0; lo < n && err == nil; lo += chunk {
			hi := min(lo+chunk, n)
			ids := make([]uint64, hi-lo)
			for i := range ids {
				ids[i] = uint64(lo + i)
			}
			if err = ctx.Err(); err == nil {
				err = ba.AddBatch(ctx, ids, w.Train[lo:hi], threads)
			}
			obs.Advance(hi - lo)
		}
	} else {
		err = parallel(ctx, n, threads, func(i int) error {
			obs.Advance(1)
			return idx.Add(uint64(i), w.Train[i])
		})
	}
	elapsed := time.Since(start)
	if err != nil {
		return nil, 0, 0, err
	}
	if mr, ok := idx.(index.MemoryReporter); ok && idx.Len() > 0 {
		return idx, elapsed, float64(mr.MemoryBytes()) / float64(idx.Len()), nil
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(idx)
	grew := max(float64(after.HeapAlloc)-float64(before.HeapAlloc), 0)
	return idx, elapsed, grew / float64(n), nil
}

// parallel calls fn(0..n-1) from threads goroutines, stopping at the first
// error or when ctx is done.
func parallel(ctx context.Context, n, threads int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range max(threads, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = fn(i)
				}
				if err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// searchPass searches every query once (after an unmeasured warm-up over
// the first 100) with the given parallelism, returning result IDs, the
// per-query latencies and the wall time of the measured pass.
func searchPass(ctx context.Context, idx index.Index, w *Workload, k, ef, threads int, obs Observer) ([][]uint64, []time.Duration, time.Duration, error) {
	nq := len(w.Queries)
	want := k
	if w.Self != nil {
		want = k + 1
	}
	opts := index.SearchOptions{Ef: ef}
	for i := range min(100, nq) {
		if _, err := idx.Search(ctx, w.Queries[i], want, opts); err != nil {
			return nil, nil, 0, err
		}
	}
	ids := make([][]uint64, nq)
	lat := make([]time.Duration, nq)
	start := time.Now()
	err := parallel(ctx, nq, threads, func(i int) error {
		t0 := time.Now()
		hits, err := idx.Search(ctx, w.Queries[i], want, opts)
		lat[i] = time.Since(t0)
		var self *uint64
		if w.Self != nil {
			self = &w.Self[i]
		}
		ids[i] = hitIDs(hits, k, self)
		obs.Advance(1)
		return err
	})
	return ids, lat, time.Since(start), err
}
