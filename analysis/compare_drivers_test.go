package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/index"
)

func ringGraph(n int) *Graph {
	g := &Graph{K: 1, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	for i := range n {
		g.Neighbors[i], g.Distances[i] = []int32{int32((i + 1) % n)}, []float32{1}
	}
	return g
}

func TestCompareHonoursAlpha(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	vs := append(gaussian(rng, 150, 4, 0), gaussian(rng, 150, 4, 0.35)...)
	isB := make([]bool, len(vs))
	for i := 150; i < len(vs); i++ {
		isB[i] = true
	}
	g := mustGraph(t, vs, index.L2, 10)
	for _, perms := range []int{-1, 400} {
		r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: perms, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		p := r.PValueZ
		if perms > 0 {
			p = r.PValuePerm
		}
		if !(p > 0.0025 && p < 0.5) {
			t.Fatalf("fixture p-value %v is not in a useful range", p)
		}
		for _, alpha := range []float64{p / 2, p * 1.5} {
			ra, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: perms, Seed: 3, Alpha: alpha})
			if err != nil {
				t.Fatal(err)
			}
			if ra.Significant != (p < alpha) || ra.Alpha != alpha {
				t.Errorf("perms %d: p %.4g alpha %.4g significant %v", perms, p, alpha, ra.Significant)
			}
		}
	}
	if _, err := Compare(bgCtx, g, isB, CompareOptions{Alpha: 1.5}); err == nil {
		t.Error("alpha 1.5 accepted")
	}
}

// TestCompareDriversAndComplement is issue 15's case: three of ten classes
// shrink in B, so the other seven rise from 10% to 12.7% of B. The seven
// are significant by share alone; only the three drive the change.
func TestCompareDriversAndComplement(t *testing.T) {
	var groups []string
	var isB []bool
	for c := range 10 {
		name := string(rune('a' + c))
		nb := 1000
		if c < 3 {
			nb = 300
		}
		for range 1000 {
			groups, isB = append(groups, name), append(isB, false)
		}
		for range nb {
			groups, isB = append(groups, name), append(isB, true)
		}
	}
	r, err := Compare(bgCtx, ringGraph(len(groups)), isB, CompareOptions{Permutations: -1, Groups: groups, Alpha: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	drivers := slices.Clone(r.Drivers)
	slices.Sort(drivers)
	if !slices.Equal(drivers, []string{"a", "b", "c"}) {
		t.Errorf("drivers %v, want a b c", r.Drivers)
	}
	for _, d := range r.Groups {
		shrunk := d.Group < "d"
		t.Logf("%s z %.2f p %.2g adj p %.2g log2 %.2f adj %.2f h %.3f driver %v complement %v",
			d.Group, d.Z, d.PValue, d.AdjustedPValue, d.LogRatio, d.AdjustedLogRatio, d.CohenH, d.Driver, d.Complement)
		if !d.Significant || d.Driver != shrunk || d.Complement == shrunk {
			t.Errorf("group %s: significant %v driver %v complement %v", d.Group, d.Significant, d.Driver, d.Complement)
		}
		if shrunk && math.Abs(d.AdjustedLogRatio-math.Log2(300.5/1000.5)) > 1e-9 {
			t.Errorf("group %s adjusted log ratio %v", d.Group, d.AdjustedLogRatio)
		}
		if !shrunk && math.Abs(d.ShareB-1000.0/7900) > 1e-12 {
			t.Errorf("group %s share B %v", d.Group, d.ShareB)
		}
	}
}
