package index

import (
	"fmt"
	"math"

	"github.com/viterin/vek/vek32"
)

// Distance kernels.
//
// BenchmarkKernels decides the order of preference. On the reference
// machine (AVX-512, dims 128 and 784) our 16-lane AVX-512 kernels
// (distance_amd64.s) beat vek32's AVX2 assembly by roughly 1.5-2x at 784,
// and vek32 beats the best pure-Go loop (8 accumulators) by ~5x. So:
// AVX-512 if present, else vek32 when it reports AVX2 acceleration, else
// pure Go.
//
// L2 is the squared distance internally (monotone, no sqrt in the hot
// loop); reportDist converts it to the Euclidean distance on the way out.

type distFunc func(a, b []float32) float32

func distanceFor(m Metric) (distFunc, error) {
	var dot, l2sq distFunc
	switch {
	case hasAVX512:
		dot, l2sq = dot512, l2sq512
	case vek32.Info().Acceleration:
		dot = vek32.Dot
		l2sq = func(a, b []float32) float32 { d := vek32.Distance(a, b); return d * d }
	default:
		dot, l2sq = dotGo, l2sqGo
	}
	switch m {
	case Cosine:
		// Vectors are unit length, so 1-dot is the cosine distance.
		return func(a, b []float32) float32 { return 1 - dot(a, b) }, nil
	case Dot:
		return func(a, b []float32) float32 { return -dot(a, b) }, nil
	case L2:
		return l2sq, nil
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

// dotGo is an 8-accumulator unrolled dot product; independent accumulators
// hide FP add latency, which is what limits a naive loop.
func dotGo(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		x := a[i : i+8 : i+8]
		y := b[i : i+8 : i+8]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		s4 += x[4] * y[4]
		s5 += x[5] * y[5]
		s6 += x[6] * y[6]
		s7 += x[7] * y[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// l2sqGo is the squared Euclidean distance, unrolled like dotGo.
func l2sqGo(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		x := a[i : i+8 : i+8]
		y := b[i : i+8 : i+8]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		d4, d5, d6, d7 := x[4]-y[4], x[5]-y[5], x[6]-y[6], x[7]-y[7]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		s4 += d4 * d4
		s5 += d5 * d5
		s6 += d6 * d6
		s7 += d7 * d7
	}
	for ; i < n; i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
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
	copy(dst, v)
	if m != Cosine {
		return
	}
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(sq))
	for i := range dst {
		dst[i] *= inv
	}
}
