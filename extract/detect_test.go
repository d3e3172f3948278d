package extract

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// --- decoding on hand-made tensors -------------------------------------

// testHeads builds a 1×h×w×k heatmap and a 1×h×w×4 boxes tensor (NHWC)
// from per-(row,col,class) values; every box is (b0,b1,b2,b3) = (2,3,4,5).
func testHeads(h, w, k int, vals map[[3]int]float32) (hm, bx *Tensor) {
	hm = &Tensor{Shape: []int64{1, int64(h), int64(w), int64(k)}, Data: make([]float32, h*w*k)}
	for p, v := range vals {
		hm.Data[(p[0]*w+p[1])*k+p[2]] = v
	}
	bx = &Tensor{Shape: []int64{1, int64(h), int64(w), 4}, Data: make([]float32, h*w*4)}
	for i := 0; i < h*w; i++ {
		copy(bx.Data[4*i:], []float32{2, 3, 4, 5})
	}
	return hm, bx
}

// toNCHW transposes a 1×h×w×c tensor.
func toNCHW(t *Tensor) *Tensor {
	h, w, c := int(t.Shape[1]), int(t.Shape[2]), int(t.Shape[3])
	out := &Tensor{Shape: []int64{1, int64(c), int64(h), int64(w)}, Data: make([]float32, len(t.Data))}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for k := 0; k < c; k++ {
				out.Data[(k*h+y)*w+x] = t.Data[(y*w+x)*c+k]
			}
		}
	}
	return out
}

func TestDetectDecodePeaks(t *testing.T) {
	nan := float32(math.NaN())
	hm, bx := testHeads(6, 6, 2, map[[3]int]float32{
		{1, 1, 0}: 0.9, // peak
		{1, 2, 0}: 0.8, // neighbour of a larger value: suppressed
		{4, 4, 0}: 0.5, // plateau of two equal values: both are peaks (max-pool equality)
		{4, 5, 0}: 0.5,
		{1, 1, 1}: 0.7, // same cell, other class: its own peak
		{3, 0, 1}: 0.2, // below threshold
		{0, 5, 1}: nan, // never kept
		{5, 0, 1}: 0.6, // border peak
	})
	want := []struct {
		r, c, k int
		score   float32
	}{{1, 1, 0, 0.9}, {1, 1, 1, 0.7}, {5, 0, 1, 0.6}, {4, 4, 0, 0.5}, {4, 5, 0, 0.5}}
	for _, layout := range []string{"nhwc", "nchw"} {
		h, b := hm, bx
		if layout == "nchw" {
			h, b = toNCHW(hm), toNCHW(bx)
		}
		hv, err := headFromTensor(h, layout, 0)
		if err != nil {
			t.Fatal(err)
		}
		bv, _ := headFromTensor(b, layout, 0)
		got := decodePeaks(hv, bv, 4, 0.3, 100)
		if len(got) != len(want) {
			t.Fatalf("%s: %d peaks %+v, want %d", layout, len(got), got, len(want))
		}
		for i, w := range want {
			g := got[i]
			cx, cy := float32(4*w.c), float32(4*w.r)
			wantBox := [4]float32{cx - 2, cy - 3, cx + 4, cy + 5}
			if g.class != w.k || g.score != w.score || g.box != wantBox {
				t.Errorf("%s: peak %d = %+v, want class %d score %v box %v", layout, i, g, w.k, w.score, wantBox)
			}
		}
		if top := decodePeaks(hv, bv, 4, 0.3, 2); len(top) != 2 || top[1].score != 0.7 {
			t.Errorf("%s: top-2 = %+v", layout, top)
		}
	}
}

