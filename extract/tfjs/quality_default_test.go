package tfjs

import (
	"os"
	"slices"
	"testing"
)

// Projection of the default embedding (see docs/MODEL.md for the study); the
// views, pooling and view averaging come from CenternetEmbedding.
const (
	defaultEmbedSize = 224
	defaultPCADim    = 256
	defaultPCAPower  = 1.0 // no signed power normalisation
	defaultPCAShrink = 0.01
)

// defaultRecipe is CenternetEmbedding's recipe in the study's terms.
func defaultRecipe(t testing.TB) recipe {
	t.Helper()
	e := CenternetEmbedding(nil)
	r := recipe{agg: "gem", pca: defaultPCADim, shrink: defaultPCAShrink, power: defaultPCAPower}
	if e.ViewAverage == ViewAverageL2 {
		r.agg = "l2"
	}
	views := e.Views
	if len(views) == 0 {
		views = []View{{}}
	}
	for _, v := range views {
		name := ""
		for _, sv := range studyViews {
			if sv.view == v {
				name = sv.name
			}
		}
		if name == "" {
			t.Fatalf("embedding view %s is not among the study views", v.String())
		}
		r.views = append(r.views, name)
	}
	short := map[string]string{}
	for _, b := range studyBlocks {
		short[b.node] = b.short
	}
	for i, nm := range e.Nodes {
		g := e.GeM
		if e.NodeGeM != nil {
			g = e.NodeGeM[i]
		}
		if short[nm] == "" || g != float64(int(g)) {
			t.Fatalf("embedding node %s (GeM %g) is not covered by the study", nm, g)
		}
		p := int(g)
		if p < 1 {
			p = 1
		}
		r.blocks, r.powers, r.weights = append(r.blocks, short[nm]), append(r.powers, p), append(r.weights, 1)
	}
	return r
}

// TestDefaultEmbeddingRecipe fits the default PCA-whitening on the Caltech
// train split (labels unused), reports accuracy next to the v1 recipe, checks
// how whitening fitted on one half of the classes transfers to the other
// half, and (REEF_QUALITY_PCA_OUT=file) writes the projection file that
// build-default-model.sh bakes in.
func TestDefaultEmbeddingRecipe(t *testing.T) {
	if os.Getenv("REEF_QUALITY") == "" {
		t.Skip("set REEF_QUALITY=1 to run the Caltech-101 embedding-quality study")
	}
	needORT(t)
	dir := caltechDir()
	train := readSplit(t, dir, "train.txt", 0)
	test := readSplit(t, dir, "test.txt", 0)
	r := defaultRecipe(t)
	names := r.views
	if !slices.Contains(names, "input") {
		names = append([]string{"input"}, names...)
	}
	fs := viewFeatures(t, train, test, names)

	for _, c := range []struct {
		label string
		r     recipe
	}{{"v1 (input view, signed sqrt)", baseRecipe()}, {"default", r}} {
		raw := c.r
		raw.pca = 0
		accRaw, looRaw, _, err := evalRecipe(fs, raw)
		if err != nil {
			t.Fatal(err)
		}
		acc, loo, _, err := evalRecipe(fs, c.r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("RESULT %s %s: no projection %.4f (train-LOO %.4f) | PCAw fitted on all train images %.4f (train-LOO %.4f)", c.label, c.r, accRaw, looRaw, acc, loo)
	}
	classDisjoint(t, fs, r)
	if out := os.Getenv("REEF_QUALITY_PCA_OUT"); out != "" {
		X, err := describe(fs.Train, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := fitRecipe(r, fs.Train, X, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteProjection(f, p); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// TestBuiltinEmbeddingQuality measures the shipped model end to end: the
// ONNX "embedding" output at 224×224 on the Caltech-101 split.
func TestBuiltinEmbeddingQuality(t *testing.T) {
	if os.Getenv("REEF_QUALITY") == "" {
		t.Skip("set REEF_QUALITY=1 to run the Caltech-101 embedding-quality study")
	}
	needORT(t)
	onnx, err := os.ReadFile(builtinModel(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := caltechDir()
	train := readSplit(t, dir, "train.txt", 0)
	test := readSplit(t, dir, "test.txt", 0)
	s := newSession(t, onnx, "image", []string{"embedding"}, 2)
	post := func(o [][]float32, _ [][]int64, add func(string, []float32)) { add("embedding", o[0]) }
	tr, ms := extract(t, s, train, defaultEmbedSize, nil, post)
	te, _ := extract(t, s, test, defaultEmbedSize, nil, post)
	var trY, teY []string
	for _, x := range train {
		trY = append(trY, x.class)
	}
	for _, x := range test {
		teY = append(teY, x.class)
	}
	acc := knnAccuracy(tr["embedding"], trY, te["embedding"], teY, 10)
	t.Logf("RESULT builtin reef-centernet-v1 embedding (dim %d, %dx%d): 10-NN acc=%.4f, train-LOO %.4f (%.1f ms/img, 2 threads, batch 1)", len(tr["embedding"][0]), defaultEmbedSize, defaultEmbedSize, acc, knnLOO(tr["embedding"], trY, 10), ms)
	// The goal docs/MODEL.md states: 0.9 × the ImageNet MobileNetV2
	// reference (0.8635 on this split), i.e. 0.777; measured 0.7861.
	if acc < 0.777 {
		t.Errorf("built-in model 10-NN accuracy %.4f, below the 0.777 goal (0.9 × MobileNetV2)", acc)
	}
}
