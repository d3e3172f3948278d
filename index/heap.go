package index

// Typed binary heaps over (distance, slot) pairs. container/heap would box
// every element in an interface and call through it; these are plain
// slices with inlined sift loops.

type cand struct {
	d    float32
	slot uint32
}

// minHeap pops the nearest candidate first.
type minHeap []cand

func (h *minHeap) push(c cand) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d <= c.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

func (h *minHeap) pop() cand {
	s := *h
	top := s[0]
	n := len(s) - 1
	last := s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && s[r].d < s[l].d {
			l = r
		}
		if last.d <= s[l].d {
			break
		}
		s[i] = s[l]
		i = l
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// maxHeap keeps the farthest kept result on top, so the bounded result set
// can evict it in O(log ef).
type maxHeap []cand

func (h *maxHeap) push(c cand) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d >= c.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

func (h *maxHeap) pop() cand {
	s := *h
	top := s[0]
	n := len(s) - 1
	last := s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && s[r].d > s[l].d {
			l = r
		}
		if last.d >= s[l].d {
			break
		}
		s[i] = s[l]
		i = l
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// sortedAsc drains h into dst, nearest first.
func (h *maxHeap) sortedAsc(dst []cand) []cand {
	n := len(*h)
	if cap(dst) < n {
		dst = make([]cand, n)
	}
	dst = dst[:n]
	for i := n - 1; i >= 0; i-- {
		dst[i] = h.pop()
	}
	return dst
}

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
	nbrs     []uint32
	sel      []cand
	pruneIn  []cand
	pruneOut []cand
	plan     [][]cand // per-level neighbours chosen by an insert
	queue    []uint32 // BFS queue for Delete's layer-0 check
}

func (h *HNSW) getScratch() *scratch {
	if s, ok := h.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}

func (h *HNSW) putScratch(s *scratch) { h.pool.Put(s) }
