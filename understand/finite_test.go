package understand

import (
	"math"
	"testing"
)

func TestFiniteDistance(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct{ in, want float32 }{
		{0.5, 0.5}, {-2, -2}, {float32(math.NaN()), math.MaxFloat32}, {inf, math.MaxFloat32}, {-inf, math.MaxFloat32},
	} {
		if got := finiteDistance(c.in); got != c.want {
			t.Errorf("finiteDistance(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
