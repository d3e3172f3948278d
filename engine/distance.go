package engine

import (
	"math"
	"sort"

	"github.com/reef-ml/reef/index"
)

// These exact distances follow index's conventions (cosine: 1-cos; l2:
// Euclidean; dot: -dot) so exact and approximate results compare directly.

func prepareQuery(q []float32, m index.Metric) []float32 {
	if m != index.Cosine {
		return q
	}
	return normalized(q)
}

func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// distance compares a prepared query with a stored (raw) vector.
func distance(m index.Metric, q, v []float32) float32 {
	switch m {
	case index.L2:
		var s float32
		for i := range q {
			d := q[i] - v[i]
			s += d * d
		}
		return float32(math.Sqrt(float64(s)))
	case index.Dot:
		var s float32
		for i := range q {
			s += q[i] * v[i]
		}
		return -s
	}
	var dot, nv float64
	for i := range q {
		dot += float64(q[i]) * float64(v[i])
		nv += float64(v[i]) * float64(v[i])
	}
	if nv == 0 {
		return 1
	}
	return float32(1 - dot/math.Sqrt(nv))
}

// topK keeps the k smallest distances.
type topK struct {
	k    int
	hits []index.Hit // max-heap by distance
}

func newTopK(k int) *topK { return &topK{k: k, hits: make([]index.Hit, 0, k+1)} }

func (t *topK) push(id uint64, d float32) {
	if len(t.hits) == t.k && d >= t.hits[0].Distance {
		return
	}
	t.hits = append(t.hits, index.Hit{ID: id, Distance: d})
	for i := len(t.hits) - 1; i > 0; {
		p := (i - 1) / 2
		if t.hits[p].Distance >= t.hits[i].Distance {
			break
		}
		t.hits[p], t.hits[i] = t.hits[i], t.hits[p]
		i = p
	}
	if len(t.hits) > t.k {
		t.pop()
	}
}

func (t *topK) pop() {
	n := len(t.hits) - 1
	t.hits[0] = t.hits[n]
	t.hits = t.hits[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && t.hits[l].Distance > t.hits[m].Distance {
			m = l
		}
		if r < n && t.hits[r].Distance > t.hits[m].Distance {
			m = r
		}
		if m == i {
			return
		}
		t.hits[i], t.hits[m] = t.hits[m], t.hits[i]
		i = m
	}
}

func (t *topK) sorted() []index.Hit {
	out := append([]index.Hit(nil), t.hits...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Distance != out[j].Distance {
			return out[i].Distance < out[j].Distance
		}
		return out[i].ID < out[j].ID
	})
	return out
}
