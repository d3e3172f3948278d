package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reef-ml/reef/fashionmnist"
)

// runCompare compares A = points with inA, B = the rest, with class groups.
func heavyCompare(t *testing.T, g *Graph, isB []bool, labels []int, name string) *CompareResult {
	t.Helper()
	groups := make([]string, len(labels))
	for i, l := range labels {
		groups[i] = fashionmnist.ClassNames[l]
	}
	start := time.Now()
	r, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: 1000, Seed: 1, Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (%v): nA=%d nB=%d T=%.4f E=%.4f z=%.2f pz=%.3g pperm=%.3g effect=%.4f", name, time.Since(start).Round(time.Millisecond),
		r.NA, r.NB, r.Statistic, r.Expected, r.Z, r.PValueZ, r.PValuePerm, r.Effect)
	for _, gd := range r.Groups[:4] {
		t.Logf("    %-12s A %5d B %5d z %8.2f p %.3g sig %v covA %.2f covB %.2f", gd.Group, gd.CountA, gd.CountB, gd.Z, gd.PValue, gd.Significant, gd.MeanCoverageA, gd.MeanCoverageB)
	}
	return r
}

func TestHeavyCompare(t *testing.T) {
	h := loadHeavy(t)
	nTr := len(h.train.Images)
	isB := make([]bool, len(h.all))
	for i := nTr; i < len(isB); i++ {
		isB[i] = true
	}
	keepAll := make([]bool, len(h.all))
	for i := range keepAll {
		keepAll[i] = true
	}
	g10, _ := filterGraph(h.graph, keepAll, 10)
	same := heavyCompare(t, g10, isB, h.labels, "train vs test")
	if same.PValuePerm < 0.05 {
		t.Errorf("train vs test rejected: p %.3g", same.PValuePerm)
	}
	// Random split of train: 50000 vs 10000.
	rng := rand.New(rand.NewPCG(81, 82))
	keepTr := make([]bool, len(h.all))
	for i := range nTr {
		keepTr[i] = true
	}
	gTr, _ := filterGraph(h.graph, keepTr, 10)
	split := make([]bool, nTr)
	for _, i := range rng.Perm(nTr)[:10000] {
		split[i] = true
	}
	heavyCompare(t, gTr, split, h.labels[:nTr], "train random split 50000 vs 10000")

	// Test without Coat (4) and Bag (8).
	keep := slices.Clone(keepAll)
	for i := nTr; i < len(keep); i++ {
		if h.labels[i] == 4 || h.labels[i] == 8 {
			keep[i] = false
		}
	}
	gRm, short := filterGraph(h.graph, keep, 10)
	var isBRm []bool
	var labRm []int
	for i, k := range keep {
		if k {
			isBRm = append(isBRm, isB[i])
			labRm = append(labRm, h.labels[i])
		}
	}
	rm := heavyCompare(t, gRm, isBRm, labRm, "train vs test without Coat and Bag")
	if short > 0 {
		t.Logf("    %d rows shorter than k", short)
	}
	checkTop(t, rm, "Bag", "Coat")

	// Test with Dress (3) and Sandal (5) tripled (two extra copies each).
	var extra [][]float32
	isBTr := slices.Clone(isB)
	labTr := slices.Clone(h.labels)
	for i := nTr; i < len(h.all); i++ {
		if l := h.labels[i]; l == 3 || l == 5 {
			for range 2 {
				extra = append(extra, h.all[i])
				isBTr = append(isBTr, true)
				labTr = append(labTr, l)
			}
		}
	}
	gTrip := augmentGraph(h.all, h.graph, extra, 10)
	trip := heavyCompare(t, gTrip, isBTr, labTr, "train vs test with Dress and Sandal tripled")
	checkTop(t, trip, "Dress", "Sandal")
}

func checkTop(t *testing.T, r *CompareResult, a, b string) {
	t.Helper()
	if r.PValuePerm >= 0.001 || r.PValueZ >= 0.001 {
		t.Errorf("difference not detected: p %.3g / %.3g", r.PValuePerm, r.PValueZ)
	}
	top := []string{r.Groups[0].Group, r.Groups[1].Group}
	slices.Sort(top)
	if top[0] != a || top[1] != b || !r.Groups[1].Significant {
		t.Errorf("most significant groups %v, want %s and %s", top, a, b)
	}
}

