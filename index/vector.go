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
