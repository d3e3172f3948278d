package bench

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"

	"github.com/reef-ml/reef/index"
)

type countObserver struct {
	stages, advanced, rows atomic.Int64
}

func (c *countObserver) Stage(string, int) { c.stages.Add(1) }
func (c *countObserver) Advance(n int)     { c.advanced.Add(int64(n)) }
func (c *countObserver) Row(Row)           { c.rows.Add(1) }

// rising returns ef/10 of k correct, so recall@10 is min(1, ef/100).
func rising(ef, k int, _ []float32) int { return min(k, ef*k/100) }

func TestRunWithFake(t *testing.T) {
	w, _ := Synthetic(300, 8, 20, 1)
	g := Grid{Backends: []string{"fake", index.BackendExact}, M: []int{8, 16}, EfConstruction: []int{50},
		Ef: []int{10, 50, 100}, K: 10, Threads: []int{1, 2}, SerialBuild: true}
	g.New = func(c index.Config) (index.Index, error) {
		if c.Backend == index.BackendExact {
			return newFake(c.Dim, nil), nil
		}
		return newFake(c.Dim, rising), nil
	}
	obs := &countObserver{}
	rep, err := Run(context.Background(), w, g, obs)
	if err != nil {
		t.Fatal(err)
	}
	// fake: 2 M × 3 ef × 2 threads; exact: 1 config × 1 ef × 2 threads.
	if len(rep.Rows) != 12+2 || obs.rows.Load() != 14 {
		t.Fatalf("%d rows (%d observed), want 14", len(rep.Rows), obs.rows.Load())
	}
	for _, r := range rep.Rows {
		want := 1.0
		if r.Backend == "fake" {
			want = float64(r.Ef) / 100
		}
		if math.Abs(r.Recall-want) > 1e-12 || r.QPS <= 0 || r.P50Micros > r.P99Micros || r.BuildThreads < 1 {
			t.Errorf("row %+v: recall want %v", r, want)
		}
		if r.Backend == "fake" && r.SerialBuildSeconds <= 0 {
			t.Errorf("row %+v: no serial build time", r)
		}
	}
	if len(w.Truth) != 20 || rep.Workload.N != 300 || rep.Machine.NumCPU < 1 {
		t.Fatalf("truth %d, workload %+v", len(w.Truth), rep.Workload)
	}
	if obs.advanced.Load() < int64(len(w.Queries)) {
		t.Errorf("observer advanced only %d", obs.advanced.Load())
	}
}

func TestRunSampledDropsSelf(t *testing.T) {
	base, _ := Synthetic(200, 6, 1, 2)
	w, _ := Sampled(base.Train, index.L2, 15, 3)
	rep, err := Run(context.Background(), w, Grid{Backends: []string{index.BackendExact}, K: 5, New: fakeNew(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows[0].Recall != 1 {
		t.Fatalf("recall %v, want 1 with self dropped", rep.Rows[0].Recall)
	}
}

func TestRunCancelled(t *testing.T) {
	w, _ := Synthetic(100, 4, 5, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, w, Grid{Backends: []string{"fake"}, M: []int{4}, EfConstruction: []int{8}, Ef: []int{10}, K: 3, New: fakeNew(nil)}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestRunRealIndexes is a small end-to-end run on index.New.
func TestRunRealIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	w, _ := Synthetic(1500, 16, 50, 7)
	g := DefaultGrid()
	g.Ef = []int{10, 80}
	g.Threads = []int{2}
	rep, err := Run(context.Background(), w, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Backend == index.BackendExact && r.Recall < 0.999 {
			t.Errorf("exact recall %v", r.Recall)
		}
		if r.Backend == index.BackendHNSW && r.Ef == 80 && r.Recall < 0.9 {
			t.Errorf("hnsw ef=80 recall %v", r.Recall)
		}
	}
}

func BenchmarkSearchPass(b *testing.B) {
	w, _ := Synthetic(2000, 32, 100, 1)
	idx, _ := index.New(index.DefaultConfig(32, index.L2))
	for i, v := range w.Train {
		idx.Add(uint64(i), v)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := searchPass(context.Background(), idx, w, 10, 64, 1, nopObserver{}); err != nil {
			b.Fatal(err)
		}
	}
}

// churnObserver holds 32 MB from the start of every stage until the next
// index is created, like a server whose other garbage is collected while
// an index builds.
type churnObserver struct {
	countObserver
	held []byte
}

func (c *churnObserver) Stage(string, int) { c.held = make([]byte, 32<<20) }

// TestRunBytesPerVector: every reef backend reports a positive size of at
// least its stored vector. Heap growth around the build went negative when
// other memory was freed meanwhile (the exact backend's negative bytes per
// vector); index-reported sizes do not depend on what else runs.
func TestRunBytesPerVector(t *testing.T) {
	const dim = 16
	w, _ := Synthetic(2000, dim, 10, 3)
	obs := &churnObserver{}
	g := Grid{Backends: []string{index.BackendExact, index.BackendHNSW, "hnsw+sq8", index.BackendCoder}, M: []int{8},
		EfConstruction: []int{40}, Ef: []int{20}, K: 5, Threads: []int{1}, Seed: 1}
	g.New = func(c index.Config) (index.Index, error) {
		obs.held = nil
		return index.New(c)
	}
	rep, err := Run(context.Background(), w, g, obs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		seen[r.Backend] = true
		if r.BytesPerVector < 4*dim || r.BytesPerVector > 40*dim {
			t.Errorf("%s: %.0f bytes per vector, want in [%d, %d]", r.Backend, r.BytesPerVector, 4*dim, 40*dim)
		}
	}
	if len(seen) != 4 {
		t.Errorf("backends measured: %v", seen)
	}
}

func TestParseBackend(t *testing.T) {
	for _, tc := range []struct{ in, backend, quant string }{
		{"hnsw", "hnsw", ""}, {"hnsw+sq8", "hnsw", "sq8"}, {"exact", "exact", ""},
	} {
		if b, q := ParseBackend(tc.in); b != tc.backend || q != tc.quant {
			t.Errorf("ParseBackend(%q) = %q, %q", tc.in, b, q)
		}
	}
}
