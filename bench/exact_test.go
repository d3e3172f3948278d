package bench

import (
	"context"
	"math"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/reef-ml/reef/index"
)

func TestRecall(t *testing.T) {
	for _, c := range []struct {
		name       string
		got, truth []uint64
		k          int
		want       float64
	}{
		{"all", []uint64{1, 2, 3}, []uint64{3, 2, 1}, 3, 1},
		{"none", []uint64{7, 8}, []uint64{1, 2}, 2, 0},
		{"half", []uint64{1, 9}, []uint64{1, 2}, 2, 0.5},
		{"short result", []uint64{1}, []uint64{1, 2, 3, 4}, 4, 0.25},
		{"empty result", nil, []uint64{1, 2}, 2, 0},
		{"only first k of truth count", []uint64{1, 5}, []uint64{1, 2, 5}, 2, 0.5},
		{"only first k of got count", []uint64{9, 9, 1}, []uint64{1, 2}, 2, 0},
		{"duplicates count once", []uint64{1, 1}, []uint64{1, 2}, 2, 0.5},
	} {
		if r := Recall(c.got, c.truth, c.k); math.Abs(r-c.want) > 1e-12 {
			t.Errorf("%s: Recall = %v, want %v", c.name, r, c.want)
		}
	}
}

func randVecs(rng *rand.Rand, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = gaussian(rng, nil, dim, 1)
	}
	return out
}

// naiveTruth ranks by float64 distances with a full sort.
func naiveTruth(m index.Metric, train, queries [][]float32, k int, self []uint64) [][]uint64 {
	out := make([][]uint64, len(queries))
	for qi, q := range queries {
		type c struct {
			id int
			d  float64
		}
		var cs []c
		for i, v := range train {
			if self != nil && uint64(i) == self[qi] {
				continue
			}
			var dot, nq, nv, l2 float64
			for j := range v {
				a, b := float64(q[j]), float64(v[j])
				dot, nq, nv, l2 = dot+a*b, nq+a*a, nv+b*b, l2+(a-b)*(a-b)
			}
			d := l2
			switch m {
			case index.Dot:
				d = -dot
			case index.Cosine:
				d = 1 - dot/math.Sqrt(nq*nv)
			}
			cs = append(cs, c{i, d})
		}
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].d < cs[b].d })
		for _, x := range cs[:k] {
			out[qi] = append(out[qi], uint64(x.id))
		}
	}
	return out
}

func TestGroundTruthMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	train, queries := randVecs(rng, 300, 24), randVecs(rng, 40, 24)
	for _, m := range []index.Metric{index.L2, index.Cosine, index.Dot} {
		for _, workers := range []int{1, 3} {
			calls := 0
			got, err := GroundTruth(context.Background(), m, train, queries, 10, workers, func(done, total int) {
				calls++
				if total != len(queries) || done > total {
					t.Fatalf("progress(%d, %d)", done, total)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != len(queries) {
				t.Errorf("%v: %d progress calls, want %d", m, calls, len(queries))
			}
			want := naiveTruth(m, train, queries, 10, nil)
			for q := range want {
				if !slices.Equal(got[q], want[q]) {
					t.Errorf("%v workers=%d query %d: got %v want %v", m, workers, q, got[q], want[q])
				}
			}
		}
	}
}

func TestGroundTruthCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rng := rand.New(rand.NewSource(1))
	if _, err := GroundTruth(ctx, index.L2, randVecs(rng, 10, 4), randVecs(rng, 5, 4), 3, 2, nil); err == nil {
		t.Fatal("want error from cancelled context")
	}
}

func TestSampledExcludesSelf(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	data := randVecs(rng, 200, 8)
	w, err := Sampled(data, index.L2, 20, 9)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ComputeTruth(context.Background(), 5, nil); err != nil {
		t.Fatal(err)
	}
	want := naiveTruth(index.L2, data, w.Queries, 5, w.Self)
	for q := range w.Queries {
		if slices.Contains(w.Truth[q], w.Self[q]) {
			t.Fatalf("query %d: truth contains its own id %d", q, w.Self[q])
		}
		if !slices.Equal(w.Truth[q], want[q]) {
			t.Errorf("query %d: %v want %v", q, w.Truth[q], want[q])
		}
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a, _ := Synthetic(100, 8, 10, 42)
	b, _ := Synthetic(100, 8, 10, 42)
	if len(a.Train) != 100 || len(a.Queries) != 10 || a.Dim() != 8 {
		t.Fatalf("shape %d×%d, %d queries", len(a.Train), a.Dim(), len(a.Queries))
	}
	if !slices.Equal(a.Train[99], b.Train[99]) || !slices.Equal(a.Queries[3], b.Queries[3]) {
		t.Fatal("same seed gave different data")
	}
}

func BenchmarkGroundTruth(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	train, queries := randVecs(rng, 5000, 128), randVecs(rng, 20, 128)
	for b.Loop() {
		if _, err := GroundTruth(context.Background(), index.L2, train, queries, 10, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecall(b *testing.B) {
	got := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	truth := []uint64{10, 9, 8, 7, 6, 5, 4, 3, 2, 11}
	for b.Loop() {
		Recall(got, truth, 10)
	}
}
