package bench

import (
	"fmt"
	"math"
	"sort"

	"github.com/viterin/vek/vek32"

	"github.com/reef-ml/reef/index"
)

// exactDistance returns, for a query, a function giving the distance to
// train[i] under metric. Only the ranking matters for ground truth, so L2
// may use any monotone transform; vek32 uses AVX2 when the CPU has it.
func exactDistance(metric index.Metric, train [][]float32) (func(q []float32) func(i int) float32, error) {
	accel := vek32.Info().Acceleration
	dot := func(a, b []float32) float32 {
		if accel {
			return vek32.Dot(a, b)
		}
		var s float32
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	switch metric {
	case index.L2:
		return func(q []float32) func(int) float32 {
			return func(i int) float32 {
				if accel {
					return vek32.Distance(q, train[i])
				}
				var s float32
				for j, x := range q {
					d := x - train[i][j]
					s += d * d
				}
				return s
			}
		}, nil
	case index.Dot:
		return func(q []float32) func(int) float32 {
			return func(i int) float32 { return -dot(q, train[i]) }
		}, nil
	case index.Cosine:
		norms := make([]float32, len(train))
		for i, v := range train {
			norms[i] = float32(math.Sqrt(float64(dot(v, v))))
		}
		return func(q []float32) func(int) float32 {
			nq := float32(math.Sqrt(float64(dot(q, q))))
			return func(i int) float32 {
				if nq == 0 || norms[i] == 0 {
					return 1
				}
				return 1 - dot(q, train[i])/(nq*norms[i])
			}
		}, nil
	}
	return nil, fmt.Errorf("bench: unsupported metric %v", metric)
}

// topK is a bounded max-heap (worst candidate at the root) keeping the k
// smallest (distance, id) pairs seen.
type topK []cand

type cand struct {
	id uint64
	d  float32
}

func (c cand) worse(o cand) bool { return c.d > o.d || (c.d == o.d && c.id > o.id) }

func (h *topK) push(k int, id uint64, d float32) {
	c := cand{id, d}
	s := *h
	if len(s) == k {
		if !s[0].worse(c) {
			return
		}
		s[0] = c
		h.down(0)
		return
	}
	s = append(s, c)
	*h = s
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].worse(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h topK) down(i int) {
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

// sorted returns the ids nearest first; the heap is left unordered.
func (h topK) sorted() []uint64 {
	s := append([]cand(nil), h...)
	sort.Slice(s, func(a, b int) bool { return s[b].worse(s[a]) })
	ids := make([]uint64, len(s))
	for i, c := range s {
		ids[i] = c.id
	}
	return ids
}

// Recall is |first k of got ∩ first k of truth| / k. Duplicate IDs in got
// count once. It panics if k <= 0.
func Recall(got, truth []uint64, k int) float64 {
	if k <= 0 {
		panic("bench: Recall with k <= 0")
	}
	return float64(recallHits(got, truth, k)) / float64(k)
}

// meanRecall averages recall@k over queries, summing integer hit counts so
// the result is exact up to one rounding (a target of 0.95 is met by 95%).
func meanRecall(got, truth [][]uint64, k int) float64 {
	hits := 0
	for i := range got {
		hits += recallHits(got[i], truth[i], k)
	}
	return float64(hits) / float64(k*len(got))
}

func recallHits(got, truth []uint64, k int) int {
	truth = truth[:min(k, len(truth))]
	got = got[:min(k, len(got))]
	hit := 0
	for i, g := range got {
		if dupBefore(got[:i], g) {
			continue
		}
		for _, t := range truth {
			if g == t {
				hit++
				break
			}
		}
	}
	return hit
}

func dupBefore(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// hitIDs returns the IDs of hits, dropping self (when not nil) and keeping
// at most k.
func hitIDs(hits []index.Hit, k int, self *uint64) []uint64 {
	ids := make([]uint64, 0, k)
	for _, h := range hits {
		if self != nil && h.ID == *self {
			continue
		}
		if len(ids) == k {
			break
		}
		ids = append(ids, h.ID)
	}
	return ids
}
