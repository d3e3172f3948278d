package index

import "github.com/reef-ml/reef/vec"

// cand is a (distance, slot) pair; the heaps are vec's typed heaps.
type (
	cand    = vec.Item
	minHeap = vec.MinHeap
	maxHeap = vec.MaxHeap
)

// visited is a generation-stamped set: bumping gen clears it in O(1), so a
// search never allocates or zeroes a per-node structure.
type visited struct {
	marks []uint32
	gen   uint32
}

func (v *visited) reset(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint32, n+n/4)
		v.gen = 0
	}
	v.gen++
	if v.gen == 0 { // wrapped: stale stamps could alias the new generation
		clear(v.marks)
		v.gen = 1
	}
}

// scratch is the per-search state, pooled so queries do not allocate.
type scratch struct {
	vis      visited
	cands    minHeap
	res      maxHeap
	out      []cand
	q        []float32
	qcode    []byte
	nbrs     []uint32
	sel      []cand
	pruneIn  []cand
	pruneOut []cand
	plan     [][]cand // per-level neighbours chosen by an insert
	queue    []uint32 // BFS queue for Delete's layer-0 check
	// skip is a slot walks treat as absent (noUp: none); the ef self-tune
	// sets it so a stored vector searched for itself behaves like a
	// held-out query instead of walking straight into its own links.
	skip uint32
}

func (h *HNSW) getScratch() *scratch {
	if s, ok := h.pool.Get().(*scratch); ok {
		s.skip = noUp
		return s
	}
	return &scratch{skip: noUp}
}

func (h *HNSW) putScratch(s *scratch) { h.pool.Put(s) }
