package index

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
)

// ctxCheckEvery is how many node expansions pass between cancellation
// checks; an expansion costs up to 2M distance computations, so this is a
// few hundred distances.
const ctxCheckEvery = 16

// links copies slot's level-l neighbours into dst under the stripe lock, so
// the caller can compute distances without holding it.
func (h *HNSW) links(dst []uint32, slot uint32, l int) []uint32 {
	mu := h.lockFor(slot)
	mu.Lock()
	r := h.row(slot, l)
	dst = append(dst[:0], r[1:1+r[0]]...)
	mu.Unlock()
	return dst
}

// greedy is the ef=1 descent of Algorithm 2 used on upper layers.
func (h *HNSW) greedy(sc *scratch, q []float32, cur uint32, dcur float32, l int) (uint32, float32) {
	for changed := true; changed; {
		changed = false
		sc.nbrs = h.links(sc.nbrs, cur, l)
		for _, n := range sc.nbrs {
			if n == sc.skip {
				continue
			}
			if d := h.dist(q, h.vec(n)); d < dcur {
				cur, dcur, changed = n, d, true
			}
		}
	}
	return cur, dcur
}

// searchLayer is Algorithm 2 (SEARCH-LAYER) from a single entry point. The
// results are left in sc.res (a max-heap of at most ef). With accept set,
// traversal still walks rejected nodes, but only accepted ones enter the
// result set, and the search keeps going until ef of them are found or the
// reachable candidates run out.
func (h *HNSW) searchLayer(ctx context.Context, sc *scratch, q []float32, ep uint32, dep float32, ef, l int, accept func(uint32) bool) error {
	sc.vis.reset(len(h.levels))
	marks, gen := sc.vis.marks, sc.vis.gen
	sc.cands = append(sc.cands[:0], cand{Dist: dep, ID: ep})
	sc.res = sc.res[:0]
	marks[ep] = gen
	if sc.skip != noUp {
		marks[sc.skip] = gen
	}
	if accept == nil || accept(ep) {
		sc.res.Push(cand{Dist: dep, ID: ep})
	}
	done := ctx.Done()
	worst := float32(math.Inf(1))
	if len(sc.res) >= ef {
		worst = sc.res[0].Dist
	}
	for steps := 1; len(sc.cands) > 0; steps++ {
		c := sc.cands[0]
		if c.Dist > worst {
			break
		}
		sc.cands.Pop()
		if done != nil && steps%ctxCheckEvery == 0 {
			select {
			case <-done:
				return ctx.Err()
			default:
			}
		}
		sc.nbrs = h.links(sc.nbrs, c.ID, l)
		for _, n := range sc.nbrs {
			if marks[n] == gen {
				continue
			}
			marks[n] = gen
			d := h.dist(q, h.vec(n))
			if d >= worst {
				continue
			}
			sc.cands.Push(cand{Dist: d, ID: n})
			if accept != nil && !accept(n) {
				continue
			}
			sc.res.Push(cand{Dist: d, ID: n})
			if len(sc.res) > ef {
				sc.res.Pop()
			}
			if len(sc.res) >= ef {
				worst = sc.res[0].Dist
			}
		}
	}
	return nil
}

// Search implements Index.
func (h *HNSW) Search(ctx context.Context, q []float32, k int, opts SearchOptions) ([]Hit, error) {
	return h.search(ctx, q, k, opts, noUp)
}

