package index

import "sync/atomic"

// Delete implements Index. It runs with the index locked exclusively and
// repairs the graph before returning, so no tombstones are left behind:
// every node that linked to the deleted one gets replacement links chosen
// by the neighbour heuristic from its remaining links plus the deleted
// node's links at that level. Finding in-links scans the level's rows, so a
// delete costs O(n·M) integer compares plus O(in-degree·M²) distances.
func (h *HNSW) Delete(id uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.allocMu.Lock()
	slot, ok := h.labels[id]
	h.allocMu.Unlock()
	if !ok {
		return false
	}
	atomic.StoreUint32(&h.ready[slot], 0)
	level := int(h.levels[slot])
	sc := h.getScratch()
	defer h.putScratch(sc)
	var xs []uint32
	for l := 0; l <= level; l++ {
		xs = append(xs[:0], h.linksOf(slot, l)...)
		for u := range h.nSlots {
			if u == slot || int(h.levels[u]) < l {
				continue
			}
			if h.linksTo(u, l, slot) {
				h.repair(sc, u, slot, xs, l)
			}
		}
	}
	// Unlink and free the slot.
	for l := 0; l <= level; l++ {
		h.row(slot, l)[0] = 0
	}
	h.allocMu.Lock()
	delete(h.labels, id)
	h.levels[slot] = -1
	if r := h.up[slot]; r != noUp {
		h.upFree = append(h.upFree, r)
		h.up[slot] = noUp
	}
	h.free = append(h.free, slot)
	h.count--
	h.allocMu.Unlock()

	if slot == h.ep {
		h.chooseEntry()
	}
	return true
}

func (h *HNSW) linksOf(slot uint32, l int) []uint32 {
	r := h.row(slot, l)
	return r[1 : 1+r[0]]
}

func (h *HNSW) linksTo(u uint32, l int, x uint32) bool {
	for _, v := range h.linksOf(u, l) {
		if v == x {
			return true
		}
	}
	return false
}

// repair rebuilds u's level-l list without x. Caller holds mu exclusively.
func (h *HNSW) repair(sc *scratch, u, x uint32, xs []uint32, l int) {
	vu := h.vec(u)
	cs := sc.pruneIn[:0]
	addCand := func(v uint32) {
		if v == u || v == x {
			return
		}
		for _, c := range cs {
			if c.slot == v {
				return
			}
		}
		cs = append(cs, cand{h.dist(vu, h.vec(v)), v})
	}
	for _, v := range h.linksOf(u, l) {
		addCand(v)
	}
	for _, v := range xs {
		addCand(v)
	}
	sortCands(cs)
	sc.pruneIn = cs
	sc.pruneOut = h.selectNeighbors(sc.pruneOut, cs, h.maxLinks(l))
	r := h.row(u, l)
	r[0] = uint32(len(sc.pruneOut))
	for i, c := range sc.pruneOut {
		r[1+i] = c.slot
	}
}

// chooseEntry picks a node on the highest remaining level. Caller holds mu
// exclusively.
func (h *HNSW) chooseEntry() {
	best, bestLevel := uint32(0), -1
	for s := range h.nSlots {
		if l := int(h.levels[s]); l > bestLevel {
			best, bestLevel = s, l
		}
	}
	h.epMu.Lock()
	h.ep, h.maxLevel = best, bestLevel
	h.epMu.Unlock()
}
