package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

func TestCompareExactVarianceMatchesPermutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	vs := gaussian(rng, 60, 3, 0)
	g := mustGraph(t, vs, index.L2, 3)
	isB := make([]bool, 60)
	for i := range 15 {
		isB[i] = true
	}
	r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Monte Carlo over relabellings.
	const reps = 40000
	var sum, sum2 float64
	lab := slices.Clone(isB)
	for range reps {
		rng.Shuffle(len(lab), func(i, j int) { lab[i], lab[j] = lab[j], lab[i] })
		s := 0
		for i, row := range g.Neighbors {
			for _, j := range row {
				if lab[i] == lab[j] {
					s++
				}
			}
		}
		x := float64(s) / float64(r.Edges)
		sum += x
		sum2 += x * x
	}
	mean := sum / reps
	sd := math.Sqrt(sum2/reps - mean*mean)
	if math.Abs(mean-r.Expected) > 0.002 || math.Abs(sd/r.StdDev-1) > 0.03 {
		t.Fatalf("exact mean %.5f sd %.5f, Monte Carlo mean %.5f sd %.5f", r.Expected, r.StdDev, mean, sd)
	}
	// E[T] by hand: (45·44 + 15·14) / (60·59).
	if want := (45.0*44 + 15*14) / (60 * 59); math.Abs(r.Expected-want) > 1e-12 {
		t.Fatalf("expected %v want %v", r.Expected, want)
	}
}

func TestCompareGaussians(t *testing.T) {
	tests := []struct {
		name    string
		nA, nB  int
		shift   float32
		wantLow bool // p < 0.001
	}{
		{"same, unequal sizes", 1200, 200, 0, false},
		{"same, equal sizes", 500, 500, 0, false},
		{"shifted B", 1200, 200, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			vs := append(gaussian(rng, tt.nA, 5, 0), gaussian(rng, tt.nB, 5, tt.shift)...)
			isB := make([]bool, len(vs))
			for i := tt.nA; i < len(vs); i++ {
				isB[i] = true
			}
			g := mustGraph(t, vs, index.L2, 10)
			r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: 500, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("T=%.4f E=%.4f z=%.2f pz=%.3g pperm=%.3g effect=%.3f", r.Statistic, r.Expected, r.Z, r.PValueZ, r.PValuePerm, r.Effect)
			// 500 permutations cannot give p below 1/501.
			if tt.wantLow != (r.PValuePerm <= 1.0/501) || tt.wantLow != (r.PValueZ < 0.001) {
				t.Errorf("p-values %.3g / %.3g", r.PValuePerm, r.PValueZ)
			}
			if !tt.wantLow && (r.PValuePerm < 0.01 || r.Effect > 0.05) {
				t.Errorf("null case rejected: p %.3g effect %.3f", r.PValuePerm, r.Effect)
			}
		})
	}
}

func TestCompareDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	vs := gaussian(rng, 300, 4, 0)
	isB := make([]bool, 300)
	for i := range 100 {
		isB[i*3] = true
	}
	g := mustGraph(t, vs, index.L2, 5)
	a, _ := Compare(bgCtx, g, isB, CompareOptions{Permutations: 200, Seed: 9, Options: Options{Workers: 1}})
	b, _ := Compare(bgCtx, g, isB, CompareOptions{Permutations: 200, Seed: 9, Options: Options{Workers: 3}})
	if a.PValuePerm != b.PValuePerm {
		t.Fatalf("p-value depends on workers: %v vs %v", a.PValuePerm, b.PValuePerm)
	}
}

