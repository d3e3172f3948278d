package layout

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNeighborAgreement2DMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		gen  func(i int) [2]float32
	}{
		{"uniform", func(int) [2]float32 { return [2]float32{float32(r.Float64()), float32(r.Float64())} }},
		{"clustered", func(i int) [2]float32 {
			return [2]float32{float32(r.NormFloat64()*0.01 + float64(i%3)*100), float32(r.NormFloat64() * 0.01)}
		}},
		{"line", func(int) [2]float32 { return [2]float32{float32(r.Float64()), 0} }},
		{"duplicates", func(i int) [2]float32 { return [2]float32{float32(i % 7), float32(i % 5)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 700
			coords := make([][2]float32, n)
			labels := make([]int, n)
			for i := range n {
				coords[i] = tc.gen(i)
				labels[i] = r.IntN(3)
			}
			labels[5] = -1
			for _, k := range []int{1, 10} {
				got := NeighborAgreement2D(coords, labels, k)
				want := bruteAgreement(coords, labels, k)
				if math.Abs(got-want) > 0.02 && tc.name != "duplicates" || math.IsNaN(got) {
					t.Errorf("k=%d: grid %.4f, brute force %.4f", k, got, want)
				}
			}
			// Exact distances: the k-th neighbour distance must match.
			gr := newGrid(coords)
			for q := range 50 {
				h := gr.knn(coords, q, 10, nil)
				var kth float64
				for _, c := range h {
					kth = max(kth, c.d)
				}
				if want := bruteKth(coords, q, 10); kth != want {
					t.Fatalf("point %d: 10th-NN sq distance %v, want %v", q, kth, want)
				}
			}
		})
	}
	if !math.IsNaN(NeighborAgreement2D(nil, nil, 10)) || !math.IsNaN(NeighborAgreement2D([][2]float32{{0, 0}}, []int{1, 2}, 1)) {
		t.Error("want NaN for empty or mismatched input")
	}
}

func bruteKth(coords [][2]float32, q, k int) float64 {
	var ds []float64
	for j, p := range coords {
		if j != q {
			dx, dy := float64(p[0])-float64(coords[q][0]), float64(p[1])-float64(coords[q][1])
			ds = append(ds, dx*dx+dy*dy)
		}
	}
	slices.Sort(ds)
	return ds[k-1]
}

func bruteAgreement(coords [][2]float32, labels []int, k int) float64 {
	sum, cnt := 0.0, 0
	for q := range coords {
		if labels[q] < 0 {
			continue
		}
		type c struct {
			d float64
			j int
		}
		var all []c
		for j, p := range coords {
			if j != q {
				dx, dy := float64(p[0])-float64(coords[q][0]), float64(p[1])-float64(coords[q][1])
				all = append(all, c{dx*dx + dy*dy, j})
			}
		}
		slices.SortStableFunc(all, func(a, b c) int {
			if a.d < b.d {
				return -1
			}
			if a.d > b.d {
				return 1
			}
			return 0
		})
		same := 0
		for _, x := range all[:k] {
			if labels[x.j] == labels[q] {
				same++
			}
		}
		sum += float64(same) / float64(k)
		cnt++
	}
	return sum / float64(cnt)
}

func TestHighDimAgreement(t *testing.T) {
	nb := [][]int32{{0, 1, 2}, {0, 2}, {1, 9}}
	labels := []int{1, 1, 2}
	// point 0: self skipped, {1,2} → ½; point 1: {0,2} → ½; point 2: {1} (9 skipped) → 0.
	if got := HighDimAgreement(nb, labels, 2); math.Abs(got-1.0/3) > 1e-12 {
		t.Fatalf("got %v", got)
	}
}
