package tfjs

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// Recipe of the default embedding (see docs/MODEL.md for the study).
var (
	defaultEmbedBlocks = []string{"s16_dw11/gem", "s32_dw12/gem", "s32_dw13/gem"}
	defaultEmbedSize   = 224
	defaultPCADim      = 256
	defaultPCAPower    = 0.5
	defaultPCAShrink   = 0.01
)

func subset(fs *featSet, names []string, keep map[string]bool) (trX [][]float32, trY []string, teX [][]float32, teY []string) {
	X, Y := concatNorm(fs.Train, names), concatNorm(fs.Test, names)
	for i, c := range fs.TrY {
		if keep == nil || keep[c] {
			trX, trY = append(trX, X[i]), append(trY, c)
		}
	}
	for i, c := range fs.TeY {
		if keep == nil || keep[c] {
			teX, teY = append(teX, Y[i]), append(teY, c)
		}
	}
	return
}

// TestDefaultEmbeddingRecipe fits the default PCA-whitening on the Caltech
// train split, reports accuracy, checks how whitening fitted on one half of
// the classes transfers to the other half, and (REEF_QUALITY_PCA_OUT=file)
// writes the projection file that build-default-model.sh bakes in.
func TestDefaultEmbeddingRecipe(t *testing.T) {
	if os.Getenv("REEF_QUALITY") == "" {
		t.Skip("set REEF_QUALITY=1 to run the Caltech-101 embedding-quality study")
	}
	needORT(t)
	src := sourceModel(t)
	dir := caltechDir()
	train := readSplit(t, dir, "train.txt", 0)
	test := readSplit(t, dir, "test.txt", 0)
	fs := centernetFeatures(t, src, defaultEmbedSize, train, test)
	name := strings.Join(defaultEmbedBlocks, "+")

	trX, trY, teX, teY := subset(fs, defaultEmbedBlocks, nil)
	t.Logf("RESULT default %s no projection: %.4f", name, knnAccuracy(trX, trY, teX, teY, 10))
	p := fitPCA(trX, defaultPCADim, defaultPCAShrink, defaultPCAPower)
	acc := knnAccuracy(applyProjection(p, trX), trY, applyProjection(p, teX), teY, 10)
	t.Logf("RESULT default %s PCAw%d pow%.1f fitted on all train images: %.4f", name, defaultPCADim, defaultPCAPower, acc)

	// class-disjoint transfer: fit on classes A, evaluate on classes B.
	var classes []string
	seen := map[string]bool{}
	for _, c := range fs.TrY {
		if !seen[c] {
			seen[c] = true
			classes = append(classes, c)
		}
	}
	sort.Strings(classes)
	halves := [2]map[string]bool{{}, {}}
	for i, c := range classes {
		halves[i%2][c] = true
	}
	for h := 0; h < 2; h++ {
		fitX, _, _, _ := subset(fs, defaultEmbedBlocks, halves[1-h])
		inX, _, _, _ := subset(fs, defaultEmbedBlocks, halves[h])
		gX, gY, qX, qY := subset(fs, defaultEmbedBlocks, halves[h])
		pOther := fitPCA(fitX, defaultPCADim, defaultPCAShrink, defaultPCAPower)
		pSame := fitPCA(inX, defaultPCADim, defaultPCAShrink, defaultPCAPower)
		t.Logf("RESULT class-half %d (%d classes): raw %.4f | PCAw fitted on the other half's train images %.4f | fitted on this half's train images %.4f | fitted on all train %.4f",
			h, len(halves[h]), knnAccuracy(gX, gY, qX, qY, 10),
			knnAccuracy(applyProjection(pOther, gX), gY, applyProjection(pOther, qX), qY, 10),
			knnAccuracy(applyProjection(pSame, gX), gY, applyProjection(pSame, qX), qY, 10),
			knnAccuracy(applyProjection(p, gX), gY, applyProjection(p, qX), qY, 10))
	}
	if out := os.Getenv("REEF_QUALITY_PCA_OUT"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteProjection(f, p); err != nil {
			t.Fatal(err)
		}
		f.Close()
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
	t.Logf("RESULT builtin reef-centernet-v1 embedding (dim %d, %dx%d): 10-NN acc=%.4f (%.1f ms/img, 2 threads, batch 1)", len(tr["embedding"][0]), defaultEmbedSize, defaultEmbedSize, acc, ms)
}