func TestDetectNMS(t *testing.T) {
	dets := []rawDet{
		{box: [4]float32{0, 0, 10, 10}, score: 0.9, class: 0},
		{box: [4]float32{1, 1, 11, 11}, score: 0.8, class: 1},   // IoU 0.68 with #0, other class
		{box: [4]float32{0, 0, 10, 5}, score: 0.7, class: 0},    // IoU 0.5 with #0: not > 0.5, kept
		{box: [4]float32{20, 20, 30, 30}, score: 0.6, class: 0}, // disjoint
	}
	scores := func(ds []rawDet) (s []float32) {
		for _, d := range ds {
			s = append(s, d.score)
		}
		return s
	}
	if got := scores(nms(dets, 0.5, false, 10)); fmt.Sprint(got) != "[0.9 0.7 0.6]" {
		t.Errorf("class-agnostic NMS kept %v", got)
	}
	if got := scores(nms(dets, 0.5, true, 10)); fmt.Sprint(got) != "[0.9 0.8 0.7 0.6]" {
		t.Errorf("per-class NMS kept %v", got)
	}
	if got := scores(nms(dets, 0.4, false, 10)); fmt.Sprint(got) != "[0.9 0.6]" {
		t.Errorf("NMS at 0.4 kept %v", got)
	}
	if got := nms(dets, 1, false, 2); len(got) != 2 {
		t.Errorf("max 2 kept %d", len(got))
	}
	if v := iou([4]float32{0, 0, 2, 2}, [4]float32{1, 1, 3, 3}); math.Abs(float64(v)-1.0/7) > 1e-6 {
		t.Errorf("iou = %v, want 1/7", v)
	}
	if v := iou([4]float32{0, 0, 0, 0}, [4]float32{0, 0, 0, 0}); v != 0 {
		t.Errorf("iou of empty boxes = %v", v)
	}
}

