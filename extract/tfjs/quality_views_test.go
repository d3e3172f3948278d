package tfjs

// Test-time-augmentation study of the embedding (docs/MODEL.md): the
// backbone runs on views of the 224×224 input built inside the ONNX graph
// (mirror, bicubic upsampling), exactly as an Embedding with Views does, and
// the per-view feature maps are pooled here with several GeM exponents so
// that recipes can be compared without re-running the network.
//
//	REEF_QUALITY=1 go test ./extract/tfjs -run TestEmbeddingViewsStudy -v -timeout 3h
//
// REEF_VIEWS_RECIPES="recipe;recipe;…" replaces the built-in list (syntax in
// parseRecipe); REEF_VIEWS_COMPARE="recipeA|recipeB;…" adds McNemar tests
// between recipes on the test queries; REEF_VIEWS_DISJOINT="recipe;…" adds
// the class-disjoint whitening check. Features are cached in
// $TMPDIR/reef-quality-views-*.gob.

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// studyViews are the views extracted for the study (name → view); the
// names give the side length at the study's 224×224 input.
var studyViews = []struct {
	name string
	view View
}{
	{"input", View{}},
	{"flip", View{Flip: true}},
	{"256", View{Scale: 256.0 / 224}},
	{"288", View{Scale: 288.0 / 224}},
	{"320", View{Scale: 320.0 / 224}},
	{"flip288", View{Flip: true, Scale: 288.0 / 224}},
	{"192", View{Scale: 192.0 / 224}},
}

// studyBlocks are the backbone maps pooled for each view.
var studyBlocks = []struct{ short, node string }{
	{"dw10", "tower_0/MobilenetV3/expanded_conv_10/depthwise/hard_swish/mul_1"},
	{"dw11", CenternetDW11},
	{"dw12", CenternetDW12},
	{"dw13", CenternetDW13},
}

// studyPowers are the GeM exponents pooled (1 = mean).
var studyPowers = []int{1, 2, 3, 4, 6}

// gemPool returns GeM(p) of each channel of an NCHW [1,C,H,W] map for every
// p in studyPowers (values clamped at 1e-6 as in the graph).
func gemPool(x []float32, c, hw int) [][]float32 {
	out := make([][]float32, len(studyPowers))
	for i := range out {
		out[i] = make([]float32, c)
	}
	sums := make([]float64, len(studyPowers))
	for ci := 0; ci < c; ci++ {
		for i := range sums {
			sums[i] = 0
		}
		for _, v32 := range x[ci*hw : (ci+1)*hw] {
			v := math.Max(float64(v32), 1e-6)
			v2 := v * v
			v3 := v2 * v
			for i, p := range studyPowers {
				switch p {
				case 1:
					sums[i] += v
				case 2:
					sums[i] += v2
				case 3:
					sums[i] += v3
				case 4:
					sums[i] += v2 * v2
				case 6:
					sums[i] += v3 * v3
				default:
					sums[i] += math.Pow(v, float64(p))
				}
			}
		}
		for i, p := range studyPowers {
			out[i][ci] = float32(math.Pow(sums[i]/float64(hw), 1/float64(p)))
		}
	}
	return out
}

