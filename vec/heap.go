package vec

import "sort"

// Item is a candidate: a distance and a 32-bit slot or row number.
type Item struct {
	Dist float32
	ID   uint32
}

// MinHeap pops the nearest item first. It is a plain slice with inlined
// sift loops: container/heap would box every element in an interface.
type MinHeap []Item

// Push adds c.
func (h *MinHeap) Push(c Item) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].Dist <= c.Dist {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

// Pop removes and returns the nearest item; h must not be empty.
func (h *MinHeap) Pop() Item {
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
		if r := l + 1; r < n && s[r].Dist < s[l].Dist {
			l = r
		}
		if last.Dist <= s[l].Dist {
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

// MaxHeap keeps the farthest item on top, so a bounded result set can
// evict it in O(log n).
type MaxHeap []Item

// Push adds c.
func (h *MaxHeap) Push(c Item) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].Dist >= c.Dist {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

// Pop removes and returns the farthest item; h must not be empty.
func (h *MaxHeap) Pop() Item {
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
		if r := l + 1; r < n && s[r].Dist > s[l].Dist {
			l = r
		}
		if last.Dist >= s[l].Dist {
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

// SortedAsc drains h into dst (reused when large enough), nearest first.
func (h *MaxHeap) SortedAsc(dst []Item) []Item {
	n := len(*h)
	if cap(dst) < n {
		dst = make([]Item, n)
	}
	dst = dst[:n]
	for i := n - 1; i >= 0; i-- {
		dst[i] = h.Pop()
	}
	return dst
}

// Scored is a TopK entry with a 64-bit ID.
type Scored struct {
	ID   uint64
	Dist float32
}

// worse orders by distance, then ID, so equal distances rank the lower ID
// first and results are deterministic.
func (c Scored) worse(o Scored) bool { return c.Dist > o.Dist || (c.Dist == o.Dist && c.ID > o.ID) }

// TopK keeps the k smallest (distance, ID) pairs offered; the zero value
// is unusable, use NewTopK.
type TopK struct {
	k int
	h []Scored // max-heap under worse
}

// NewTopK returns an empty TopK of capacity k (k > 0).
func NewTopK(k int) *TopK { return &TopK{k: k, h: make([]Scored, 0, k)} }

// Reset empties t, keeping its storage.
func (t *TopK) Reset() { t.h = t.h[:0] }

// Len is the number of pairs kept.
func (t *TopK) Len() int { return len(t.h) }

// Push offers (id, d).
func (t *TopK) Push(id uint64, d float32) {
	c := Scored{id, d}
	s := t.h
	if len(s) == t.k {
		if !s[0].worse(c) {
			return
		}
		s[0] = c
		t.down(0)
		return
	}
	s = append(s, c)
	t.h = s
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].worse(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (t *TopK) down(i int) {
	h := t.h
	for {
		l, w := 2*i+1, i
		if l < len(h) && h[l].worse(h[w]) {
			w = l
		}
		if r := l + 1; r < len(h) && h[r].worse(h[w]) {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// Sorted returns a copy of the kept pairs, nearest first; t is unchanged.
func (t *TopK) Sorted() []Scored {
	s := append([]Scored(nil), t.h...)
	sort.Slice(s, func(a, b int) bool { return s[b].worse(s[a]) })
	return s
}
