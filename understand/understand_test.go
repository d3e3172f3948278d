package understand

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
)

// fmnistEngine loads Fashion-MNIST subsets as datasets "train", "test" and
// "shifted" (the test subset without Coat and Bag), pixels as 784-d L2
// vectors with metadata {"label": class name}.
func fmnistEngine(t *testing.T) (*testEnv, *fashionmnist.Set) {
	t.Helper()
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("dataset-fashion-mnist not installed (make setup installs it)")
	}
	if raceEnabled {
		// Its figures need the full subsets, which -race makes too slow;
		// make test runs it in its non-race pass, every assertion on.
		t.Skip("real-data figures run in make test's non-race pass")
	}
	train, err := fashionmnist.Load(fashionmnist.DefaultDir, "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := fashionmnist.Load(fashionmnist.DefaultDir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	nTrain, nTest := 6000, 2000
	e := openEngine(t, t.TempDir())
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	load := func(name string, set *fashionmnist.Set, n int, keep func(label uint8) bool, extra func(add func(id string, v []float32, label string))) {
		e.CreateDataset(ctx, name)
		if _, err := e.CreateSpace(ctx, name, engine.SpaceSpec{Name: "pixels", Dim: 784, Metric: "l2"}); err != nil {
			t.Fatal(err)
		}
		var b engine.ImportBatch
		b.Space, b.Dim = "pixels", 784
		add := func(id string, v []float32, label string) {
			b.IDs = append(b.IDs, id)
			b.Data = append(b.Data, v...)
			b.Metadata = append(b.Metadata, json.RawMessage(fmt.Sprintf(`{"label":%q}`, label)))
		}
		for i := 0; i < n; i++ {
			if keep(set.Labels[i]) {
				add(fmt.Sprintf("%s-%05d", name, i), set.Images[i], fashionmnist.ClassNames[set.Labels[i]])
			}
		}
		if extra != nil {
			extra(add)
		}
		if _, err := e.Import(ctx, name, b, nil); err != nil {
			t.Fatal(err)
		}
	}
	all := func(uint8) bool { return true }
	load("train", train, nTrain, all, func(add func(string, []float32, string)) {
		// Inverted images: another kind of picture, injected as outliers at
		// the contamination (a few hundred in 60k: 0.5%).
		for i := 0; i < nTrain/200; i++ {
			inv := make([]float32, 784)
			for j, p := range test.Images[5000+i] {
				inv[j] = 255 - p
			}
			add(fmt.Sprintf("inverted-%03d", i), inv, "inverted")
		}
	})
	load("test", test, nTest, all, nil)
	load("shifted", test, 2*nTest, func(l uint8) bool { return l != 4 && l != 8 }, nil)
	return e, train
}