// viewFeatures extracts (or loads from the cache) pooled features of the
// named study views (nil: all) for every study block: names
// "view/block/gemP". A cache of all views serves any subset.
func viewFeatures(t *testing.T, train, test []sample, names []string) *featSet {
	all := filepath.Join(os.TempDir(), fmt.Sprintf("reef-quality-views-%d-%d-%d.gob", len(train), len(test), len(studyViews)))
	cache := all
	var views []View
	if names == nil {
		for _, v := range studyViews {
			names = append(names, v.name)
		}
	}
	for _, nm := range names {
		found := false
		for _, v := range studyViews {
			if v.name == nm {
				views, found = append(views, v.view), true
			}
		}
		if !found {
			t.Fatalf("unknown study view %q", nm)
		}
	}
	if len(names) != len(studyViews) {
		cache = filepath.Join(os.TempDir(), fmt.Sprintf("reef-quality-views-%d-%d-%s.gob", len(train), len(test), strings.Join(names, "_")))
	}
	if fs := loadCache(cache); fs != nil {
		return fs
	}
	if cache != all {
		if fs := loadCache(all); fs != nil {
			return fs
		}
	}
	src := sourceModel(t)
	opts := Options{InputName: "image", InputHeight: 224, InputWidth: 224}
	var outs []string
	for i, v := range views {
		for _, b := range studyBlocks {
			nm := names[i] + "/" + b.short
			opts.Outputs = append(opts.Outputs, Output{Name: nm, Node: b.node, Layout: NCHW, View: &View{Flip: v.Flip, Scale: v.Scale}})
			outs = append(outs, nm)
		}
	}
	res, err := ConvertFile(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, res.ONNX, "image", outs, 2)
	post := func(o [][]float32, shapes [][]int64, add func(string, []float32)) {
		for i, nm := range outs {
			sh := shapes[i]
			for k, v := range gemPool(o[i], int(sh[1]), int(sh[2]*sh[3])) {
				add(fmt.Sprintf("%s/gem%d", nm, studyPowers[k]), v)
			}
		}
	}
	fs := &featSet{}
	var ms1, ms2 float64
	fs.Train, ms1 = extract(t, s, train, 224, nil, post)
	fs.Test, ms2 = extract(t, s, test, 224, nil, post)
	fs.MsImg = (ms1*float64(len(train)) + ms2*float64(len(test))) / float64(len(train)+len(test))
	for k := range fs.Train {
		fs.Names = append(fs.Names, k)
	}
	sort.Strings(fs.Names)
	for _, s := range train {
		fs.TrY = append(fs.TrY, s.class)
	}
	for _, s := range test {
		fs.TeY = append(fs.TeY, s.class)
	}
	saveCache(cache, fs)
	return fs
}

// recipe describes an embedding built from view features.
type recipe struct {
	views   []string  // study view names averaged
	agg     string    // "gem": mean of pooled values; "pow": mean of p-th powers then root; "l2": mean of L2-normalised vectors
	blocks  []string  // block short names
	powers  []int     // GeM exponent per block
	weights []float64 // per-block weight after L2 (1 = none)
	pca     int       // output dims (0: no projection)
	shrink  float64   // whitening regulariser (fraction of the mean eigenvalue)
	power   float64   // signed power after projection
	fitAug  bool      // fit the projection on the train descriptors of each view separately (more samples)
}

func (r recipe) String() string {
	var b []string
	for i, nm := range r.blocks {
		s := fmt.Sprintf("%s:p%d", nm, r.powers[i])
		if r.weights[i] != 1 {
			s += fmt.Sprintf("×%g", r.weights[i])
		}
		b = append(b, s)
	}
	s := fmt.Sprintf("views=%s agg=%s blocks=%s", strings.Join(r.views, ","), r.agg, strings.Join(b, ","))
	if r.pca > 0 {
		s += fmt.Sprintf(" pca=%d shrink=%g pow=%g", r.pca, r.shrink, r.power)
		if r.fitAug {
			s += " fitaug"
		}
	}
	return s
}

// parseRecipe reads "key=value key=value" with keys views (comma list),
// agg, blocks (comma list of block:p or block:p:weight), pca, shrink, pow,
// fitaug (0/1). Unset keys take the v1 recipe's value (baseRecipe).
func parseRecipe(s string) (recipe, error) {
	r := baseRecipe()
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return r, fmt.Errorf("recipe field %q: want key=value", kv)
		}
		var err error
		switch k {
		case "views":
			r.views = strings.Split(v, ",")
		case "agg":
			r.agg = v
		case "blocks":
			r.blocks, r.powers, r.weights = nil, nil, nil
			for _, b := range strings.Split(v, ",") {
				f := strings.Split(b, ":")
				p, w := 3, 1.0
				if len(f) > 1 {
					if p, err = strconv.Atoi(f[1]); err != nil {
						return r, err
					}
				}
				if len(f) > 2 {
					if w, err = strconv.ParseFloat(f[2], 64); err != nil {
						return r, err
					}
				}
				r.blocks, r.powers, r.weights = append(r.blocks, f[0]), append(r.powers, p), append(r.weights, w)
			}
		case "pca":
			r.pca, err = strconv.Atoi(v)
		case "shrink":
			r.shrink, err = strconv.ParseFloat(v, 64)
		case "pow":
			r.power, err = strconv.ParseFloat(v, 64)
		case "fitaug":
			r.fitAug = v == "1"
		default:
			return r, fmt.Errorf("unknown recipe key %q", k)
		}
		if err != nil {
			return r, fmt.Errorf("recipe %s: %v", kv, err)
		}
	}
	return r, nil
}