func TestGroupBreakdownByHand(t *testing.T) {
	// 100 A and 100 B; group x: 30 in A, 10 in B; group y: the rest.
	n := 200
	isB := make([]bool, n)
	groups := make([]string, n)
	for i := range n {
		isB[i] = i >= 100
		groups[i] = "y"
		if i < 30 || (i >= 100 && i < 110) {
			groups[i] = "x"
		}
	}
	// Any valid graph: a ring.
	g := &Graph{K: 1, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	for i := range n {
		g.Neighbors[i], g.Distances[i] = []int32{int32((i + 1) % n)}, []float32{1}
	}
	r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: -1, Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	// x: c=40, E[B]=20, var = 40·½·½·160/199, z = -10/sqrt(var).
	wantZ := -10 / math.Sqrt(40*0.25*160/199)
	x := r.Groups[0]
	if x.Group != "x" || x.CountA != 30 || x.CountB != 10 || math.Abs(x.Z-wantZ) > 1e-9 {
		t.Fatalf("group x: %+v, want z %v", x, wantZ)
	}
	if wantP := math.Erfc(math.Abs(wantZ)/math.Sqrt2) * 2; math.Abs(x.PValue-wantP) > 1e-12 || !x.Significant {
		t.Fatalf("group x p %v want %v", x.PValue, wantP)
	}
	// y mirrors x, so the same |z|.
	if math.Abs(r.Groups[1].Z+wantZ) > 1e-9 {
		t.Fatalf("group y z %v", r.Groups[1].Z)
	}
}

func TestCentroidDistance(t *testing.T) {
	a := [][]float32{{0, 0}, {2, 0}}
	b := [][]float32{{1, 3}, {1, 5}}
	if d, _ := CentroidDistance(a, b, index.L2); math.Abs(d-4) > 1e-9 {
		t.Fatalf("L2 %v", d)
	}
	if d, _ := CentroidDistance([][]float32{{1, 0}}, [][]float32{{0, 5}}, index.Cosine); math.Abs(d-1) > 1e-9 {
		t.Fatalf("cosine %v", d)
	}
}

// fashionCompare builds A = first nA test images, B = the next nB with the
// given classes removed or multiplied, and runs Compare with class groups.
func fashionCompare(t *testing.T, a, b [][]float32, la, lb []int, k, perms int) *CompareResult {
	t.Helper()
	vs := append(append([][]float32(nil), a...), b...)
	isB := make([]bool, len(vs))
	groups := make([]string, len(vs))
	for i := range vs {
		isB[i] = i >= len(a)
		l := 0
		if i < len(a) {
			l = la[i]
		} else {
			l = lb[i-len(a)]
		}
		groups[i] = fashionmnist.ClassNames[l]
	}
	g := mustGraph(t, vs, index.L2, k)
	r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: perms, Seed: 1, Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("nA=%d nB=%d T=%.4f E=%.4f z=%.2f pz=%.3g pperm=%.3g effect=%.4f sameA %.4f/%.4f sameB %.4f/%.4f",
		r.NA, r.NB, r.Statistic, r.Expected, r.Z, r.PValueZ, r.PValuePerm, r.Effect, r.SameFracA, r.ExpectedSameA, r.SameFracB, r.ExpectedSameB)
	for _, gd := range r.Groups[:3] {
		t.Logf("  %-12s A %5d B %5d z %7.2f p %.3g covA %.2f covB %.2f", gd.Group, gd.CountA, gd.CountB, gd.Z, gd.PValue, gd.MeanCoverageA, gd.MeanCoverageB)
	}
	return r
}

// alter drops (factor 0) or repeats (factor > 1) the given classes.
func alter(imgs [][]float32, labels []int, classes map[int]int) ([][]float32, []int) {
	var out [][]float32
	var ol []int
	for i, l := range labels {
		f, ok := classes[l]
		if !ok {
			f = 1
		}
		for range f {
			out = append(out, imgs[i])
			ol = append(ol, l)
		}
	}
	return out, ol
}

func TestCompareFashionSmall(t *testing.T) {
	s := fashion(t, "t10k")
	imgs, labels := subset(s, 4000)
	imgs = pool2(imgs)
	a, la := imgs[:3000], labels[:3000]
	b, lb := imgs[3000:], labels[3000:]
	same := fashionCompare(t, a, b, la, lb, 10, 300)
	if same.PValuePerm < 0.05 {
		t.Errorf("same distribution rejected: p %.3g", same.PValuePerm)
	}
	b2, lb2 := alter(b, lb, map[int]int{6: 0, 8: 0}) // no Shirt, no Bag
	diff := fashionCompare(t, a, b2, la, lb2, 10, 300)
	// At this size (3000 vs 791) the global test has modest power; the
	// full-size version (REEF_HEAVY) asks for p < 0.001.
	if diff.PValuePerm > 0.05 || diff.PValueZ > 0.01 {
		t.Errorf("removed classes not detected: p %.3g / %.3g", diff.PValuePerm, diff.PValueZ)
	}
	top := []string{diff.Groups[0].Group, diff.Groups[1].Group}
	slices.Sort(top)
	if top[0] != "Bag" || top[1] != "Shirt" || !diff.Groups[1].Significant {
		t.Errorf("top groups %v, want Bag and Shirt", top)
	}
}
