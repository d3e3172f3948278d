package index

import (
	"math"
	"sync/atomic"
)

// Delete implements Index. It runs with the index locked exclusively and
// repairs the graph before returning, so no tombstones are left behind:
// every node that linked to the deleted one gets replacement links chosen
// by the neighbour heuristic from its remaining links plus the deleted
// node's links at that level. Finding in-links scans the level's rows, so a
// delete costs O(n·M) integer compares plus O(in-degree·M²) distances.
// Nodes that lost an in-link are then checked to still be reachable on
// layer 0 (healLayer0): a best-first walk that usually stops after a short
// path, and relinks any cut-off node.
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
	var xs, ins, lost []uint32
	// Top level first, so ins ends up holding the layer-0 in-neighbours.
	for l := level; l >= 0; l-- {
		xs = append(xs[:0], h.linksOf(slot, l)...)
		ins = ins[:0]
		// Repair every row that links to slot. The heuristic in repair
		// re-selects the whole row, so besides slot's out-neighbours it
		// may drop some of u's own links: all of those lost an in-link.
		lost = append(lost[:0], xs...)
		for u := range h.nSlots {
			if u == slot || int(h.levels[u]) < l || !h.linksTo(u, l, slot) {
				continue
			}
			ins = append(ins, u)
			old := len(lost)
			lost = append(lost, h.linksOf(u, l)...)
			h.repair(sc, u, slot, xs, l)
			// Keep only the dropped ones (rows are at most 2M long).
			kept := lost[:old]
			for _, v := range lost[old:] {
				if v != slot && !h.linksTo(u, l, v) {
					kept = append(kept, v)
				}
			}
			lost = kept
		}
		if l == 0 {
			continue // healLayer0 below checks layer 0 more thoroughly
		}
		// Mark the nodes that lost an in-link, unmark each one a remaining
		// row still links to, and give the rest (which would now be
		// unreachable on this level) a new in-link.
		sc.vis.reset(len(h.levels))
		marks, gen := sc.vis.marks, sc.vis.gen
		for _, v := range lost {
			marks[v] = gen
		}
		marks[slot] = 0
		for u := range h.nSlots {
			if u == slot || int(h.levels[u]) < l {
				continue
			}
			for _, v := range h.linksOf(u, l) {
				if marks[v] == gen {
					marks[v] = 0
				}
			}
		}
		for _, v := range lost {
			if marks[v] == gen {
				marks[v] = 0 // lost may hold duplicates
				h.reconnect(sc, v, slot, l, ins, nil)
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
	// lost and ins now hold layer 0's sets. Layer 0 must stay fully
	// reachable; heal it, up to a few rounds should a reconnection have
	// to displace a link (rare).
	for range 3 {
		w, ok := h.healLayer0(sc, lost, ins, h.vec(slot))
		if ok {
			break
		}
		lost = append(lost, w)
	}
	return true
}

// healLayer0 keeps every node reachable on layer 0 from the entry point.
// A repair can cut off more than a node without in-links: a small group
// whose members only link to each other. But if the graph was reachable
// before, every node reached along an old path that used a removed edge is
// reachable from that edge's head, and all heads are in lost (the deleted
// node's out-neighbours and the links repair dropped). So it suffices to
// check that the lost nodes are reachable. healLayer0 runs a best-first
// walk from the entry point towards the deleted node's vector at, where
// lost nodes cluster, and stops as soon as all of them are reached:
// usually after a short path. Only when some are cut off does the walk
// exhaust the component; each unreached lost node then gets an in-link
// from a reached node and the walk continues from it.
//
// It reports ok=false with a displaced node if a reconnection had to drop
// another link whose reachability is then unknown. Caller holds mu
// exclusively and has freed the deleted slot.
func (h *HNSW) healLayer0(sc *scratch, lost, ins []uint32, at []float32) (displaced uint32, ok bool) {
	if h.maxLevel < 0 {
		return 0, true
	}
	n := len(h.levels)
	sc.vis.reset(n)
	target := sc.vis.gen
	pending := 0
	for _, v := range lost {
		if h.levels[v] >= 0 && sc.vis.marks[v] != target {
			sc.vis.marks[v] = target
			pending++
		}
	}
	if pending == 0 {
		return 0, true
	}
	sc.vis.reset(n) // a fresh stamp for "reached"; target stamps survive
	marks, gen := sc.vis.marks, sc.vis.gen
	if gen == 1 { // the stamps wrapped and were cleared: mark again
		for _, v := range lost {
			if h.levels[v] >= 0 {
				marks[v] = gen + 1
			}
		}
		target = gen + 1
	}
	cands := sc.cands[:0]
	visit := func(s uint32) {
		if marks[s] == target {
			pending--
		}
		marks[s] = gen
		cands.Push(cand{Dist: h.dist(at, h.vec(s)), ID: s})
	}
	drain := func() {
		for pending > 0 && len(cands) > 0 {
			c := cands.Pop()
			r := h.row(c.ID, 0)
			for _, v := range r[1 : 1+r[0]] {
				if marks[v] != gen {
					visit(v)
				}
			}
		}
	}
	visit(h.ep)
	drain()
	ok = true
	if pending > 0 {
		// The walk exhausted everything reachable; reconnect the rest.
		reached := func(u uint32) bool { return marks[u] == gen }
		for _, v := range lost {
			if marks[v] != target {
				continue
			}
			if d := h.reconnect(sc, v, noUp, 0, ins, reached); d != noUp && ok {
				displaced, ok = d, false
			}
			visit(v)
			drain()
		}
	}
	sc.cands = cands
	return displaced, ok
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
			if c.ID == v {
				return
			}
		}
		cs = append(cs, cand{Dist: h.dist(vu, h.vec(v)), ID: v})
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
		r[1+i] = c.ID
	}
}

