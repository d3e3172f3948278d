package index

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/reef-ml/reef/vec"
)

// Self-tuned default ef.
//
// With Config.TargetRecall set, the index measures recall@10 on a sample
// of its own vectors (each one's exact neighbours computed by brute force,
// itself excluded) when it first holds tuneMin vectors and again whenever
// it has doubled since, and makes the smallest ef reaching the target the
// default for searches that set none. A stored vector searched for itself
// would be far easier than a held-out query (the walk reaches it and then
// its own links, its exact neighbours), so the tune's walks treat the
// query's node as absent, and aim tuneMargin above the target.

var tuneMin = 1000 // a var so tests can tune small indexes

const (
	tuneSample = 200
	tuneK      = 10
	tuneMargin = 0.01
)

// tuneEfs are the ef values tried, in order.
var tuneEfs = []int{10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200, 256, 320, 400, 512}

// DefaultEf is the ef a search without SearchOptions.Ef uses: the tuned
// one when the index has tuned itself, else Config.EfSearch.
func (h *HNSW) DefaultEf() int {
	if ef := h.efTuned.Load(); ef > 0 {
		return int(ef)
	}
	return h.cfg.EfSearch
}

// maybeTune re-tunes the default ef when the index reached tuneMin or
// doubled since the last tune.
func (h *HNSW) maybeTune() {
	if h.cfg.TargetRecall == 0 {
		return
	}
	n := h.Len()
	if n < tuneMin || n < 2*int(h.tunedAt.Load()) {
		return
	}
	h.tuneMu.Lock()
	defer h.tuneMu.Unlock()
	if n < 2*int(h.tunedAt.Load()) {
		return
	}
	ef, _, err := h.TuneEf(context.Background(), h.cfg.TargetRecall+tuneMargin)
	if err != nil {
		return // only cancellation; the previous default stays
	}
	h.efTuned.Store(int32(ef))
	h.tunedAt.Store(int64(n))
}

// TuneEf measures recall@10 on up to 200 stored vectors and returns the
// smallest ef in its ladder that reaches target (the largest tried if none
// does) with the recall it measured there. It does not change the index.
func (h *HNSW) TuneEf(ctx context.Context, target float64) (int, float64, error) {
	queries, self, slots := h.tuneSample()
	if len(queries) == 0 {
		return h.cfg.EfSearch, math.NaN(), nil
	}
	truth := make([][]uint64, len(queries))
	for i, q := range queries {
		t, err := h.exactNeighbours(ctx, q, self[i])
		if err != nil {
			return 0, 0, err
		}
		truth[i] = t
	}
	var ef int
	var recall float64
	for _, ef = range tuneEfs {
		hits := 0
		for i, q := range queries {
			res, err := h.search(ctx, q, tuneK+1, SearchOptions{Ef: ef}, slots[i])
			if err != nil {
				return 0, 0, fmt.Errorf("tune ef %d: %w", ef, err)
			}
			hits += overlap(res, truth[i], self[i])
		}
		recall = float64(hits) / float64(tuneK*len(queries))
		if recall >= target {
			break
		}
	}
	return ef, recall, nil
}

// tuneSample copies up to tuneSample evenly spaced stored vectors (not
// the entry point, which a walk cannot skip) with their labels and slots.
func (h *HNSW) tuneSample() ([][]float32, []uint64, []uint32) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ep, _ := h.entry()
	// Inserts may run meanwhile (they allocate slots under allocMu, not
	// mu): only slots marked ready are read, as exactScan does.
	n := len(h.ready)
	step := max(1, n/tuneSample)
	var qs [][]float32
	var ids []uint64
	var slots []uint32
	for s := 0; s < n && len(qs) < tuneSample; s += step {
		if atomic.LoadUint32(&h.ready[s]) == 0 || uint32(s) == ep {
			continue
		}
		qs = append(qs, append([]float32(nil), h.vec(uint32(s))...))
		ids = append(ids, h.slotLabel[s])
		slots = append(slots, uint32(s))
	}
	return qs, ids, slots
}

// exactNeighbours is the brute-force top tuneK of q, excluding self.
func (h *HNSW) exactNeighbours(ctx context.Context, q []float32, self uint64) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	top := vec.NewTopK(tuneK)
	for s := range h.ready {
		if atomic.LoadUint32(&h.ready[s]) == 0 || h.slotLabel[s] == self {
			continue
		}
		top.Push(h.slotLabel[s], h.dist(q, h.vec(uint32(s))))
	}
	out := make([]uint64, 0, tuneK)
	for _, x := range top.Sorted() {
		out = append(out, x.ID)
	}
	return out, nil
}

// overlap counts the hits (other than self, first tuneK) found in truth.
func overlap(hits []Hit, truth []uint64, self uint64) int {
	n, seen := 0, 0
	for _, x := range hits {
		if x.ID == self {
			continue
		}
		if seen++; seen > tuneK {
			break
		}
		for _, t := range truth {
			if t == x.ID {
				n++
				break
			}
		}
	}
	return n
}
