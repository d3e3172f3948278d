package index

import (
	"cmp"
	"context"
	"math"
	"slices"
	"unsafe"

	"github.com/reef-ml/reef/vec"
)

// The quantised walk: the same Algorithm 2 as searchLayer, but every
// distance is the integer squared L2 between the query's code and a node's
// code, read from the node's layer-0 record. Candidates' whole codes are
// prefetched prefetchAhead neighbours ahead. rerank then recomputes the kept
// candidates' distances on full vectors, so callers only ever see exact
// distances in exact order.

// queryCode is a query prepared for code distances. With VNNI, b holds
// the unsigned code and c = ‖q‖² − 256·Σq, so that
// ‖q−x‖² = c + ‖x‖² − 2·DotU8I8(q, x'), x' being x's stored signed code
// (x' = x − 128 makes q·x = DotU8I8(q, x') + 128·Σq). Without VNNI, b
// holds the signed code and L2SqI8 gives the same number directly.
type queryCode struct {
	b    []byte
	c    int64
	vnni bool
}

func (h *HNSW) prepareQueryCode(sc *scratch, q []float32) queryCode {
	if cap(sc.qcode) < h.codeLen {
		sc.qcode = make([]byte, h.codeLen)
	}
	qc := queryCode{b: sc.qcode[:h.codeLen], vnni: vec.HasVNNI}
	h.sq.encode(qc.b, q)
	var sum, sq int64
	for i, c := range qc.b {
		sum += int64(c)
		sq += int64(c) * int64(c)
		if !qc.vnni {
			qc.b[i] = c ^ 0x80
		}
	}
	qc.c = sq - 256*sum
	return qc
}

// codeDist is the code distance as a float32 candidate key; it is exact
// below 2^24 and rounds (monotonically) above.
func (h *HNSW) codeDist(qc queryCode, slot uint32) float32 {
	if qc.vnni {
		return float32(qc.c + int64(h.codeNorm(slot)) - 2*int64(vec.DotU8I8(qc.b, h.code(slot))))
	}
	return float32(vec.L2SqI8(qc.b, h.code(slot)))
}

// prefetchAhead is how many neighbours ahead of the one being measured
// the walk prefetches. Each prefetch covers the whole code (13 lines at
// 784-d): on Fashion-MNIST 60k at ef 12, p50 latency was 42 µs prefetching
// one line one neighbour ahead, 34 µs for the whole code, 29 µs for the
// whole code 8 ahead (5 ahead 29.7, 32 ahead 29.3), on one built index.
const prefetchAhead = 8

func (h *HNSW) prefetchCode(slot uint32) {
	vec.PrefetchRange((*byte)(unsafe.Pointer(&h.links0[int(slot)*h.stride0])), h.codeLen)
}

func (h *HNSW) greedySQ(sc *scratch, qc queryCode, cur uint32, dcur float32, l int) (uint32, float32) {
	for changed := true; changed; {
		changed = false
		sc.nbrs = h.links(sc.nbrs, cur, l)
		for _, n := range sc.nbrs {
			if n == sc.skip {
				continue
			}
			if d := h.codeDist(qc, n); d < dcur {
				cur, dcur, changed = n, d, true
			}
		}
	}
	return cur, dcur
}

func (h *HNSW) searchLayerSQ(ctx context.Context, sc *scratch, qc queryCode, ep uint32, dep float32, ef, l int, accept func(uint32) bool) error {
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
		nb := sc.nbrs
		// Drop visited neighbours first so prefetches go only to records
		// that will be read.
		k := 0
		for _, n := range nb {
			if marks[n] != gen {
				marks[n] = gen
				nb[k] = n
				k++
			}
		}
		nb = nb[:k]
		for i := range min(prefetchAhead, len(nb)) {
			h.prefetchCode(nb[i])
		}
		for i, n := range nb {
			if i+prefetchAhead < len(nb) {
				h.prefetchCode(nb[i+prefetchAhead])
			}
			d := h.codeDist(qc, n)
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

// searchSQ walks the graph on codes and re-ranks exactly; the result is
// left in sc.out, sorted by exact distance. Caller holds mu shared.
func (h *HNSW) searchSQ(ctx context.Context, sc *scratch, ep uint32, top, ef int, accept func(uint32) bool) error {
	qc := h.prepareQueryCode(sc, sc.q)
	cur, dcur := ep, h.codeDist(qc, ep)
	for l := top; l > 0; l-- {
		cur, dcur = h.greedySQ(sc, qc, cur, dcur, l)
	}
	if err := h.searchLayerSQ(ctx, sc, qc, cur, dcur, ef, 0, accept); err != nil {
		return err
	}
	h.rerank(sc, sc.q)
	return nil
}

// rerank replaces the code distances of the walk's results (sc.res) by
// exact distances to q and leaves them in sc.out, nearest first.
func (h *HNSW) rerank(sc *scratch, q []float32) {
	out := append(sc.out[:0], sc.res...)
	for i := range out {
		out[i].Dist = h.dist(q, h.vec(out[i].ID))
	}
	slices.SortFunc(out, func(a, b cand) int { return cmp.Compare(a.Dist, b.Dist) })
	sc.out = out
}
