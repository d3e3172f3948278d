package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/viterin/vek/vek32"
)

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 7, 8, 31, 32, 33, 128, 784} {
		a, b := randVec(r, dim), randVec(r, dim)
		var dot, l2 float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			d := float64(a[i]) - float64(b[i])
			l2 += d * d
		}
		tol := 1e-4 * float64(dim)
		if got := float64(dotGo(a, b)); math.Abs(got-dot) > tol {
			t.Errorf("dim %d dotGo %v want %v", dim, got, dot)
		}
		if got := float64(l2sqGo(a, b)); math.Abs(got-l2) > tol {
			t.Errorf("dim %d l2sqGo %v want %v", dim, got, l2)
		}
		if got := float64(dot512(a, b)); math.Abs(got-dot) > tol {
			t.Errorf("dim %d dot512 %v want %v", dim, got, dot)
		}
		if got := float64(l2sq512(a, b)); math.Abs(got-l2) > tol {
			t.Errorf("dim %d l2sq512 %v want %v", dim, got, l2)
		}
		if got := float64(vek32.Dot(a, b)); math.Abs(got-dot) > tol {
			t.Errorf("dim %d vek Dot %v want %v", dim, got, dot)
		}
		if got := float64(vek32.Distance(a, b)); math.Abs(got-math.Sqrt(l2)) > tol {
			t.Errorf("dim %d vek Distance %v want %v", dim, got, math.Sqrt(l2))
		}
	}
}

var sinkF32 float32

// BenchmarkKernels compares the candidate distance kernels; the fastest is
// the one distanceFor selects.
func BenchmarkKernels(b *testing.B) {
	b.Logf("vek32 acceleration: %v", vek32.Info().Acceleration)
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{128, 784} {
		x, y := randVec(r, dim), randVec(r, dim)
		kernels := []struct {
			name string
			fn   func(a, b []float32) float32
		}{
			{"dot/go8", dotGo},
			{"dot/vek", vek32.Dot},
			{"l2sq/go8", l2sqGo},
			{"l2/vek", vek32.Distance},
			{"dot/avx512", dot512},
			{"l2sq/avx512", l2sq512},
		}
		for _, k := range kernels {
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += k.fn(x, y)
				}
				sinkF32 = s
			})
		}
	}
}