func TestDetectionSpecManifest(t *testing.T) {
	base := strings.TrimSuffix(strings.TrimSpace(validManifest), "}")
	m, err := ParseManifest([]byte(base + `, "object_layer": "feat", "detection": {"heatmap": "hm", "boxes": "wh"}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := m.Detection
	if d.InputSize != m.InputSize || d.Stride != 4 || d.ScoreThreshold != 0.3 || d.MaxDetections != 20 || d.TopK != 100 ||
		d.NMSIoU != 0.5 || d.BoxLayer != "feat" || d.BoxLayerLayout != "nchw" || d.HeadLayout != "nhwc" || d.Resize != ResizeLetterbox {
		t.Errorf("detection defaults not applied: %+v", d)
	}
	if len(COCO80Classes) != 80 || COCO80Classes[0] != "person" || COCO80Classes[79] != "toothbrush" {
		t.Errorf("COCO80Classes has %d names", len(COCO80Classes))
	}
	if d.ClassName(3) != "class3" {
		t.Errorf("unnamed class = %q", d.ClassName(3))
	}
	// WithDefaults must not write through the shared pointer.
	raw := Manifest{Name: "x", Detection: &DetectionSpec{Heatmap: "h"}}
	_ = raw.WithDefaults()
	if raw.Detection.Stride != 0 {
		t.Error("WithDefaults mutated the caller's DetectionSpec")
	}

	_, err = ParseManifest([]byte(base + `, "detection": {"heatmap": "", "boxes": "b\u0001", "input_size": [510, 4], "stride": 4,
		"head_layout": "hwc", "resize": "center_crop", "classes": ["ok", ""], "score_threshold": 2, "top_k": -1,
		"max_detections": 100000, "nms_iou": -0.5}}`))
	if !errors.Is(err, ErrBadManifest) {
		t.Fatalf("err = %v", err)
	}
	for _, w := range []string{"detection.heatmap is required", "detection.boxes contains control", "detection.box_layer is required",
		"detection.input_size[0] = 510 is not a multiple", "detection.input_size[1] = 4", "detection.head_layout", "detection.resize",
		"detection.classes[1] is required", "detection.score_threshold", "detection.top_k", "detection.max_detections", "detection.nms_iou"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if _, err := ParseManifest([]byte(base + `, "detection": {"heatmap": "h", "boxes": "b", "box_layer": "f", "bogus": 1}}`)); !errors.Is(err, ErrBadManifest) {
		t.Errorf("unknown detection field accepted: %v", err)
	}
}

// --- the built-in model on real photos ---------------------------------

// builtinDetector loads models/builtin/reef-centernet-v1 with its detection
// section, skipping when ORT or the model is absent.
func builtinDetector(t testing.TB, opts DetectorOptions) *Detector {
	t.Helper()
	rt := testRuntime(t)
	dir := filepath.Join(repoRoot(t), "models", "builtin")
	m, err := LoadManifest(filepath.Join(dir, "reef-centernet-v1.json"))
	if err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, m.File)); err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	if m.Detection == nil {
		t.Skip("built-in manifest has no detection section (rerun scripts/build-default-model.sh)")
	}
	if r := os.Getenv("REEF_DETECT_RESIZE"); r != "" {
		m.Detection.Resize = r
	}
	d, err := NewDetector(rt, m, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// detectPhotos are Caltech-101 classes whose subject is a COCO class.
var detectPhotos = []struct{ dir, class string }{
	{"airplanes", "airplane"}, {"Motorbikes", "motorcycle"}, {"car_side", "car"}, {"Faces_easy", "person"},
}

func TestDetectCaltechPhotos(t *testing.T) {
	d := builtinDetector(t, DetectorOptions{})
	defer d.Close()
	n := 5
	if v, err := strconv.Atoi(os.Getenv("REEF_DETECT_N")); err == nil && v > 0 {
		n = v
	}
	var imgs []image.Image
	var want []string
	for _, p := range detectPhotos {
		files, _ := filepath.Glob(filepath.Join(sharedDir(t), "data", "caltech101", "images", p.dir, "image_*.jpg"))
		if len(files) < n {
			t.Skipf("caltech class %s has %d photos, need %d", p.dir, len(files), n)
		}
		for i := range n {
			// Spread evenly over the class (photos are roughly grouped by source).
			img, err := DecodeImageFile(files[i*len(files)/n], ImageLimits{})
			if err != nil {
				t.Skipf("caltech photo unavailable: %v", err)
			}
			imgs, want = append(imgs, img), append(want, p.class)
		}
	}
	start := time.Now()
	dets, err := d.Detect(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	hits := map[string]int{}
	total := 0
	for i, ds := range dets {
		b := imgs[i].Bounds()
		top := "(none)"
		if len(ds) > 0 {
			top = fmt.Sprintf("%s %.2f", ds[0].Class, ds[0].Score)
			if ds[0].Class == want[i] {
				hits[want[i]]++
				total++
			}
		}
		for j, o := range ds {
			x, y, w, h := o.BBox[0], o.BBox[1], o.BBox[2], o.BBox[3]
			if x < 0 || y < 0 || w <= 0 || h <= 0 || x+w > float32(b.Dx())+1e-3 || y+h > float32(b.Dy())+1e-3 {
				t.Errorf("image %d det %d: box %v outside %dx%d", i, j, o.BBox, b.Dx(), b.Dy())
			}
			if len(o.Vector) != d.Dim() {
				t.Errorf("image %d det %d: vector dim %d, want %d", i, j, len(o.Vector), d.Dim())
			}
			var s float64
			for _, v := range o.Vector {
				s += float64(v) * float64(v)
			}
			if math.Abs(s-1) > 1e-3 {
				t.Errorf("image %d det %d: |v|² = %v", i, j, s)
			}
			if o.Score < d.Spec().ScoreThreshold || (j > 0 && o.Score > ds[j-1].Score) || o.Class != COCO80Classes[o.ClassID] {
				t.Errorf("image %d det %d: %+v (threshold/order/class)", i, j, o)
			}
		}
		if testing.Verbose() && (i%n == 0 || len(ds) == 0 || ds[0].Class != want[i]) {
			t.Logf("%-10s %dx%d: %d detections, top %s", want[i], b.Dx(), b.Dy(), len(ds), top)
		}
	}
	rate := float64(total) / float64(len(imgs))
	t.Logf("top-1 class = expected COCO class: %d/%d (%.2f) %v; resize %s, %.1f ms/image (batch %d, %d sessions)",
		total, len(imgs), rate, hits, d.Spec().Resize, float64(el.Milliseconds())/float64(len(imgs)), d.opts.BatchSize, d.opts.Sessions)
	if rate < 0.6 {
		t.Errorf("top-1 class rate %.2f < 0.6", rate)
	}
	if d.Dim() != 528*4 {
		t.Errorf("vector dim %d, want 528·2·2", d.Dim())
	}

	// A blank image has nothing above the threshold.
	blank := image.NewUniform(color.RGBA{128, 128, 128, 255})
	bd, err := d.Detect(context.Background(), []image.Image{&boundedUniform{blank, image.Rect(0, 0, 300, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bd[0]) != 0 {
		t.Errorf("blank image: %d detections, first %+v", len(bd[0]), bd[0][0])
	}
}

// boundedUniform is a uniform colour with finite bounds.
type boundedUniform struct {
	*image.Uniform
	r image.Rectangle
}

func (b *boundedUniform) Bounds() image.Rectangle { return b.r }

func TestDetectItemsAndConcurrency(t *testing.T) {
	d := builtinDetector(t, DetectorOptions{BatchSize: 2, Sessions: 2})
	p := filepath.Join(sharedDir(t), "data", "caltech101", "images", "Motorbikes", "image_0001.jpg")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("caltech photo unavailable: %v", err)
	}
	items := []Item{{ID: "a", Data: data}, {ID: "broken", Data: []byte("\xff\xd8\xff nope")}, {ID: "c", Path: p}, {ID: "missing", Path: p + ".nope"}}
	ctx := context.Background()
	var wg sync.WaitGroup
	var results [3][]DetectResult
	for g := range results {
		wg.Go(func() {
			r, err := d.DetectItems(ctx, items)
			if err != nil {
				t.Error(err)
			}
			results[g] = r
		})
	}
	wg.Wait()
	for _, res := range results {
		if len(res) != 4 || res[0].ID != "a" || res[0].Err != nil || res[2].Err != nil || len(res[0].Detections) == 0 {
			t.Fatalf("results %+v", res)
		}
		if !errors.Is(res[1].Err, ErrBadImage) || res[3].Err == nil {
			t.Errorf("bad items: %v / %v", res[1].Err, res[3].Err)
		}
		if fmt.Sprint(res[0].Detections) != fmt.Sprint(res[2].Detections) || fmt.Sprint(res[0].Detections) != fmt.Sprint(results[0][0].Detections) {
			t.Error("same image, different detections")
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.DetectItems(cctx, items); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	d.Close()
	d.Close()
	if _, err := d.Detect(ctx, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestNewDetectorRejects(t *testing.T) {
	rt := testRuntime(t)
	dir := filepath.Join(repoRoot(t), "models", "builtin")
	m, err := LoadManifest(filepath.Join(dir, "reef-centernet-v1.json"))
	if err != nil || m.Detection == nil {
		t.Skip("built-in model absent")
	}
	noDet := *m
	noDet.Detection = nil
	if _, err := NewDetector(rt, &noDet, dir, DetectorOptions{}); !errors.Is(err, ErrBadManifest) {
		t.Errorf("no detection section: %v", err)
	}
	bad := *m
	spec := *m.Detection
	spec.Heatmap = "no_such_tensor"
	bad.Detection = &spec
	if _, err := NewDetector(rt, &bad, dir, DetectorOptions{Sessions: 1}); !errors.Is(err, ErrTensorNotFound) {
		t.Errorf("missing heatmap: %v", err)
	}
	wrong := *m
	spec2 := *m.Detection
	spec2.Classes = spec2.Classes[:10]
	wrong.Detection = &spec2
	if _, err := NewDetector(rt, &wrong, dir, DetectorOptions{Sessions: 1}); !errors.Is(err, ErrBadModel) {
		t.Errorf("class count mismatch: %v", err)
	}
}

// BenchmarkDetect reports ms per 512×512 detection (preprocess, run, decode
// and box vectors) on Caltech photos with one session.
func BenchmarkDetect(b *testing.B) {
	d := builtinDetector(b, DetectorOptions{Sessions: 1, BatchSize: 1})
	defer d.Close()
	imgs := caltechImages(b, "Motorbikes", 4)
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Detect(context.Background(), imgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(imgs)), "ms/image")
}