// baseRecipe is the embedding shipped before this study (v1).
func baseRecipe() recipe {
	return recipe{views: []string{"input"}, agg: "gem", blocks: []string{"dw11", "dw12", "dw13"}, powers: []int{3, 3, 3},
		weights: []float64{1, 1, 1}, pca: 256, shrink: 0.01, power: 0.5}
}

// describe builds the pre-projection descriptors of recipe r for one split
// (views restricts the views, nil: r.views).
func describe(feats map[string][][]float32, r recipe, views []string) ([][]float32, error) {
	if views == nil {
		views = r.views
	}
	n := -1
	for i, b := range r.blocks {
		for _, v := range views {
			nm := fmt.Sprintf("%s/%s/gem%d", v, b, r.powers[i])
			if feats[nm] == nil {
				return nil, fmt.Errorf("feature %s not extracted", nm)
			}
			n = len(feats[nm])
		}
	}
	out := make([][]float32, n)
	for i := 0; i < n; i++ {
		var d []float32
		for bi, b := range r.blocks {
			p := float64(r.powers[bi])
			var acc []float64
			for _, v := range views {
				x := feats[fmt.Sprintf("%s/%s/gem%d", v, b, r.powers[bi])][i]
				if acc == nil {
					acc = make([]float64, len(x))
				}
				switch r.agg {
				case "pow":
					for j, e := range x {
						acc[j] += math.Pow(float64(e), p)
					}
				case "l2":
					for j, e := range l2(x) {
						acc[j] += float64(e)
					}
				default:
					for j, e := range x {
						acc[j] += float64(e)
					}
				}
			}
			v := make([]float32, len(acc))
			for j, a := range acc {
				a /= float64(len(views))
				if r.agg == "pow" {
					a = math.Pow(a, 1/p)
				}
				v[j] = float32(a)
			}
			v = l2(v)
			for j := range v {
				v[j] *= float32(r.weights[bi])
			}
			d = append(d, v...)
		}
		out[i] = d
	}
	return out, nil
}

// fitRecipe fits r's projection on the train descriptors X (or, with
// fitAug, on each view's descriptors of the train images).
func fitRecipe(r recipe, trainFeats map[string][][]float32, X [][]float32, keep func(i int) bool) (*Projection, error) {
	fitX := X
	if r.fitAug && len(r.views) > 1 {
		fitX = nil
		for _, v := range r.views {
			Xv, err := describe(trainFeats, r, []string{v})
			if err != nil {
				return nil, err
			}
			fitX = append(fitX, Xv...)
		}
		if keep != nil {
			var k [][]float32
			for i, x := range fitX {
				if keep(i % len(X)) {
					k = append(k, x)
				}
			}
			fitX = k
		}
	} else if keep != nil {
		var k [][]float32
		for i, x := range X {
			if keep(i) {
				k = append(k, x)
			}
		}
		fitX = k
	}
	return fitPCA(fitX, r.pca, r.shrink, r.power), nil
}

// knnLOO is the leave-one-out cosine 10-NN accuracy within one set (each
// image queried against all the others): a selection metric that never
// looks at the test split.
func knnLOO(X [][]float32, y []string, k int) float64 {
	n := len(X)
	norm := make([][]float32, n)
	for i := range X {
		norm[i] = l2(X[i])
	}
	correct := make([]int, n)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sims := make([]float32, n)
			idx := make([]int, 0, n)
			for i := w; i < n; i += 2 {
				idx = idx[:0]
				for j := range norm {
					if j == i {
						continue
					}
					var s float32
					for d, q := range norm[i] {
						s += q * norm[j][d]
					}
					sims[j] = s
					idx = append(idx, j)
				}
				sort.Slice(idx, func(a, b int) bool { return sims[idx[a]] > sims[idx[b]] })
				votes := map[string]int{}
				score := map[string]float32{}
				for _, j := range idx[:k] {
					votes[y[j]]++
					score[y[j]] += sims[j]
				}
				best, bv, bs := "", -1, float32(0)
				for c, v := range votes {
					if v > bv || (v == bv && score[c] > bs) {
						best, bv, bs = c, v, score[c]
					}
				}
				if best == y[i] {
					correct[i] = 1
				}
			}
		}(w)
	}
	wg.Wait()
	s := 0
	for _, c := range correct {
		s += c
	}
	return float64(s) / float64(n)
}