func TestHeavyClusters(t *testing.T) {
	h := loadHeavy(t)
	raw := append(append([][]float32(nil), h.train.Images...), h.test.Images...)
	report := func(name string, labels []int, d time.Duration) {
		ari, _ := AdjustedRandIndex(labels, h.labels)
		pur, _ := Purity(labels, h.labels)
		nmi, _ := NMI(labels, h.labels)
		t.Logf("%-40s ARI %.3f purity %.3f NMI %.3f (%v)", name, ari, pur, nmi, d.Round(time.Millisecond))
	}
	for _, c := range []struct {
		name string
		vs   [][]float32
	}{{"k-means K=10, raw pixels", raw}, {"k-means K=10, PCA-50", h.all}} {
		start := time.Now()
		km, err := KMeans(bgCtx, c.vs, KMeansOptions{K: 10, Seed: 1, MaxIter: 300})
		if err != nil {
			t.Fatal(err)
		}
		report(c.name, km.Labels, time.Since(start))
	}
	for _, o := range []DensityOptions{{MinClusterSize: 100, MinSamples: 10}, {MinClusterSize: 500, MinSamples: 10}, {MinClusterSize: 1000, MinSamples: 30}} {
		start := time.Now()
		g := h.graph
		if o.MinSamples < 30 {
			keep := make([]bool, len(h.all))
			for i := range keep {
				keep[i] = true
			}
			g, _ = filterGraph(h.graph, keep, 15)
		}
		d, err := DensityClusters(bgCtx, g, o)
		if err != nil {
			t.Fatal(err)
		}
		noise := 0
		var pl, tl []int
		for i, l := range d.Labels {
			if l < 0 {
				noise++
			} else {
				pl, tl = append(pl, l), append(tl, h.labels[i])
			}
		}
		ariNN, _ := AdjustedRandIndex(pl, tl)
		purNN, _ := Purity(pl, tl)
		report("density PCA-50 graph k="+itoa(g.K)+" mcs="+itoa(o.MinClusterSize)+" ms="+itoa(o.MinSamples), d.Labels, time.Since(start))
		t.Logf("    %d clusters, noise %.1f%%, on non-noise points ARI %.3f purity %.3f", d.NumClusters, 100*float64(noise)/float64(len(d.Labels)), ariNN, purNN)
	}
}

func itoa(x int) string {
	if x == 0 {
		return "0"
	}
	var b []byte
	for ; x > 0; x /= 10 {
		b = append([]byte{byte('0' + x%10)}, b...)
	}
	return string(b)
}

// TestSimilarFashionMNIST checks, on all 60,000 Fashion-MNIST training
// images, the claim multi-example search rests on: five examples find more of
// their class than one does, and a page of feedback improves the next page.
// The draws are seeded, so the figures are the same on every run (they were
// single 0.530 / 0.720, average 0.629 / 0.805, feedback 0.871 / 0.781). It
// runs in make test's non-race pass: -race makes 60k cosine scans too slow.
func TestSimilarFashionMNIST(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("full-size run: make test runs it without -race")
	}
	tr := fashion(t, "train")
	imgs, labels := subset(tr, len(tr.Images))
	for _, pn := range [][2]int{{6, 0}, {4, 2}} { // Shirt vs T-shirt, Coat vs Pullover
		start := time.Now()
		st := evalSimilar(t, imgs, labels, pn[0], pn[1], 20, 7)
		t.Logf("%s (5 pos) vs %s (5 neg), 60000 train, cosine, 20 draws (%v): P@50 single %.3f, average %.3f, best %.3f, rocchio-full %.3f, feedback next-50 %.3f",
			fashionmnist.ClassNames[pn[0]], fashionmnist.ClassNames[pn[1]], time.Since(start).Round(time.Millisecond),
			st.single, st.average, st.best, st.rocchioFull, st.feedback)
		// 20 draws of 50 results: a gain of 0.05 is several standard errors.
		if st.average < st.single+0.05 {
			t.Errorf("%s: five averaged examples P@50 %.3f, not above one example's %.3f by 0.05", fashionmnist.ClassNames[pn[0]], st.average, st.single)
		}
		if st.feedback < st.single+0.05 {
			t.Errorf("%s: feedback's next page P@50 %.3f, not above one example's %.3f by 0.05", fashionmnist.ClassNames[pn[0]], st.feedback, st.single)
		}
	}
}

func TestHeavyDuplicates(t *testing.T) {
	h := loadHeavy(t)
	nTr := len(h.train.Images)
	rng := rand.New(rand.NewPCG(91, 92))
	// 200 exact and 200 noised (pixel noise sd 8) copies of train images,
	// added to the test set (B): leakage.
	withCopies, src := injectDuplicates(rng, h.train.Images, 200, 200, 8)
	copies := withCopies[nTr:]
	extra := h.pca.project(copies)
	g := augmentGraph(h.all, h.graph, extra, 10)
	srcAll := map[int]int{}
	for c, s := range src {
		srcAll[c-nTr+len(h.all)] = s
	}
	isB := make([]bool, g.Len())
	for i := nTr; i < len(isB); i++ {
		isB[i] = true
	}
	for _, rel := range []float64{0.1, 0.2, 0.3} {
		r, err := Duplicates(g, DuplicateOptions{Relative: rel})
		if err != nil {
			t.Fatal(err)
		}
		found, other := checkDupGroups(r, srcAll)
		rc, _ := Duplicates(g, DuplicateOptions{Relative: rel, IsB: isB})
		foundC, otherC := checkDupGroups(rc, srcAll)
		t.Logf("relative %.1f (threshold %.1f): all pairs: %d/400 copies grouped with source, %d groups without injected copies; cross-set: %d/400, %d other groups",
			rel, r.Threshold, found, other, foundC, otherC)
		if rel == 0.3 && (found != 400 || foundC != 400) {
			t.Errorf("found %d and %d of 400", found, foundC)
		}
	}
}
