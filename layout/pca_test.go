package layout

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestPCA(t *testing.T) {
	n := 1200
	if raceEnabled {
		n = 400
	}
	for _, c := range []int{3, 5} {
		bd := cachedBlobs(t, n, c)
		o := DefaultOptions()
		got, err := PCA(context.Background(), bd.vecs, o)
		if err != nil {
			t.Fatal(err)
		}
		// Variances along the two axes must equal the top two eigenvalues of
		// the full covariance (computed here by Jacobi on the 20×20 matrix),
		// and the axes must be uncorrelated.
		d := len(bd.vecs[0])
		mean := make([]float64, d)
		for _, v := range bd.vecs {
			for j, x := range v {
				mean[j] += float64(x) / float64(n)
			}
		}
		cov := make([][]float64, d)
		for a := range d {
			cov[a] = make([]float64, d)
		}
		for _, v := range bd.vecs {
			for a := range d {
				for b := range d {
					cov[a][b] += (float64(v[a]) - mean[a]) * (float64(v[b]) - mean[b]) / float64(n)
				}
			}
		}
		vals, _ := jacobiEigen(cov)
		var v0, v1, c01 float64
		for _, p := range got {
			v0 += float64(p[0]) * float64(p[0]) / float64(n)
			v1 += float64(p[1]) * float64(p[1]) / float64(n)
			c01 += float64(p[0]) * float64(p[1]) / float64(n)
		}
		if math.Abs(v0-vals[0]) > 1e-4*vals[0] || math.Abs(v1-vals[1]) > 1e-4*vals[0] || math.Abs(c01) > 1e-4*vals[0] {
			t.Errorf("%d blobs: PCA variances %.4f %.4f (cov %.2g), want %.4f %.4f", c, v0, v1, c01, vals[0], vals[1])
		}
		agree := NeighborAgreement2D(got, bd.labels, 10)
		t.Logf("%d blobs: PCA 10-NN agreement %.4f, variances %.2f %.2f of eigenvalues %.2f", c, agree, v0, v1, vals[:3])
		if c == 3 && agree < 0.95 { // 3 centroids span a plane: PCA must separate them
			t.Errorf("3 blobs: PCA agreement %.4f < 0.95", agree)
		}
		// Deterministic across worker counts.
		o.Workers = 1
		again, _ := PCA(context.Background(), bd.vecs, o)
		if !slices.Equal(got, again) {
			t.Error("PCA differs between Workers=1 and the default")
		}
	}
}