// reconnect gives v, which lost its last level-l in-link when x was
// deleted (or is unreachable), a new one: from the nearest candidate (v's
// own neighbours, then x's former in-neighbours, all filtered by ok when
// set, else the nearest ok node overall) that has room, or else by
// displacing, in the nearest candidate's row, a link that v itself points
// to (so that node stays reachable through v) or failing that the farthest
// one. It returns the node whose in-link it displaced if v does not link
// to it itself, else noUp. Caller holds mu exclusively.
func (h *HNSW) reconnect(sc *scratch, v, x uint32, l int, ins []uint32, ok func(uint32) bool) uint32 {
	vv := h.vec(v)
	cs := sc.pruneIn[:0]
	add := func(u uint32) {
		if u == v || u == x || ok != nil && !ok(u) {
			return
		}
		for _, c := range cs {
			if c.ID == u {
				return
			}
		}
		cs = append(cs, cand{Dist: h.dist(vv, h.vec(u)), ID: u})
	}
	for _, u := range h.linksOf(v, l) {
		add(u)
	}
	for _, u := range ins {
		if int(h.levels[u]) >= l {
			add(u)
		}
	}
	if len(cs) == 0 && ok != nil {
		// Rare: nothing nearby is reachable; take the nearest node that is.
		best := cand{Dist: float32(math.Inf(1)), ID: noUp}
		for u := range h.nSlots {
			if u != v && u != x && int(h.levels[u]) >= l && ok(u) {
				if d := h.dist(vv, h.vec(u)); d < best.Dist || best.ID == noUp {
					best = cand{Dist: d, ID: u}
				}
			}
		}
		if best.ID != noUp {
			cs = append(cs, best)
		}
	}
	sortCands(cs)
	sc.pruneIn = cs
	if len(cs) == 0 {
		return noUp // v is alone on this level
	}
	for _, c := range cs {
		r := h.row(c.ID, l)
		if n := int(r[0]); n < h.maxLinks(l) {
			r[1+n] = v
			r[0]++
			return noUp
		}
	}
	u := cs[0].ID
	r := h.row(u, l)
	ls := r[1 : 1+r[0]]
	victim, far := -1, float32(-1)
	vu := h.vec(u)
	for i, w := range ls {
		if h.linksTo(v, l, w) {
			ls[i] = v
			return noUp
		}
		if d := h.dist(vu, h.vec(w)); d > far {
			victim, far = i, d
		}
	}
	d := ls[victim]
	ls[victim] = v
	return d
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
