package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/index"
)

// line is 0,1,2,3 and a far point at 10 (one dimension).
func lineGraph(t *testing.T) *Graph {
	vs := [][]float32{{0}, {1}, {2}, {3}, {10}}
	return mustGraph(t, vs, index.L2, 2)
}

func TestOutlierScoresByHand(t *testing.T) {
	g := lineGraph(t)
	tests := []struct {
		method OutlierMethod
		want   []float64
	}{
		// Neighbours: 0:{1,2} 1:{0,2} 2:{1,3} 3:{2,1} 10:{3,2}.
		{MeanDistance, []float64{1.5, 1, 1, 1.5, 7.5}},
		{KthDistance, []float64{2, 1, 1, 2, 8}},
		// k-distances 2,1,1,2,8. lrd: 0: 1/mean(max(1,1),max(1,2))=1/1.5;
		// 1: 1/mean(2,1)=1/1.5; 2: 1/mean(1,2)=1/1.5; 3: 1/mean(1,2)=1/1.5;
		// 10: 1/mean(7,8)=1/7.5. LOF(10) = mean(lrd 3, lrd 2)/lrd(10) = 5.
		{LOF, []float64{1, 1, 1, 1, 5}},
	}
	for _, tt := range tests {
		got, err := Outliers(bgCtx, g, OutlierOptions{Method: tt.method})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tt.want {
			if math.Abs(got[i].Score-w) > 1e-6 {
				t.Errorf("method %d point %d: score %v want %v", tt.method, i, got[i].Score, w)
			}
		}
		if got[4].Percentile != 90 { // 4 below, itself counts half: 4.5/5
			t.Errorf("method %d: far point percentile %v, want 90", tt.method, got[4].Percentile)
		}
	}
}

func TestOutliersAgainstMatchesLeaveOneOut(t *testing.T) {
	// Querying A's own points with their leave-one-out neighbours must give
	// the self-mode scores.
	rng := rand.New(rand.NewPCG(7, 8))
	vs := gaussian(rng, 400, 5, 0)
	g := mustGraph(t, vs, index.L2, 6)
	for _, m := range []OutlierMethod{MeanDistance, KthDistance, LOF} {
		self, err := Outliers(bgCtx, g, OutlierOptions{Method: m, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		q := make([][]Neighbor, len(vs))
		for i := range q {
			for j, nb := range g.Neighbors[i] {
				q[i] = append(q[i], Neighbor{nb, g.Distances[i][j]})
			}
		}
		ref, err := OutliersAgainst(bgCtx, g, q, OutlierOptions{Method: m, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		for i := range self {
			if math.Abs(self[i].Score-ref[i].Score) > 1e-9 || self[i].Percentile != ref[i].Percentile || len(ref[i].Neighbors) != 5 {
				t.Fatalf("method %d point %d: self %+v reference %+v", m, i, self[i], ref[i])
			}
		}
	}
	// A far query is above every reference score.
	far := []Neighbor{{0, 100}, {1, 101}}
	r, err := OutliersAgainst(bgCtx, g, [][]Neighbor{far}, OutlierOptions{K: 2})
	if err != nil || r[0].Percentile != 100 {
		t.Fatalf("far query: %+v %v", r, err)
	}
	if _, err := OutliersAgainst(bgCtx, g, [][]Neighbor{{{Index: 9999}}}, OutlierOptions{}); err == nil {
		t.Fatal("out-of-range reference neighbour accepted")
	}
}

// injectOutliers appends nOut transformed images to the first n images.
func injectOutliers(imgs [][]float32, n, nOut int, tf func([]float32) []float32) ([][]float32, []bool) {
	vs := append([][]float32(nil), imgs[:n]...)
	isOut := make([]bool, n, n+nOut)
	for i := range nOut {
		vs = append(vs, tf(imgs[len(imgs)-1-i]))
		isOut = append(isOut, true)
	}
	return vs, isOut
}

func TestOutliersFashionSmall(t *testing.T) {
	s := fashion(t, "t10k")
	vs, isOut := injectOutliers(s.Images, 3000, 60, invert)
	g := mustGraph(t, vs, index.L2, 10)
	for _, m := range []OutlierMethod{MeanDistance, KthDistance, LOF} {
		sc, err := Outliers(bgCtx, g, OutlierOptions{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		auc := scoreAUROC(sc, isOut)
		t.Logf("self mode, method %d: AUROC inverted images %.4f", m, auc)
		// LOF is local: the injected images are as dense among themselves
		// as their originals, so LOF (rightly) calls them inliers of their
		// own cluster. Only the global scores are held to a bar.
		if m != LOF && auc < 0.9 {
			t.Errorf("method %d: AUROC %.3f < 0.9", m, auc)
		}
	}
	// Reference mode: B = 1000 clean test images + 60 inverted, A = 3000 clean.
	a := s.Images[:3000]
	b, bOut := injectOutliers(s.Images[3000:], 1000, 60, invert)
	ga := mustGraph(t, a, index.L2, 10)
	q := crossNeighbors(b, a, index.L2, 10)
	for _, m := range []OutlierMethod{MeanDistance, LOF} {
		sc, err := OutliersAgainst(bgCtx, ga, q, OutlierOptions{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		auc := scoreAUROC(sc, bOut)
		t.Logf("reference mode, method %d: AUROC inverted images %.4f", m, auc)
		if auc < 0.95 {
			t.Errorf("reference mode method %d: AUROC %.3f < 0.95", m, auc)
		}
	}
}

func scoreAUROC(sc []OutlierScore, isOut []bool) float64 {
	x := make([]float64, len(sc))
	for i := range sc {
		x[i] = sc[i].Score
	}
	auc, _ := AUROC(x, isOut)
	return auc
}

// crossNeighbors returns, for every query, its k nearest points of ref
// (brute force, in parallel).
func crossNeighbors(queries, ref [][]float32, m index.Metric, k int) [][]Neighbor {
	if m == index.Cosine {
		queries, ref = normalizedCopy(queries), normalizedCopy(ref)
	}
	dist, _ := distanceFunc(m)
	out := make([][]Neighbor, len(queries))
	_ = parallelFor(bgCtx, len(queries), workers, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			out[i] = bruteSearch(ref, queries[i], k, dist, -1)
		}
		return nil
	})
	return out
}