// evalRecipe returns the 10-NN accuracy of r (projection fitted on the
// train split, test images queried against the train gallery), the
// leave-one-out 10-NN accuracy within the train split (same projection),
// and the projection.
func evalRecipe(fs *featSet, r recipe) (float64, float64, *Projection, error) {
	X, err := describe(fs.Train, r, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	Y, err := describe(fs.Test, r, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	if r.pca <= 0 {
		return knnAccuracy(X, fs.TrY, Y, fs.TeY, 10), knnLOO(X, fs.TrY, 10), nil, nil
	}
	p, err := fitRecipe(r, fs.Train, X, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	pX := applyProjection(p, X)
	return knnAccuracy(pX, fs.TrY, applyProjection(p, Y), fs.TeY, 10), knnLOO(pX, fs.TrY, 10), p, nil
}

// classDisjoint reports r's accuracy on each alternate half of the classes
// with the projection fitted on the other half's train images, on the same
// half's, and on all train images; raw is without projection.
func classDisjoint(t *testing.T, fs *featSet, r recipe) {
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
	X, err := describe(fs.Train, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	Y, err := describe(fs.Test, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	pAll, err := fitRecipe(r, fs.Train, X, nil)
	if err != nil {
		t.Fatal(err)
	}
	for h := 0; h < 2; h++ {
		var gX, qX [][]float32
		var gY, qY []string
		for i, c := range fs.TrY {
			if halves[h][c] {
				gX, gY = append(gX, X[i]), append(gY, c)
			}
		}
		for i, c := range fs.TeY {
			if halves[h][c] {
				qX, qY = append(qX, Y[i]), append(qY, c)
			}
		}
		pOther, err := fitRecipe(r, fs.Train, X, func(i int) bool { return halves[1-h][fs.TrY[i]] })
		if err != nil {
			t.Fatal(err)
		}
		pSame, err := fitRecipe(r, fs.Train, X, func(i int) bool { return halves[h][fs.TrY[i]] })
		if err != nil {
			t.Fatal(err)
		}
		acc := func(p *Projection) float64 {
			return knnAccuracy(applyProjection(p, gX), gY, applyProjection(p, qX), qY, 10)
		}
		t.Logf("RESULT class-half %d (%d classes) %s: raw %.4f | PCAw fitted on the other half %.4f | on this half %.4f | on all train %.4f",
			h, len(halves[h]), r, knnAccuracy(gX, gY, qX, qY, 10), acc(pOther), acc(pSame), acc(pAll))
	}
}

// compareRecipes reports McNemar's test of two recipes on the same test
// queries: the queries only one of them gets right, and the two-sided
// p-value (normal approximation with continuity correction).
func compareRecipes(t *testing.T, fs *featSet, sa, sb string) {
	correct := func(s string) ([]int, recipe) {
		r, err := parseRecipe(s)
		if err != nil {
			t.Fatal(err)
		}
		X, err := describe(fs.Train, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		Y, err := describe(fs.Test, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.pca > 0 {
			p, err := fitRecipe(r, fs.Train, X, nil)
			if err != nil {
				t.Fatal(err)
			}
			X, Y = applyProjection(p, X), applyProjection(p, Y)
		}
		return knnCorrect(X, fs.TrY, Y, fs.TeY, 10), r
	}
	ca, ra := correct(sa)
	cb, rb := correct(sb)
	onlyA, onlyB := 0, 0
	for i := range ca {
		if ca[i] > cb[i] {
			onlyA++
		} else if cb[i] > ca[i] {
			onlyB++
		}
	}
	z := 0.0
	if n := onlyA + onlyB; n > 0 {
		z = (math.Abs(float64(onlyA-onlyB)) - 1) / math.Sqrt(float64(n))
	}
	p := math.Erfc(math.Max(z, 0) / math.Sqrt2)
	t.Logf("RESULT McNemar A=[%s] vs B=[%s]: only A right %d, only B right %d of %d queries, p=%.3g", ra, rb, onlyA, onlyB, len(ca), p)
}

// studyRecipes is the built-in list of recipes compared by the study.
func studyRecipes() []string {
	return []string{
		"pca=0",
		"",
		// GeM exponent per block
		"blocks=dw11:2,dw12:3,dw13:3", "blocks=dw11:4,dw12:3,dw13:3",
		"blocks=dw11:3,dw12:2,dw13:3", "blocks=dw11:3,dw12:4,dw13:3",
		"blocks=dw11:3,dw12:3,dw13:2", "blocks=dw11:3,dw12:3,dw13:4",
		"blocks=dw11:1,dw12:3,dw13:3", "blocks=dw11:3,dw12:3,dw13:1", "blocks=dw11:3,dw12:3,dw13:6",
		// block weights, extra block
		"blocks=dw11:3:0.8,dw12:3,dw13:3:1.2", "blocks=dw11:3,dw12:3,dw13:3:1.3", "blocks=dw11:3:1.2,dw12:3,dw13:3",
		"blocks=dw10:3,dw11:3,dw12:3,dw13:3",
		// projection
		"pca=384", "pca=512", "shrink=0.001", "shrink=0.05", "shrink=0.2", "pow=0.4", "pow=0.6", "pow=1",
		// flip TTA
		"views=input,flip", "views=input,flip agg=pow", "views=input,flip agg=l2", "views=input,flip fitaug=1",
		"views=input,flip pca=384", "views=input,flip pca=512",
		// multi-scale
		"views=256", "views=288", "views=320", "views=192",
		"views=input,256", "views=input,288", "views=input,320", "views=input,192", "views=input,288 agg=l2",
		"views=input,256,288", "views=input,192,288",
		// flip + scale
		"views=input,flip,288,flip288", "views=input,flip,288,flip288 agg=l2",
		"views=input,flip,288", "views=input,flip,288,flip288 pca=512",
	}
}

func TestEmbeddingViewsStudy(t *testing.T) {
	if os.Getenv("REEF_QUALITY") == "" {
		t.Skip("set REEF_QUALITY=1 to run the Caltech-101 embedding-quality study")
	}
	needORT(t)
	dir := caltechDir()
	train := readSplit(t, dir, "train.txt", 0)
	test := readSplit(t, dir, "test.txt", 0)
	st := time.Now()
	fs := viewFeatures(t, train, test, nil)
	t.Logf("view features: %d train, %d test, %d names, %.1f ms/img (all views, 2 threads, batch 1), loaded in %v",
		len(fs.TrY), len(fs.TeY), len(fs.Names), fs.MsImg, time.Since(st).Round(time.Second))
	list := studyRecipes()
	if env := os.Getenv("REEF_VIEWS_RECIPES"); env != "" {
		list = strings.Split(env, ";")
	}
	var mu sync.Mutex
	for _, s := range list {
		r, err := parseRecipe(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		st := time.Now()
		acc, loo, _, err := evalRecipe(fs, r)
		if err != nil {
			t.Errorf("%s: %v", r, err)
			continue
		}
		mu.Lock()
		t.Logf("RESULT %-100s 10-NN acc=%.4f train-LOO=%.4f (%v)", r, acc, loo, time.Since(st).Round(time.Second))
		mu.Unlock()
	}
	if env := os.Getenv("REEF_VIEWS_COMPARE"); env != "" {
		for _, pair := range strings.Split(env, ";") {
			a, b, ok := strings.Cut(pair, "|")
			if !ok {
				t.Fatal("REEF_VIEWS_COMPARE: want recipeA|recipeB;…")
			}
			compareRecipes(t, fs, a, b)
		}
	}
	if env := os.Getenv("REEF_VIEWS_DISJOINT"); env != "" {
		for _, s := range strings.Split(env, ";") {
			r, err := parseRecipe(s)
			if err != nil {
				t.Fatal(err)
			}
			classDisjoint(t, fs, r)
		}
	}
}
