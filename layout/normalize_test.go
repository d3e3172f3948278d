package layout

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func TestNormalizeRobust(t *testing.T) {
	c := make([][2]float32, 2000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range c {
		c[i] = [2]float32{float32(r.NormFloat64()*3 + 10), float32(r.NormFloat64() + 5)}
	}
	c[0] = [2]float32{1e6, -1e6} // one far outlier must not squash the rest
	c[1] = [2]float32{float32(math.NaN()), 0}
	NormalizeRobust(c)
	var lo, hi float32 = 1, -1
	for i, p := range c {
		for _, v := range p {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("point %d = %v outside [-1,1]", i, p)
			}
		}
		if i > 1 {
			lo, hi = min(lo, p[0]), max(hi, p[0])
		}
	}
	if c[0] != [2]float32{1, -1} || c[1][0] != 0 {
		t.Fatalf("outlier %v, NaN %v: want clamped to the corner and 0", c[0], c[1])
	}
	if hi-lo < 1.8 {
		t.Fatalf("the bulk spans only [%v, %v] on its longer axis", lo, hi)
	}
}

func TestFitPCAProjectsAsPCA(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vecs := make([][]float32, 500)
	for i := range vecs {
		vecs[i] = []float32{float32(r.NormFloat64() * 5), float32(r.NormFloat64() * 2), float32(r.NormFloat64() * 0.1)}
	}
	ctx := context.Background()
	want, err := PCA(ctx, vecs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	p, err := FitPCA(ctx, vecs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if got := p.Project(v); got != want[i] {
			t.Fatalf("row %d: Project %v, PCA %v", i, got, want[i])
		}
	}
	if _, err := FitPCA(ctx, nil, DefaultOptions()); err == nil {
		t.Fatal("FitPCA of no vectors succeeded")
	}
}
