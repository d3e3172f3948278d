package index

// VectorReader is implemented by backends that can return the vector they
// hold for an id, so a consistency check can compare index content with
// storage rather than only the sets of ids. The vector is a copy, as the
// index holds it: unit length under cosine.
type VectorReader interface {
	Vector(id uint64) ([]float32, bool)
}

// Vector implements VectorReader.
func (h *HNSW) Vector(id uint64) ([]float32, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	h.allocMu.Lock()
	slot, ok := h.labels[id]
	h.allocMu.Unlock()
	if !ok {
		return nil, false
	}
	return append([]float32(nil), h.vec(slot)...), true
}

// Vector implements VectorReader.
func (e *Exact) Vector(id uint64) ([]float32, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	slot, ok := e.labels[id]
	if !ok || !e.live[slot] {
		return nil, false
	}
	o := int(slot) * e.dim
	return append([]float32(nil), e.vecs[o:o+e.dim]...), true
}

// Vector implements VectorReader.
func (c *Coder) Vector(id uint64) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ids[id]; !ok {
		return nil, false
	}
	v, ok := c.g.Lookup(id)
	return append([]float32(nil), v...), ok
}

// MemoryBytes implements MemoryReporter for the coder/hnsw backend, whose
// structures are private to it: the figure is computed from their shapes in
// v0.6.1 — per node the wrapper's vector copy (4·dim plus its slice header),
// the node record, its entry in the layer map and in the wrapper's id set,
// and a neighbour map of up to M entries (Go maps: groups of 8 slots of key,
// pointer and control byte, at most 7/8 full), with 1/M more for the upper
// layers. TestCoderMemoryBytes checks it against the heap growth of a build
// measured alone.
func (c *Coder) MemoryBytes() int {
	c.mu.Lock()
	n := len(c.ids)
	c.mu.Unlock()
	const (
		slot     = 8 + 8 + 1 // key, pointer, control byte
		group    = 8*slot + 8
		mapHdr   = 48
		nodeSize = 8 + 24 + 8 // key, vector slice header, neighbours map pointer
		entry    = 2 * (slot * 8 / 7)
	)
	groups := (c.cfg.M*8/7 + 7) / 8
	perNode := 4*c.cfg.Dim + nodeSize + entry + mapHdr + groups*group
	return n * perNode * (c.cfg.M + 1) / c.cfg.M
}