// search is Search with a slot the walk treats as absent (noUp: none).
func (h *HNSW) search(ctx context.Context, q []float32, k int, opts SearchOptions, skip uint32) ([]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 0 || opts.Ef < 0 {
		return nil, fmt.Errorf("%w: k=%d ef=%d", ErrInvalidArgument, k, opts.Ef)
	}
	if err := checkVector(q, h.dim, h.metric); err != nil {
		return nil, err
	}
	if k == 0 {
		return []Hit{}, nil
	}
	sc := h.getScratch()
	defer h.putScratch(sc)
	sc.skip = skip
	if cap(sc.q) < h.dim {
		sc.q = make([]float32, h.dim)
	}
	sc.q = sc.q[:h.dim]
	prepare(sc.q, q, h.metric)

	h.mu.RLock()
	defer h.mu.RUnlock()
	ep, top := h.entry()
	if top < 0 {
		return []Hit{}, nil
	}
	ef := opts.Ef
	if ef == 0 {
		ef = h.DefaultEf()
	}
	ef = max(ef, k)
	var accept func(uint32) bool
	if f := opts.Filter; f != nil {
		if h.preferExact(f, opts.Selectivity, ef) {
			return h.exactScan(ctx, sc, k, f)
		}
		accept = func(s uint32) bool { return f(h.slotLabel[s]) }
	}
	if h.quant && h.sqReady.Load() {
		if err := h.searchSQ(ctx, sc, ep, top, ef, accept); err != nil {
			return nil, err
		}
	} else {
		cur, dcur := ep, h.dist(sc.q, h.vec(ep))
		for l := top; l > 0; l-- {
			cur, dcur = h.greedy(sc, sc.q, cur, dcur, l)
		}
		if err := h.searchLayer(ctx, sc, sc.q, cur, dcur, ef, 0, accept); err != nil {
			return nil, err
		}
		sc.out = sc.res.SortedAsc(sc.out)
	}
	if accept != nil && len(sc.out) < k {
		// The filtered walk ran out of reachable accepted nodes; there may
		// be more elsewhere, and callers are promised up to k.
		return h.exactScan(ctx, sc, k, opts.Filter)
	}
	n := min(k, len(sc.out))
	hits := make([]Hit, n)
	for i, c := range sc.out[:n] {
		hits[i] = Hit{ID: h.slotLabel[c.ID], Distance: reportDist(h.metric, c.Dist)}
	}
	return hits, nil
}

// preferExact decides whether a filtered query should skip the graph. A
// filtered walk visits roughly ef/selectivity nodes, an exact scan computes
// selectivity*n distances (plus n cheap filter calls), so the scan wins
// when selectivity² · n is small relative to ef.
func (h *HNSW) preferExact(f Filter, sel float64, ef int) bool {
	n := len(h.ready)
	live := h.Len()
	if sel <= 0 || sel > 1 {
		const samples = 64
		step := max(1, n/samples)
		seen, ok := 0, 0
		for s := 0; s < n && seen < samples; s += step {
			if atomic.LoadUint32(&h.ready[s]) == 0 {
				continue
			}
			seen++
			if f(h.slotLabel[s]) {
				ok++
			}
		}
		if seen == 0 {
			return true
		}
		sel = float64(ok) / float64(seen)
	}
	est := sel * float64(live)
	return est <= float64(4*ef) || sel*est <= float64(4*ef)
}

// exactScan is the brute-force fallback for selective filters.
func (h *HNSW) exactScan(ctx context.Context, sc *scratch, k int, f Filter) ([]Hit, error) {
	sc.res = sc.res[:0]
	done := ctx.Done()
	for s := range h.ready {
		if s%1024 == 0 && done != nil {
			select {
			case <-done:
				return nil, ctx.Err()
			default:
			}
		}
		if atomic.LoadUint32(&h.ready[s]) == 0 {
			continue
		}
		slot := uint32(s)
		if f != nil && !f(h.slotLabel[slot]) {
			continue
		}
		d := h.dist(sc.q, h.vec(slot))
		if len(sc.res) < k {
			sc.res.Push(cand{Dist: d, ID: slot})
		} else if d < sc.res[0].Dist {
			sc.res.Pop()
			sc.res.Push(cand{Dist: d, ID: slot})
		}
	}
	sc.out = sc.res.SortedAsc(sc.out)
	hits := make([]Hit, len(sc.out))
	for i, c := range sc.out {
		hits[i] = Hit{ID: h.slotLabel[c.ID], Distance: reportDist(h.metric, c.Dist)}
	}
	return hits, nil
}
