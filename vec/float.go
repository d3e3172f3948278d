package vec

import (
	"math"

	"github.com/viterin/vek/vek32"
)

// Func is a distance between two equal-length vectors.
type Func func(a, b []float32) float32

// The kernels in use, fixed by init (read-only afterwards).
var (
	l2sqImpl Func = l2sqGo
	dotImpl  Func = dotGo
)

// Kernel names the float kernel set in use, for logs and benchmarks.
var Kernel = "go"

func init() {
	switch {
	case hasAVX512:
		l2sqImpl, dotImpl, Kernel = l2sq512, dot512, "avx512"
	case vek32.Info().Acceleration:
		// vek32's AVX2 assembly beats the 8-accumulator Go loop by ~5x.
		dotImpl = vek32.Dot
		l2sqImpl = func(a, b []float32) float32 { d := vek32.Distance(a, b); return d * d }
		Kernel = "avx2"
	}
}

// L2Sq is the squared Euclidean distance.
func L2Sq(a, b []float32) float32 { return l2sqImpl(a, b) }

// Dot is the dot product.
func Dot(a, b []float32) float32 { return dotImpl(a, b) }

// CosineDistance is 1 - cos(a, b) for vectors of any length; it is 1 when
// either vector is zero. For unit vectors, 1 - Dot(a, b) is the same and
// cheaper.
func CosineDistance(a, b []float32) float32 {
	na, nb := Norm(a), Norm(b)
	if na == 0 || nb == 0 {
		return 1
	}
	return 1 - Dot(a, b)/(na*nb)
}

// Norm is the Euclidean length, accumulated in float64 so long vectors of
// large components neither lose precision nor overflow early.
func Norm(v []float32) float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	return float32(math.Sqrt(sq))
}

// Normalize writes v scaled to unit length into dst (len(dst) == len(v);
// dst may be v). It reports false, leaving dst a copy of v, when v is zero.
func Normalize(dst, v []float32) bool {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	copy(dst, v)
	if sq == 0 {
		return false
	}
	inv := float32(1 / math.Sqrt(sq))
	for i := range dst {
		dst[i] *= inv
	}
	return true
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
