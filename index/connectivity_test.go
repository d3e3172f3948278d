package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// unreachable returns the live slots that a BFS over layer 0 from the entry
// point does not reach. Caller must not run concurrent writers.
func (h *HNSW) unreachable() []uint32 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ep, top := h.entry()
	if top < 0 {
		return nil
	}
	seen := make([]bool, h.nSlots)
	seen[ep] = true
	queue := []uint32{ep}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, x := range h.linksOf(s, 0) {
			if !seen[x] {
				seen[x] = true
				queue = append(queue, x)
			}
		}
	}
	var out []uint32
	for s := range h.nSlots {
		if h.levels[s] >= 0 && !seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// checkConnected fails t if some live node is unreachable on layer 0 or
// an ef >= n search from every probe misses stored vectors.
func checkConnected(t *testing.T, h *HNSW, vecs map[uint64][]float32, probes int) {
	t.Helper()
	if u := h.unreachable(); len(u) > 0 {
		t.Fatalf("%d of %d nodes unreachable on layer 0 (e.g. slot %d)", len(u), h.Len(), u[0])
	}
	n := h.Len()
	if n != len(vecs) {
		t.Fatalf("Len = %d, want %d", n, len(vecs))
	}
	i := 0
	for id, v := range vecs {
		if i >= probes {
			break
		}
		i++
		hits, err := h.Search(context.Background(), v, n, SearchOptions{Ef: n + 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != n {
			t.Fatalf("search from id %d with ef=%d found %d of %d", id, n+10, len(hits), n)
		}
	}
}

// TestParallelInsertConnectivity: after a parallel AddBatch (and after
// deletes and replacing adds) every node must stay reachable.
func TestParallelInsertConnectivity(t *testing.T) {
	seeds := 8
	sizes := []int{300, 1000, 2000}
	if raceEnabled || testing.Short() {
		seeds, sizes = 6, []int{300, 600}
	}
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, procs := range []int{2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, n := range sizes {
			for seed := range uint64(seeds) {
				workers := 2 + int(seed)%7
				dim := 2 + int(seed)%7
				t.Run(fmt.Sprintf("procs%d/n%d/seed%d/w%d/d%d", procs, n, seed, workers, dim), func(t *testing.T) {
					r := rand.New(rand.NewPCG(seed, uint64(n)))
					cfg := DefaultConfig(dim, L2)
					cfg.Seed = int64(seed)
					h, err := NewHNSW(cfg)
					if err != nil {
						t.Fatal(err)
					}
					ids := seqIDs(n, 0)
					vecs := make([][]float32, n)
					live := make(map[uint64][]float32, n)
					for i := range vecs {
						vecs[i] = randVec(r, dim)
						live[ids[i]] = vecs[i]
					}
					if err := h.AddBatch(context.Background(), ids, vecs, workers); err != nil {
						t.Fatal(err)
					}
					checkConnected(t, h, live, 5)

					// Delete 10-30%.
					frac := 0.1 + 0.2*r.Float64()
					for _, id := range ids {
						if r.Float64() < frac {
							h.Delete(id)
							delete(live, id)
						}
					}
					checkConnected(t, h, live, 5)

					// Replace a quarter of the survivors and re-add the
					// deleted ones in parallel.
					var rids []uint64
					var rvecs [][]float32
					for _, id := range ids {
						if _, ok := live[id]; !ok || r.IntN(4) == 0 {
							v := randVec(r, dim)
							rids = append(rids, id)
							rvecs = append(rvecs, v)
							live[id] = v
						}
					}
					if err := h.AddBatch(context.Background(), rids, rvecs, workers); err != nil {
						t.Fatal(err)
					}
					checkConnected(t, h, live, 5)
				})
			}
		}
	}
}
