package engine

import (
	"errors"
	"math"
	"testing"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/vec"
)

// Every vector checkVector accepts has finite distances to every other
// accepted vector, and finite cosine normalisation; what would overflow or
// underflow is refused naming the field.
func TestCheckVectorBoundsNorm(t *testing.T) {
	big := float32(MaxVectorNorm / 2) // norm 1e18 over 4 dims
	cases := []struct {
		name   string
		v      []float32
		metric index.Metric
		ok     bool
	}{
		{"unit", []float32{1, 0, 0, 0}, index.L2, true},
		{"at the bound", []float32{big, big, big, big}, index.L2, true},
		{"l2 overflow", []float32{3e38, 0, 0, 0}, index.L2, false},
		{"dot overflow", []float32{1e37, 1e37, 1e37, 1e37}, index.Dot, false},
		{"cosine overflow", []float32{1e20, 0, 0, 0}, index.Cosine, false},
		{"cosine underflow", []float32{1e-45, 0, 0, 0}, index.Cosine, false},
		{"cosine zero", []float32{0, 0, 0, 0}, index.Cosine, false},
		{"l2 tiny is fine", []float32{1e-45, 0, 0, 0}, index.L2, true},
		{"cosine small but normal", []float32{1e-17, 0, 0, 0}, index.Cosine, true},
		{"nan", []float32{float32(math.NaN()), 0, 0, 0}, index.L2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkVector("vector", c.v, 4, c.metric)
			if c.ok != (err == nil) {
				t.Fatalf("checkVector(%v) = %v, want ok=%v", c.v, err, c.ok)
			}
			var fe *FieldError
			if err != nil && (!errors.As(err, &fe) || !errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v does not name a field as invalid", err)
			}
			if !c.ok {
				return
			}
			// Accepted: distances against the most extreme accepted
			// vectors stay finite.
			for _, o := range [][]float32{{-big, -big, -big, -big}, {big, big, big, big}, c.v} {
				d := map[index.Metric]float32{index.L2: vec.L2Sq(c.v, o), index.Dot: vec.Dot(c.v, o), index.Cosine: vec.CosineDistance(c.v, o)}[c.metric]
				if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
					t.Fatalf("distance between accepted %v and %v is %v", c.v, o, d)
				}
			}
			n := make([]float32, 4)
			vec.Normalize(n, c.v)
			for _, x := range n {
				if c.metric == index.Cosine && (math.IsNaN(float64(x)) || math.IsInf(float64(x), 0)) {
					t.Fatalf("normalised %v = %v", c.v, n)
				}
			}
		})
	}
}
