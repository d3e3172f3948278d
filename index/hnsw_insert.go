package index

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Add implements Index. An existing id is replaced by deleting it (with
// neighbour repair) and inserting the new vector.
func (h *HNSW) Add(id uint64, vec []float32) error {
	if err := checkVector(vec, h.dim, h.metric); err != nil {
		return err
	}
	h.add(id, vec)
	return nil
}

func (h *HNSW) add(id uint64, vec []float32) {
	level := -1
	for {
		h.mu.RLock()
		a := h.tryAlloc(id, level)
		switch {
		case a.exists:
			h.mu.RUnlock()
			h.Delete(id)
			continue
		case a.growSlot || a.growUp:
			h.mu.RUnlock()
			level = a.level // keep the drawn level so retries don't skew the distribution
			h.mu.Lock()
			h.grow(1, a.level)
			h.mu.Unlock()
			continue
		}
		sc := h.getScratch()
		h.insert(sc, a.slot, a.level, vec)
		h.putScratch(sc)
		h.mu.RUnlock()
		h.maybeTrain()
		h.maybeTune()
		return
	}
}

// AddBatch inserts vecs[i] under ids[i] using workers goroutines (<= 0
// means GOMAXPROCS). Every vector is validated before anything is inserted;
// on cancellation some vectors may already be in the index.
func (h *HNSW) AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("%w: %d ids but %d vectors", ErrInvalidArgument, len(ids), len(vecs))
	}
	for i, v := range vecs {
		if err := checkVector(v, h.dim, h.metric); err != nil {
			return fmt.Errorf("vector %d (id %d): %w", i, ids[i], err)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(ids)))
	h.mu.Lock()
	h.grow(len(ids), 0)
	h.mu.Unlock()

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				h.add(ids[i], vecs[i])
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// insert is Algorithm 1. Caller holds mu shared and has reserved slot.
func (h *HNSW) insert(sc *scratch, slot uint32, level int, vec []float32) {
	q := h.vec(slot)
	prepare(q, vec, h.metric)
	if h.quant && h.sqReady.Load() {
		h.setCode(slot, q)
	}

	h.epMu.Lock()
	ep, top := h.ep, h.maxLevel
	if top < 0 {
		h.ep, h.maxLevel = slot, level
		h.epMu.Unlock()
		atomic.StoreUint32(&h.ready[slot], 1)
		return
	}
	h.epMu.Unlock()
	raises := level > top
	if raises {
		h.topMu.Lock()
		defer h.topMu.Unlock()
		ep, top = h.entry()
	}

	// With trained codes the walk runs on them (as searches do) and its
	// candidates are re-ranked exactly, so neighbour selection and pruning
	// below always compare full-precision distances.
	sqWalk := h.quant && h.sqReady.Load()
	var qc queryCode
	var cur uint32 = ep
	var dcur float32
	if sqWalk {
		qc = h.prepareQueryCode(sc, q)
		dcur = h.codeDist(qc, ep)
	} else {
		dcur = h.dist(q, h.vec(ep))
	}
	for l := top; l > level; l-- {
		if sqWalk {
			cur, dcur = h.greedySQ(sc, qc, cur, dcur, l)
		} else {
			cur, dcur = h.greedy(sc, q, cur, dcur, l)
		}
	}
	// Phase 1, top-down: choose the neighbours on every level without
	// publishing anything.
	lmax := min(top, level)
	if cap(sc.plan) < lmax+1 {
		sc.plan = append(sc.plan[:cap(sc.plan)], make([][]cand, lmax+1-cap(sc.plan))...)
	}
	sc.plan = sc.plan[:lmax+1]
	for l := lmax; l >= 0; l-- {
		// No cancellation: an insert is never abandoned half-linked.
		if sqWalk {
			_ = h.searchLayerSQ(context.Background(), sc, qc, cur, dcur, h.cfg.EfConstruction, l, nil)
			h.rerank(sc, q)
		} else {
			_ = h.searchLayer(context.Background(), sc, q, cur, dcur, h.cfg.EfConstruction, l, nil)
			sc.out = sc.res.SortedAsc(sc.out)
		}
		w := sc.out
		if len(w) > 0 && w[0].ID == slot { // defensive: never self-link
			w = w[1:]
		}
		sc.plan[l] = h.selectNeighbors(sc.plan[l], w, h.m)
		if len(w) > 0 {
			cur, dcur = w[0].ID, w[0].Dist
			if sqWalk {
				dcur = h.codeDist(qc, cur)
			}
		}
	}
	// Phase 2, bottom-up: write the node's own row on a level before any
	// back-link on that level makes it reachable there, and finish the
	// levels below first. A concurrent insert can therefore only ever
	// reach this node on a level whose row is complete and whose lower
	// levels are complete too: it is never trapped in an empty row (which
	// left it linked to this node alone) and its back-links are never
	// overwritten by the row write below (which stranded it).
	for l := 0; l <= lmax; l++ {
		sel := sc.plan[l]
		mu := h.lockFor(slot)
		mu.Lock()
		r := h.row(slot, l)
		r[0] = uint32(len(sel))
		for i, c := range sel {
			r[1+i] = c.ID
		}
		mu.Unlock()
		for _, c := range sel {
			h.addLink(sc, c.ID, slot, c.Dist, l)
		}
	}
	if raises {
		h.epMu.Lock()
		if level > h.maxLevel {
			h.ep, h.maxLevel = slot, level
		}
		h.epMu.Unlock()
	}
	atomic.StoreUint32(&h.ready[slot], 1)
}

// selectNeighbors is Algorithm 4 (SELECT-NEIGHBORS-HEURISTIC) without the
// extend/keep-pruned options: walking candidates nearest first, keep one
// only if it is nearer to the base than to every neighbour already kept.
// This spreads links across directions, which is what keeps clustered data
// navigable. cands must be sorted ascending by distance to the base.
func (h *HNSW) selectNeighbors(dst, cands []cand, m int) []cand {
	dst = dst[:0]
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		vc := h.vec(c.ID)
		good := true
		for _, s := range dst {
			if h.dist(vc, h.vec(s.ID)) < c.Dist {
				good = false
				break
			}
		}
		if good {
			dst = append(dst, c)
		}
	}
	return dst
}

// addLink adds the back-link n -> from at level l, pruning n's list with
// the heuristic when it is full.
func (h *HNSW) addLink(sc *scratch, n, from uint32, d float32, l int) {
	mu := h.lockFor(n)
	mu.Lock()
	defer mu.Unlock()
	r := h.row(n, l)
	c := int(r[0])
	for _, x := range r[1 : 1+c] {
		if x == from {
			return
		}
	}
	if c < h.maxLinks(l) {
		r[1+c] = from
		r[0]++
		return
	}
	vn := h.vec(n)
	cs := append(sc.pruneIn[:0], cand{Dist: d, ID: from})
	for _, x := range r[1 : 1+c] {
		cs = append(cs, cand{Dist: h.dist(vn, h.vec(x)), ID: x})
	}
	sortCands(cs)
	sc.pruneIn = cs
	sc.pruneOut = h.selectNeighbors(sc.pruneOut, cs, h.maxLinks(l))
	r[0] = uint32(len(sc.pruneOut))
	for i, s := range sc.pruneOut {
		r[1+i] = s.ID
	}
}

// sortCands is an insertion sort: lists are at most 2M+1 long.
func sortCands(cs []cand) {
	for i := 1; i < len(cs); i++ {
		c := cs[i]
		j := i
		for j > 0 && cs[j-1].Dist > c.Dist {
			cs[j] = cs[j-1]
			j--
		}
		cs[j] = c
	}
}
