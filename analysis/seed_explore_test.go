package analysis

import "testing"

func TestExploreSeed2(t *testing.T) {
	needHeavy(t)
	for _, m := range []int{300, 100} {
		g, isOut := contaminated(t, 10000, caltech28(t, m, 2), "caltech-seed2", 1024, false)
		base, _ := Outliers(bgCtx, g, OutlierOptions{K: 10})
		ms, _ := MultiScaleOutliers(bgCtx, g, MultiScaleOptions{})
		t.Logf("seed 2, %d photos: share %.3f single %.4f multi %.4f", m, foreignShare(g, isOut, 10), scoreAUROC(base, isOut), scoreAUROC(ms.Scores, isOut))
	}
}
