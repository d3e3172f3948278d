package layout

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPowTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, b := range []float64{0.7915, 0.895, 1.334} {
		pt := newPowTable(b)
		worst := 0.0
		check := func(x float64) {
			got, want := pt.pow(x), math.Pow(x, b)
			worst = max(worst, math.Abs(got-want)/want)
		}
		for range 100_000 {
			check(math.Exp(r.Float64()*80 - 40))
		}
		for _, x := range []float64{1, 2, 0.5, 1.9999999, 1e-310, 1e305, math.SmallestNonzeroFloat64} {
			check(x)
		}
		if worst > 1e-7 {
			t.Errorf("b=%v: worst relative error %g", b, worst)
		}
	}
}

func BenchmarkPowTable(b *testing.B) {
	pt := newPowTable(0.895)
	x, s := 0.37, 0.0
	for b.Loop() {
		s += pt.pow(x)
		x += 1e-9
	}
	_ = s
}

func BenchmarkMathPow(b *testing.B) {
	x, s := 0.37, 0.0
	for b.Loop() {
		s += math.Pow(x, 0.895)
		x += 1e-9
	}
	_ = s
}
