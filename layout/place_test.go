package layout

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestPlace(t *testing.T) {
	n := 1000
	if raceEnabled {
		n = 300
	}
	const c = 4
	bd := cachedBlobs(t, n, c)
	// Hold out every 10th point; lay out the rest; place the held-out ones
	// from their neighbours among the laid-out points.
	var keep, held []int
	for i := range n {
		if i%10 == 3 {
			held = append(held, i)
		} else {
			keep = append(keep, i)
		}
	}
	sub := make([][]float32, len(keep))
	labels := make([]int, len(keep))
	for a, i := range keep {
		sub[a], labels[a] = bd.vecs[i], bd.labels[i]
	}
	nb, ds := bruteKNN(sub, 15)
	o := DefaultOptions()
	o.Epochs = 100
	placed, err := UMAP(context.Background(), nb, ds, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(placed)
	// kNN of held-out points among kept points.
	qnb := make([][]int32, len(held))
	qds := make([][]float32, len(held))
	for q, i := range held {
		all := append(slices.Clone(sub), bd.vecs[i])
		nbs, dss := bruteKNNOne(all, len(all)-1, 15)
		qnb[q], qds[q] = nbs, dss
	}
	got := Place(qnb, qds, placed)
	if !slices.Equal(before, placed) {
		t.Fatal("Place modified placed coordinates")
	}
	// Each placed point must be inside its blob's 2-D region: nearer its
	// own blob's centroid than any other, and within its blob's bounding box.
	cen := make([][2]float64, c)
	cnt := make([]float64, c)
	lo := make([][2]float32, c)
	hi := make([][2]float32, c)
	for k := range c {
		lo[k] = [2]float32{float32(math.Inf(1)), float32(math.Inf(1))}
		hi[k] = [2]float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	}
	for a, p := range placed {
		k := labels[a]
		cen[k][0] += float64(p[0])
		cen[k][1] += float64(p[1])
		cnt[k]++
		for d := range 2 {
			lo[k][d], hi[k][d] = min(lo[k][d], p[d]), max(hi[k][d], p[d])
		}
	}
	for q, i := range held {
		p, k := got[q], bd.labels[i]
		best, bestD := -1, math.Inf(1)
		for kk := range c {
			d := math.Hypot(float64(p[0])-cen[kk][0]/cnt[kk], float64(p[1])-cen[kk][1]/cnt[kk])
			if d < bestD {
				best, bestD = kk, d
			}
		}
		if best != k || p[0] < lo[k][0] || p[0] > hi[k][0] || p[1] < lo[k][1] || p[1] > hi[k][1] {
			t.Fatalf("held-out point %d (blob %d) placed at %v, nearest centroid blob %d, blob box %v–%v", i, k, p, best, lo[k], hi[k])
		}
	}
}

// bruteKNNOne is the k nearest other points to vecs[q].
func bruteKNNOne(vecs [][]float32, q, k int) ([]int32, []float32) {
	type cand struct {
		d float64
		j int32
	}
	var all []cand
	for j, v := range vecs {
		if j == q {
			continue
		}
		s := 0.0
		for t, x := range v {
			d := float64(x - vecs[q][t])
			s += d * d
		}
		all = append(all, cand{math.Sqrt(s), int32(j)})
	}
	slices.SortFunc(all, func(a, b cand) int {
		if a.d < b.d {
			return -1
		}
		if a.d > b.d {
			return 1
		}
		return int(a.j - b.j)
	})
	all = all[:min(k, len(all))]
	nb := make([]int32, len(all))
	ds := make([]float32, len(all))
	for i, c := range all {
		nb[i], ds[i] = c.j, float32(c.d)
	}
	return nb, ds
}

func TestPlaceBadInputs(t *testing.T) {
	placed := [][2]float32{{0, 0}, {2, 0}, {0, 2}}
	nan := float32(math.NaN())
	got := Place(
		[][]int32{{0, 1}, {5, -1}, {1, 2}, {0}},
		[][]float32{{1, 1}, {1, 1}, {nan, 1}},
		placed)
	want := [][2]float32{{1, 0}, {2.0 / 3, 2.0 / 3}, {0, 2}, {2.0 / 3, 2.0 / 3}}
	for i := range want {
		if math.Abs(float64(got[i][0]-want[i][0])) > 1e-6 || math.Abs(float64(got[i][1]-want[i][1])) > 1e-6 {
			t.Errorf("point %d at %v, want %v", i, got[i], want[i])
		}
	}
	if out := Place([][]int32{{0}}, [][]float32{{1}}, nil); out[0] != [2]float32{} {
		t.Errorf("with nothing placed got %v", out)
	}
}

func TestNormalize(t *testing.T) {
	nan := float32(math.NaN())
	c := [][2]float32{{10, 5}, {14, 6}, {12, 7}, {nan, 1}}
	Normalize(c)
	want := [][2]float32{{-1, -0.5}, {1, 0}, {0, 0.5}}
	for i := range want {
		if c[i] != want[i] {
			t.Errorf("point %d = %v, want %v", i, c[i], want[i])
		}
	}
	if !math.IsNaN(float64(c[3][0])) {
		t.Error("non-finite point was changed")
	}
	same := [][2]float32{{3, 3}, {3, 3}}
	Normalize(same)
	if same[0] != [2]float32{} {
		t.Errorf("coincident points → %v", same)
	}
	Normalize(nil)
}
