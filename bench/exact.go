package bench

import (
	"fmt"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/vec"
)

// exactDistance returns, for a query, a function giving the distance to
// train[i] under metric. Only the ranking matters for ground truth, so L2
// uses the squared distance.
func exactDistance(metric index.Metric, train [][]float32) (func(q []float32) func(i int) float32, error) {
	switch metric {
	case index.L2:
		return func(q []float32) func(int) float32 {
			return func(i int) float32 { return vec.L2Sq(q, train[i]) }
		}, nil
	case index.Dot:
		return func(q []float32) func(int) float32 {
			return func(i int) float32 { return -vec.Dot(q, train[i]) }
		}, nil
	case index.Cosine:
		norms := make([]float32, len(train))
		for i, v := range train {
			norms[i] = vec.Norm(v)
		}
		return func(q []float32) func(int) float32 {
			nq := vec.Norm(q)
			return func(i int) float32 {
				if nq == 0 || norms[i] == 0 {
					return 1
				}
				return 1 - vec.Dot(q, train[i])/(nq*norms[i])
			}
		}, nil
	}
	return nil, fmt.Errorf("bench: unsupported metric %v", metric)
}

// sortedIDs returns t's IDs nearest first.
func sortedIDs(t *vec.TopK) []uint64 {
	s := t.Sorted()
	ids := make([]uint64, len(s))
	for i, c := range s {
		ids[i] = c.ID
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
