package index

import (
	"fmt"
	"math"

	"github.com/reef-ml/reef/vec"
)

// Distances come from package vec. L2 is the squared distance internally
// (monotone, no sqrt in the hot loop); reportDist converts it to the
// Euclidean distance on the way out.

type distFunc = vec.Func

func cosineUnit(a, b []float32) float32 { return 1 - vec.Dot(a, b) }
func negDot(a, b []float32) float32     { return -vec.Dot(a, b) }

func distanceFor(m Metric) (distFunc, error) {
	switch m {
	case Cosine:
		// Vectors are unit length, so 1-dot is the cosine distance.
		return cosineUnit, nil
	case Dot:
		return negDot, nil
	case L2:
		return vec.L2Sq, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownMetric, uint8(m))
}

// reportDist converts an internal distance to the one callers see.
func reportDist(m Metric, d float32) float32 {
	if m == L2 {
		return float32(math.Sqrt(float64(max(d, 0))))
	}
	return d
}

// checkVector validates a caller vector.
func checkVector(v []float32, dim int, m Metric) error {
	if len(v) != dim {
		return fmt.Errorf("%w: got %d, want %d", ErrDimensionMismatch, len(v), dim)
	}
	var sq float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: NaN or Inf component", ErrInvalidVector)
		}
		sq += float64(x) * float64(x)
	}
	if m == Cosine && sq == 0 {
		return fmt.Errorf("%w: zero vector under cosine", ErrInvalidVector)
	}
	if math.IsInf(sq, 0) {
		return fmt.Errorf("%w: norm overflows", ErrInvalidVector)
	}
	return nil
}

// prepare copies v into dst (which must have len(v)), normalising under Cosine.
func prepare(dst, v []float32, m Metric) {
	if m == Cosine {
		vec.Normalize(dst, v)
		return
	}
	copy(dst, v)
}