func TestUnderstandingFashionMNIST(t *testing.T) {
	e, train := fmnistEngine(t)
	ctx := context.Background()

	t.Run("outliers", func(t *testing.T) {
		res, err := e.Outliers(ctx, "train", OutliersRequest{Space: "pixels", K: 10, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		scores := make([]float64, len(res.Outliers))
		isOut := make([]bool, len(res.Outliers))
		for i, o := range res.Outliers {
			scores[i], isOut[i] = o.Score, len(o.ID) > 8 && o.ID[:8] == "inverted"
		}
		auc, err := analysis.AUROC(scores, isOut)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("outliers: AUROC %.3f for %d injected inverted images among %d", auc, countTrue(isOut), len(isOut))
		if auc < 0.95 {
			t.Fatalf("AUROC %.3f < 0.95", auc)
		}
	})

	t.Run("compare", func(t *testing.T) {
		same, err := e.Compare(ctx, CompareRequest{Space: "pixels", A: "train", B: "test", GroupBy: "label", Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		shifted, err := e.Compare(ctx, CompareRequest{Space: "pixels", A: "train", B: "shifted", GroupBy: "label", Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("compare: train vs test p=%.3f z=%.2f; train vs shifted p=%.4f z=%.2f, top groups %s, %s",
			same.PValue, same.Z, shifted.PValue, shifted.Z, shifted.Groups[0].Group, shifted.Groups[1].Group)
		// The injected inverted images exist only in train; they are the one
		// group allowed to differ in train vs test.
		if same.PValue < 0.05 && same.Groups[0].Group != "inverted" {
			t.Fatalf("train vs test came out different: p=%.4f, top group %s", same.PValue, same.Groups[0].Group)
		}
		if shifted.PValue >= 0.001 {
			t.Fatalf("train vs shifted p=%.4f, want < 0.001", shifted.PValue)
		}
		var top []string
		for _, g := range shifted.Groups[:3] {
			if g.Significant {
				top = append(top, g.Group)
			}
		}
		if !slices.Contains(top, "Coat") || !slices.Contains(top, "Bag") {
			t.Fatalf("breakdown's top significant groups %v do not name Coat and Bag", top)
		}
	})

	t.Run("clusters", func(t *testing.T) {
		res, err := e.Clusters(ctx, "test", ClustersRequest{Space: "pixels", K: 10, SummaryFields: []string{"label"}, WriteMetadata: true, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Clusters) != 10 || res.Clusters[0].Medoid == nil {
			t.Fatalf("clusters = %+v", res.Clusters)
		}
		// Agreement with labels, read back from the written metadata.
		var pred, truth []int
		classes := map[string]int{}
		err = e.ScanPoints(ctx, "test", nil, func(p engine.PointView) error {
			var m struct {
				Label   string
				Cluster int
			}
			json.Unmarshal(p.Metadata, &m)
			if _, ok := classes[m.Label]; !ok {
				classes[m.Label] = len(classes)
			}
			pred, truth = append(pred, m.Cluster), append(truth, classes[m.Label])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ari, _ := analysis.AdjustedRandIndex(pred, truth)
		pur, _ := analysis.Purity(pred, truth)
		t.Logf("clusters: k-means on pixels, ARI %.3f, purity %.3f", ari, pur)
		if ari < 0.2 {
			t.Fatalf("ARI %.3f", ari)
		}
	})

	t.Run("similar-to-several", func(t *testing.T) {
		// 5 Shirts as positives, 5 T-shirts as negatives, against one Shirt.
		var shirts, tees []string
		loaded := 6000
		for i, l := range train.Labels[:loaded] {
			switch l {
			case 6:
				shirts = append(shirts, fmt.Sprintf("train-%05d", i))
			case 0:
				tees = append(tees, fmt.Sprintf("train-%05d", i))
			}
		}
		prec := func(hits []engine.Hit) float64 {
			n := 0
			for _, h := range hits {
				var m struct{ Label string }
				json.Unmarshal(h.Metadata, &m)
				if m.Label == "Shirt" {
					n++
				}
			}
			return float64(n) / float64(len(hits))
		}
		r := rand.New(rand.NewPCG(7, 7))
		var single, multi float64
		const draws = 10
		for range draws {
			r.Shuffle(len(shirts), func(i, j int) { shirts[i], shirts[j] = shirts[j], shirts[i] })
			r.Shuffle(len(tees), func(i, j int) { tees[i], tees[j] = tees[j], tees[i] })
			one, err := e.Search(ctx, "train", engine.SearchRequest{Space: "pixels", ID: shirts[0], K: 50})
			if err != nil {
				t.Fatal(err)
			}
			var pos, neg []engine.Target
			for i := range 5 {
				pos, neg = append(pos, engine.Target{ID: shirts[i]}), append(neg, engine.Target{ID: tees[i]})
			}
			several, err := e.Search(ctx, "train", engine.SearchRequest{Space: "pixels", Positive: pos, Negative: neg, K: 50})
			if err != nil {
				t.Fatal(err)
			}
			single += prec(one.Hits) / draws
			multi += prec(several.Hits) / draws
		}
		t.Logf("similar-to-several: precision@50 for Shirt, single example %.3f, 5 positives + 5 negatives %.3f", single, multi)
		// On raw pixels under L2 the Shirt/T-shirt boundary is not linear
		// enough for several examples to help (measured: 0.48 vs 0.49); the
		// precision claim is tested on embeddings (PCA-50, cosine) in
		// analysis/heavy_test.go. Here: the mechanics, through the index.
		if multi < single-0.1 {
			t.Fatalf("several examples (%.3f) far worse than one (%.3f)", multi, single)
		}
		res, err := e.Search(ctx, "train", engine.SearchRequest{Space: "pixels", Positive: []engine.Target{{ID: shirts[0]}, {ID: shirts[1]}},
			Negative: []engine.Target{{ID: tees[0]}}, K: 20, Strategy: "best_score"})
		if err != nil || len(res.Hits) != 20 {
			t.Fatalf("best_score: %d hits, %v", len(res.Hits), err)
		}
		for i, h := range res.Hits {
			if h.ID == shirts[0] || h.ID == shirts[1] || h.ID == tees[0] {
				t.Fatalf("an example came back as a result: %s", h.ID)
			}
			if h.Score == nil || h.Matched == nil || *h.Matched > 1 || (i > 0 && *h.Score > *res.Hits[i-1].Score) {
				t.Fatalf("hit %d: score/matched missing or out of order: %+v", i, h)
			}
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		// The test subset's images copied into a fresh dataset are leakage.
		e.CreateDataset(ctx, "copies")
		e.CreateSpace(ctx, "copies", engine.SpaceSpec{Name: "pixels", Dim: 784, Metric: "l2"})
		var b engine.ImportBatch
		b.Space, b.Dim = "pixels", 784
		for i := range 20 {
			p, _ := e.Point(ctx, "test", fmt.Sprintf("test-%05d", i))
			b.IDs, b.Data = append(b.IDs, fmt.Sprintf("copy-%d", i)), append(b.Data, p.Vectors["pixels"]...)
		}
		e.Import(ctx, "copies", b, nil)
		res, err := e.Duplicates(ctx, "copies", DuplicatesRequest{Space: "pixels", Other: "test", Threshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Groups) < 20 {
			t.Fatalf("found %d leakage groups, want the 20 copies", len(res.Groups))
		}
	})
	mustCheck(t, e)
}

func countTrue(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}
