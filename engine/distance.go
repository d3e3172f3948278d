package engine

import (
	"math"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/vec"
)

// Exact distances follow index's conventions (cosine: 1-cos; l2: Euclidean;
// dot: -dot) so exact and approximate results compare directly. The
// kernels are vec's, the one distance package.

func prepareQuery(q []float32, m index.Metric) []float32 {
	if m != index.Cosine {
		return q
	}
	return normalized(q)
}

// normalized returns v at unit length (zeros for the zero vector).
func normalized(v []float32) []float32 {
	out := make([]float32, len(v))
	if !vec.Normalize(out, v) {
		clear(out)
	}
	return out
}

// distance compares a prepared query with a stored (raw) vector.
func distance(m index.Metric, q, v []float32) float32 {
	switch m {
	case index.L2:
		return float32(math.Sqrt(float64(vec.L2Sq(q, v))))
	case index.Dot:
		return -vec.Dot(q, v)
	}
	nv := vec.Norm(v)
	if nv == 0 {
		return 1
	}
	return 1 - vec.Dot(q, v)/nv
}

// topK keeps the k smallest distances.
type topK struct{ t *vec.TopK }

func newTopK(k int) topK { return topK{vec.NewTopK(k)} }

func (t topK) push(id uint64, d float32) { t.t.Push(id, d) }

// sorted returns the hits nearest first, ties by id.
func (t topK) sorted() []index.Hit {
	s := t.t.Sorted()
	out := make([]index.Hit, len(s))
	for i, h := range s {
		out[i] = index.Hit{ID: h.ID, Distance: h.Dist}
	}
	return out
}
