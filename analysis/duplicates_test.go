package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/index"
)

func TestDuplicatesByHand(t *testing.T) {
	// 0,1,2 are copies; 3 is 0.05 away from 4; 5 is isolated.
	vs := [][]float32{{0, 0}, {0, 0}, {0, 0}, {5, 5}, {5, 5.05}, {9, 0}}
	g := mustGraph(t, vs, index.L2, 3)
	tests := []struct {
		name   string
		opts   DuplicateOptions
		groups [][]int32
		pairs  int
	}{
		{"exact", DuplicateOptions{}, [][]int32{{0, 1, 2}}, 3},
		{"absolute", DuplicateOptions{Threshold: 0.1}, [][]int32{{0, 1, 2}, {3, 4}}, 4},
		{"cross-set", DuplicateOptions{Threshold: 0.1, IsB: []bool{false, true, false, true, false, false}}, [][]int32{{0, 1, 2}, {3, 4}}, 3},
		{"cross-set, no leakage", DuplicateOptions{Threshold: 0.1, IsB: []bool{false, false, false, false, false, true}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Duplicates(g, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Pairs) != tt.pairs || !slices.EqualFunc(r.Groups, tt.groups, slices.Equal) {
				t.Fatalf("pairs %v groups %v, want %d pairs, groups %v", r.Pairs, r.Groups, tt.pairs, tt.groups)
			}
		})
	}
	// Relative: median 1-NN distance is 0 here (3 copies + pair ...):
	// 1-NN distances 0,0,0,.05,.05,~5.4 → median .025.
	r, _ := Duplicates(g, DuplicateOptions{Relative: 4})
	if r.Threshold < 0.0999 || r.Threshold > 0.1001 || len(r.Groups) != 2 {
		t.Fatalf("relative: threshold %v groups %v", r.Threshold, r.Groups)
	}
}

// injectDuplicates appends nExact exact copies and nNoisy noised copies
// (Gaussian noise sd) of random images; it returns the vectors and, for each
// appended copy, its source index.
func injectDuplicates(rng *rand.Rand, imgs [][]float32, nExact, nNoisy int, sd float64) ([][]float32, map[int]int) {
	vs := append([][]float32(nil), imgs...)
	src := map[int]int{}
	perm := rng.Perm(len(imgs))
	for i := range nExact + nNoisy {
		s := perm[i]
		c := append([]float32(nil), imgs[s]...)
		if i >= nExact {
			for t := range c {
				c[t] = min(255, max(0, c[t]+float32(rng.NormFloat64()*sd)))
			}
		}
		src[len(vs)] = s
		vs = append(vs, c)
	}
	return vs, src
}

// checkDupGroups reports how many injected copies share a group with their
// source, and how many groups contain no injected copy (false positives).
func checkDupGroups(r *DuplicateResult, src map[int]int) (found, extra int) {
	group := map[int32]int{}
	for gi, g := range r.Groups {
		injected := false
		for _, m := range g {
			group[m] = gi + 1
			if _, ok := src[int(m)]; ok {
				injected = true
			}
		}
		if !injected {
			extra++
		}
	}
	for c, s := range src {
		if group[int32(c)] != 0 && group[int32(c)] == group[int32(s)] {
			found++
		}
	}
	return found, extra
}

func TestDuplicatesFashionSmall(t *testing.T) {
	s := fashion(t, "t10k")
	rng := rand.New(rand.NewPCG(51, 52))
	vs, src := injectDuplicates(rng, s.Images[:2000], 20, 20, 4)
	g := mustGraph(t, vs, index.L2, 5)
	r, err := Duplicates(g, DuplicateOptions{Relative: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	found, extra := checkDupGroups(r, src)
	t.Logf("threshold %.1f (median 1-NN %.1f): %d/40 injected copies grouped with their source, %d other groups", r.Threshold, MedianNNDistance(g), found, extra)
	if found != 40 {
		t.Errorf("found %d/40 injected copies", found)
	}
	// Cross-set: copies are B, originals A.
	isB := make([]bool, len(vs))
	for c := range src {
		isB[c] = true
	}
	rc, _ := Duplicates(g, DuplicateOptions{Relative: 0.3, IsB: isB})
	if f, _ := checkDupGroups(rc, src); f != 40 {
		t.Errorf("cross-set found %d/40", f)
	}
}
