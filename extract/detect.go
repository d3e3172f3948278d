package extract

import (
	"context"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"
	"sync"
)

// DetectionSpec is the optional "detection" section of a Manifest: the
// model also has CenterNet-style detection heads (docs/MODEL.md, "Decoding
// detections"). Zero values take the defaults noted per field.
type DetectionSpec struct {
	// Heatmap is the class-centre heatmap output [N, H/s, W/s, K] (NHWC, or
	// NCHW per HeadLayout), sigmoid already applied.
	Heatmap string `json:"heatmap"`
	// Boxes is the box-extent output [N, H/s, W/s, 4]: distances in input
	// pixels from the cell point (col·s, row·s) to the left, top, right and
	// bottom edges.
	Boxes string `json:"boxes"`
	// HeadLayout is the layout of Heatmap and Boxes, "nhwc" (default) or
	// "nchw".
	HeadLayout string `json:"head_layout,omitempty"`
	// InputSize is the detection input [height, width] (default: the
	// manifest's input_size).
	InputSize [2]int `json:"input_size"`
	// Resize is how images are fitted to InputSize: "letterbox" (default:
	// aspect ratio kept, grey padding) or "stretch". Boxes are mapped back to
	// original pixels through the resize Transform either way.
	Resize string `json:"resize,omitempty"`
	// Stride is input pixels per head cell (default 4).
	Stride int `json:"stride"`
	// Classes names the heatmap channels in order; empty means "class<k>".
	Classes []string `json:"classes,omitempty"`
	// ScoreThreshold drops weaker peaks (default 0.3).
	ScoreThreshold float32 `json:"score_threshold,omitempty"`
	// TopK peaks are decoded before NMS (default 100, the TFJS graph's k).
	TopK int `json:"top_k,omitempty"`
	// MaxDetections caps the detections per image after NMS (default 20).
	MaxDetections int `json:"max_detections,omitempty"`
	// NMSIoU: a box overlapping a better-scoring kept box by more than this
	// IoU is suppressed (default 0.5). NMS is class-agnostic unless
	// NMSPerClass is set.
	NMSIoU      float32 `json:"nms_iou,omitempty"`
	NMSPerClass bool    `json:"nms_per_class,omitempty"`
	// BoxLayer is the feature map each detection's embedding is ROI-aligned
	// from, taken from the same run as the heads (default: object_layer).
	// BoxLayerLayout defaults to the manifest's layer_layout.
	BoxLayer       string `json:"box_layer,omitempty"`
	BoxLayerLayout string `json:"box_layer_layout,omitempty"`
}

// Detection defaults and limits.
const (
	DefaultDetectionThreshold = 0.3
	DefaultDetectionTopK      = 100
	DefaultMaxDetections      = 20
	DefaultNMSIoU             = 0.5
	maxDetectionClasses       = 4096
	maxDetectionTopK          = 10000
)

// COCO80Classes are the 80 COCO detection classes in the usual contiguous
// order (person … toothbrush): the heatmap channel order of
// reef-centernet-v1.
var COCO80Classes = []string{
	"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
	"fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
	"elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
	"skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
	"wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
	"broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
	"dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
	"toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
}

func (d *DetectionSpec) applyDefaults(m *Manifest) {
	if d.HeadLayout == "" {
		d.HeadLayout = "nhwc"
	}
	if d.InputSize == [2]int{} {
		d.InputSize = m.InputSize
	}
	if d.Resize == "" {
		d.Resize = ResizeLetterbox
	}
	if d.Stride == 0 {
		d.Stride = 4
	}
	if d.ScoreThreshold == 0 {
		d.ScoreThreshold = DefaultDetectionThreshold
	}
	if d.TopK == 0 {
		d.TopK = DefaultDetectionTopK
	}
	if d.MaxDetections == 0 {
		d.MaxDetections = DefaultMaxDetections
	}
	if d.NMSIoU == 0 {
		d.NMSIoU = DefaultNMSIoU
	}
	if d.BoxLayer == "" {
		d.BoxLayer = m.ObjectLayer
	}
	if d.BoxLayerLayout == "" {
		d.BoxLayerLayout = m.LayerLayout
	}
}

// validate adds every problem of the section to bad (field names prefixed
// with "detection.").
func (d *DetectionSpec) validate(bad func(string, ...any), checkName func(field, v string, required bool)) {
	checkName("detection.heatmap", d.Heatmap, true)
	checkName("detection.boxes", d.Boxes, true)
	if d.BoxLayer == "" {
		bad("detection.box_layer is required (or set object_layer)")
	} else {
		checkName("detection.box_layer", d.BoxLayer, true)
	}
	for _, l := range []struct{ field, v string }{{"head_layout", d.HeadLayout}, {"box_layer_layout", d.BoxLayerLayout}} {
		if l.v != "nhwc" && l.v != "nchw" {
			bad("detection.%s %q, want \"nhwc\" or \"nchw\"", l.field, l.v)
		}
	}
	switch d.Resize {
	case ResizeStretch, ResizeLetterbox:
	default:
		bad("detection.resize %q, want letterbox or stretch", d.Resize)
	}
	if d.Stride < 1 || d.Stride > 1024 {
		bad("detection.stride = %d, want 1..1024", d.Stride)
	}
	for i, v := range d.InputSize {
		switch {
		case v < 8 || v > maxManifestInputDim:
			bad("detection.input_size[%d] = %d, want 8..%d", i, v, maxManifestInputDim)
		case d.Stride >= 1 && v%d.Stride != 0:
			bad("detection.input_size[%d] = %d is not a multiple of the stride %d", i, v, d.Stride)
		}
	}
	if len(d.Classes) > maxDetectionClasses {
		bad("detection.classes has %d names, limit %d", len(d.Classes), maxDetectionClasses)
	} else {
		for i, c := range d.Classes {
			checkName(fmt.Sprintf("detection.classes[%d]", i), c, true)
		}
	}
	if !finite32(d.ScoreThreshold) || d.ScoreThreshold <= 0 || d.ScoreThreshold > 1 {
		bad("detection.score_threshold = %v, want 0 < t ≤ 1", d.ScoreThreshold)
	}
	if d.TopK < 1 || d.TopK > maxDetectionTopK {
		bad("detection.top_k = %d, want 1..%d", d.TopK, maxDetectionTopK)
	}
	if d.MaxDetections < 1 || d.MaxDetections > maxDetectionTopK {
		bad("detection.max_detections = %d, want 1..%d", d.MaxDetections, maxDetectionTopK)
	}
	if !finite32(d.NMSIoU) || d.NMSIoU <= 0 || d.NMSIoU > 1 {
		bad("detection.nms_iou = %v, want 0 < iou ≤ 1", d.NMSIoU)
	}
}

// ClassName returns the name of heatmap channel k.
func (d *DetectionSpec) ClassName(k int) string {
	if k >= 0 && k < len(d.Classes) {
		return d.Classes[k]
	}
	return fmt.Sprintf("class%d", k)
}

// Detection is one detected object.
type Detection struct {
	Class   string
	ClassID int
	Score   float32
	// BBox is [x, y, w, h] in original-image pixels, inside the image.
	BBox [4]float32
	// Vector is the box's embedding: ROI-align of the box layer (grid
	// roi_grid), pooled like Embedder box vectors (PoolToMaxDim) and
	// L2-normalised when the manifest normalises.
	Vector []float32
}

// DetectorOptions tunes a Detector. Zero values take defaults.
type DetectorOptions struct {
	// BatchSize is the largest batch sent to one session (default 4:
	// detection outputs are large, ≈7.5 MB per 512×512 image, and batching
	// does not speed up one-thread CPU sessions).
	BatchSize int
	// Sessions is the number of ORT sessions run concurrently (default
	// GOMAXPROCS), each with max(1, GOMAXPROCS/Sessions) intra-op threads
	// unless the Runtime sets IntraOpThreads.
	Sessions int
	// Limits bounds decoded images in DetectItems.
	Limits ImageLimits
}

// Detector finds objects with a manifest's detection heads and embeds each
// box from the same run. It owns its own session pool, is safe for
// concurrent use, and Close must not race with in-flight calls' start.
type Detector struct {
	m        Manifest // detection input size and resize applied
	spec     DetectionSpec
	opts     DetectorOptions
	pool     *sessionPool
	maxBatch int
	dim      int

	guard closeGuard
}

// NewDetector loads m's model from modelDir with the detection heads and
// box layer exposed as outputs, creates the session pool, and probes the
// heads and the vector length with a blank image. m must have a Detection
// section.
func NewDetector(rt *Runtime, m *Manifest, modelDir string, opts DetectorOptions) (*Detector, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil manifest", ErrBadManifest)
	}
	mm := m.WithDefaults()
	if err := mm.Validate(); err != nil {
		return nil, err
	}
	if mm.Detection == nil {
		return nil, fmt.Errorf("%w: model %q has no detection section", ErrBadManifest, mm.Name)
	}
	spec := *mm.Detection
	mm.InputSize, mm.Resize = spec.InputSize, spec.Resize
	procs := runtime.GOMAXPROCS(0)
	if opts.BatchSize <= 0 {
		opts.BatchSize = 4
	}
	opts.BatchSize = min(opts.BatchSize, 256)
	if opts.Sessions <= 0 {
		opts.Sessions = procs
	}
	opts.Sessions = min(opts.Sessions, 64)
	opts.Limits = opts.Limits.withDefaults()
	threads := max(1, procs/opts.Sessions)
	if rt != nil && rt.opts.IntraOpThreads > 0 {
		threads = rt.opts.IntraOpThreads
	}

	path, err := ResolveModelPath(modelDir, mm.File)
	if err != nil {
		return nil, err
	}
	model, err := LoadModelFile(path)
	if err != nil {
		return nil, err
	}
	gb, err := modelGraphBytes(model)
	if err != nil {
		return nil, err
	}
	g, err := parseGraph(gb)
	if err != nil {
		return nil, err
	}
	in, ok := findValueInfo(g.Inputs, mm.Input)
	if !ok {
		return nil, fmt.Errorf("%w: input %q is not a graph input of %s", ErrTensorNotFound, mm.Input, mm.File)
	}
	d := &Detector{m: mm, spec: spec, opts: opts}
	if in.HasShape && len(in.Dims) == 4 {
		if in.Dims[0] > 0 {
			d.maxBatch = int(in.Dims[0])
		}
		want := mm.inputShape(1)
		for i := 1; i < 4; i++ {
			if in.Dims[i] > 0 && in.Dims[i] != want[i] {
				return nil, fmt.Errorf("%w: model input %q has shape %v but the detection section implies %v", ErrBadManifest, mm.Input, in.Dims, want)
			}
		}
	}
	outputs := []string{spec.Heatmap}
	for _, o := range []string{spec.Boxes, spec.BoxLayer} {
		if !slices.Contains(outputs, o) {
			outputs = append(outputs, o)
		}
	}
	produced := g.tensorNames()
	var extra []string
	for _, name := range outputs {
		if !produced[name] {
			return nil, fmt.Errorf("%w: %q is not produced by any node of %s", ErrTensorNotFound, name, mm.File)
		}
		if _, isOut := findValueInfo(g.Outputs, name); !isOut {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		if model, err = withExtraOutputs(model, extra, g.typedValueInfo()); err != nil {
			return nil, err
		}
	}
	d.pool, err = newSessionPool(rt, model, modelDir, mm.Input, outputs, opts.Sessions, threads)
	if err != nil {
		return nil, err
	}
	// Probe: the heads must decode and a box must embed.
	probe := image.NewRGBA(image.Rect(0, 0, spec.InputSize[1], spec.InputSize[0]))
	input := make([]float32, mm.inputElems())
	t, err := PreprocessImage(probe, &d.m, input)
	if err == nil {
		var outs map[string]*Tensor
		if outs, err = d.runBatch(context.Background(), input, 1); err == nil {
			if _, err = d.decodeItem(outs, 0, t, probe.Rect.Dx(), probe.Rect.Dy()); err == nil {
				var v []float32
				if v, err = d.boxVector(outs, 0, t, [4]float32{0, 0, 8, 8}); err == nil {
					d.dim = len(v)
				}
			}
		}
	}
	if err != nil {
		d.pool.close()
		return nil, err
	}
	return d, nil
}

// Dim is the length of detection vectors.
func (d *Detector) Dim() int { return d.dim }

// Spec returns the detection section in use (defaults applied).
func (d *Detector) Spec() DetectionSpec { return d.spec }

// Close releases the sessions. Safe to call twice; it waits for in-flight
// calls. Close Detectors before their Runtime.
func (d *Detector) Close() error {
	d.guard.close(d.pool.close)
	return nil
}

func (d *Detector) enter() error { return d.guard.enter() }

func (d *Detector) leave() { d.guard.leave() }

// Detect runs detection on decoded images, in batches spread over the
// session pool. Output order matches input; an image with nothing above
// the threshold gets an empty slice.
func (d *Detector) Detect(ctx context.Context, imgs []image.Image) ([][]Detection, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	out := make([][]Detection, len(imgs))
	err := d.forChunks(ctx, len(imgs), func(lo, hi int) error {
		dets, errs, err := d.detectChunk(ctx, imgs[lo:hi])
		if err != nil {
			return err
		}
		for i, e := range errs {
			if e != nil {
				return fmt.Errorf("image %d: %w", lo+i, e)
			}
		}
		copy(out[lo:hi], dets)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DetectResult is the outcome for one Item of DetectItems: Err is set when
// the image could not be decoded or preprocessed (it wraps ErrBadImage).
type DetectResult struct {
	ID         string
	Detections []Detection
	Err        error
}

// DetectItems decodes (Data, else Path; Item.Boxes are ignored) and runs
// detection on items, a batch at a time so that only about
// Sessions×BatchSize images are in memory. Per-image failures are reported
// in the results; a model failure or cancellation returns an error.
// Results are in input order.
func (d *Detector) DetectItems(ctx context.Context, items []Item) ([]DetectResult, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	res := make([]DetectResult, len(items))
	err := d.forChunks(ctx, len(items), func(lo, hi int) error {
		imgs := make([]image.Image, hi-lo)
		for i := lo; i < hi; i++ {
			res[i].ID = items[i].ID
			var err error
			if items[i].Data != nil {
				imgs[i-lo], err = DecodeImage(items[i].Data, d.opts.Limits)
			} else {
				imgs[i-lo], err = DecodeImageFile(items[i].Path, d.opts.Limits)
			}
			res[i].Err = err
		}
		dets, errs, err := d.detectChunk(ctx, imgs)
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			if res[i].Err == nil {
				res[i].Detections, res[i].Err = dets[i-lo], errs[i-lo]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// forChunks calls fn on BatchSize chunks of [0,n), Sessions at a time, and
// returns the first error (or ctx's).
func (d *Detector) forChunks(ctx context.Context, n int, fn func(lo, hi int) error) error {
	chunk := d.opts.BatchSize
	if d.maxBatch > 0 {
		chunk = d.maxBatch
	}
	var once sync.Once
	var first error
	parallelFor(ceilDiv(n, chunk), d.opts.Sessions, func(k int) {
		if ctx.Err() != nil {
			return
		}
		if err := fn(k*chunk, min((k+1)*chunk, n)); err != nil {
			once.Do(func() { first = err })
		}
	})
	if first != nil {
		return first
	}
	return ctx.Err()
}

// detectChunk preprocesses and runs one batch; per-image preprocessing
// failures (nil or empty images) come back in errs.
func (d *Detector) detectChunk(ctx context.Context, imgs []image.Image) ([][]Detection, []error, error) {
	dets := make([][]Detection, len(imgs))
	errs := make([]error, len(imgs))
	elems := d.m.inputElems()
	var idx []int
	var ts []Transform
	var batch []float32
	for i, img := range imgs {
		buf := make([]float32, elems)
		t, err := PreprocessImage(img, &d.m, buf)
		if err != nil {
			errs[i] = err
			continue
		}
		idx, ts, batch = append(idx, i), append(ts, t), append(batch, buf...)
	}
	step := len(idx)
	if d.maxBatch > 0 {
		step = d.maxBatch
	}
	for lo := 0; lo < len(idx); lo += step {
		hi := min(lo+step, len(idx))
		n := hi - lo
		in := batch[lo*elems : hi*elems]
		if d.maxBatch > 0 && n < d.maxBatch {
			in = append(append([]float32(nil), in...), make([]float32, (d.maxBatch-n)*elems)...)
			n = d.maxBatch
		}
		outs, err := d.runBatch(ctx, in, n)
		if err != nil {
			return nil, nil, err
		}
		for j := lo; j < hi; j++ {
			b := imgs[idx[j]].Bounds()
			if dets[idx[j]], err = d.decodeItem(outs, j-lo, ts[j], b.Dx(), b.Dy()); err != nil {
				return nil, nil, err
			}
		}
	}
	return dets, errs, nil
}

func (d *Detector) runBatch(ctx context.Context, input []float32, n int) (map[string]*Tensor, error) {
	return d.pool.run(ctx, input, d.m.inputShape(n))
}

// decodeItem turns item n of a run's outputs into detections for an image
// of imgW×imgH pixels preprocessed with t.
func (d *Detector) decodeItem(outs map[string]*Tensor, n int, t Transform, imgW, imgH int) ([]Detection, error) {
	s := &d.spec
	hm, err := headFromTensor(outs[s.Heatmap], s.HeadLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: heatmap %q: %v", ErrBadModel, s.Heatmap, err)
	}
	bx, err := headFromTensor(outs[s.Boxes], s.HeadLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: boxes %q: %v", ErrBadModel, s.Boxes, err)
	}
	switch {
	case hm.h*s.Stride != s.InputSize[0] || hm.w*s.Stride != s.InputSize[1]:
		return nil, fmt.Errorf("%w: heatmap %q is %d×%d, but input %v / stride %d implies %d×%d",
			ErrBadModel, s.Heatmap, hm.h, hm.w, s.InputSize, s.Stride, s.InputSize[0]/s.Stride, s.InputSize[1]/s.Stride)
	case bx.h != hm.h || bx.w != hm.w || bx.c != 4:
		return nil, fmt.Errorf("%w: boxes %q is %d×%d×%d, want %d×%d×4", ErrBadModel, s.Boxes, bx.h, bx.w, bx.c, hm.h, hm.w)
	case len(s.Classes) > 0 && hm.c != len(s.Classes):
		return nil, fmt.Errorf("%w: heatmap %q has %d classes, the manifest names %d", ErrBadModel, s.Heatmap, hm.c, len(s.Classes))
	}
	raw := decodePeaks(hm, bx, float32(s.Stride), s.ScoreThreshold, s.TopK)
	// Map to original pixels, clip to the image, then NMS there.
	kept := raw[:0]
	for _, r := range raw {
		x1, y1 := (float64(r.box[0])-t.OffsetX)/t.ScaleX, (float64(r.box[1])-t.OffsetY)/t.ScaleY
		x2, y2 := (float64(r.box[2])-t.OffsetX)/t.ScaleX, (float64(r.box[3])-t.OffsetY)/t.ScaleY
		x1, x2 = clampF(x1, 0, float64(imgW)), clampF(x2, 0, float64(imgW))
		y1, y2 = clampF(y1, 0, float64(imgH)), clampF(y2, 0, float64(imgH))
		if !(x2-x1 >= 1 && y2-y1 >= 1) {
			continue
		}
		r.box = [4]float32{float32(x1), float32(y1), float32(x2), float32(y2)}
		kept = append(kept, r)
	}
	kept = nms(kept, s.NMSIoU, s.NMSPerClass, s.MaxDetections)
	out := make([]Detection, len(kept))
	for i, r := range kept {
		bb := [4]float32{r.box[0], r.box[1], r.box[2] - r.box[0], r.box[3] - r.box[1]}
		v, err := d.boxVector(outs, n, t, bb)
		if err != nil {
			return nil, err
		}
		out[i] = Detection{Class: s.ClassName(r.class), ClassID: r.class, Score: r.score, BBox: bb, Vector: v}
	}
	return out, nil
}

// boxVector ROI-aligns bbox ([x,y,w,h], original pixels) on the box layer
// of item n and pools it as Embedder box vectors are pooled.
func (d *Detector) boxVector(outs map[string]*Tensor, n int, t Transform, bbox [4]float32) ([]float32, error) {
	s := &d.spec
	obj := outs[s.BoxLayer]
	if obj == nil || len(obj.Shape) != 4 {
		return nil, fmt.Errorf("%w: box_layer %q is not a 4-D feature map", ErrBadModel, s.BoxLayer)
	}
	fm, err := FeatureMapFromTensor(obj.Data, obj.Shape, s.BoxLayerLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: box_layer %q: %v", ErrBadModel, s.BoxLayer, err)
	}
	sx := float64(d.m.InputSize[1]) / float64(fm.W)
	sy := float64(d.m.InputSize[0]) / float64(fm.H)
	if d.m.ObjectStride > 0 && s.BoxLayer == d.m.ObjectLayer {
		sx, sy = float64(d.m.ObjectStride), float64(d.m.ObjectStride)
	}
	x0, y0, x1, y1 := BoxToFeature(bbox, t, sx, sy)
	g := d.m.ROIGrid
	v, err := ROIAlign(fm, x0, y0, x1, y1, g)
	if err != nil {
		return nil, err
	}
	v = PoolToMaxDim(&FeatureMap{C: fm.C, H: g, W: g, Data: v}, d.m.MaxDim, d.m.Pool, d.m.GeMP)
	if d.m.Normalize {
		L2Normalize(v)
	}
	return v, nil
}

// headView is one item of a detection head tensor.
type headView struct {
	data    []float32
	h, w, c int
	nhwc    bool
}

func (v headView) at(r, col, k int) float32 {
	if v.nhwc {
		return v.data[(r*v.w+col)*v.c+k]
	}
	return v.data[(k*v.h+r)*v.w+col]
}

func headFromTensor(t *Tensor, layout string, n int) (headView, error) {
	if t == nil {
		return headView{}, fmt.Errorf("missing from the model outputs")
	}
	if len(t.Shape) != 4 {
		return headView{}, fmt.Errorf("shape %v is not 4-D", t.Shape)
	}
	per := 1
	for _, d := range t.Shape[1:] {
		if d <= 0 || d > 1<<20 {
			return headView{}, fmt.Errorf("shape %v has a bad dimension", t.Shape)
		}
		per *= int(d)
	}
	if int64(n) >= t.Shape[0] || len(t.Data) < (n+1)*per {
		return headView{}, fmt.Errorf("item %d of shape %v (%d values)", n, t.Shape, len(t.Data))
	}
	v := headView{data: t.Data[n*per : (n+1)*per], nhwc: layout != "nchw"}
	if v.nhwc {
		v.h, v.w, v.c = int(t.Shape[1]), int(t.Shape[2]), int(t.Shape[3])
	} else {
		v.c, v.h, v.w = int(t.Shape[1]), int(t.Shape[2]), int(t.Shape[3])
	}
	return v, nil
}

// rawDet is a decoded peak: box (x1,y1,x2,y2), score and class.
type rawDet struct {
	box   [4]float32
	score float32
	class int
	flat  int // (row·W + col)·K + class, the TFJS TopK index (tie-break)
}

// decodePeaks keeps heatmap values ≥ thr that equal the 3×3 max-pool (stride
// 1, SAME padding) at their position, takes the topK by score (ties: lower
// flat index first, like TopKV2) and decodes their boxes in input pixels:
// x1 = s·col − b0, y1 = s·row − b1, x2 = s·col + b2, y2 = s·row + b3.
// Thresholding before top-K gives the same set as top-K then threshold.
// Peaks with non-finite box values are dropped.
func decodePeaks(hm, bx headView, stride, thr float32, topK int) []rawDet {
	var out []rawDet
	hw := hm.h * hm.w
	for i, v := range hm.data[:hm.h*hm.w*hm.c] {
		if !(v >= thr) { // also drops NaN
			continue
		}
		var r, col, k int
		if hm.nhwc {
			k, col, r = i%hm.c, (i/hm.c)%hm.w, i/(hm.c*hm.w)
		} else {
			k, r, col = i/hw, (i%hw)/hm.w, i%hm.w
		}
		if !isPeak(hm, r, col, k, v) {
			continue
		}
		b := [4]float32{bx.at(r, col, 0), bx.at(r, col, 1), bx.at(r, col, 2), bx.at(r, col, 3)}
		if !finite32(b[0]) || !finite32(b[1]) || !finite32(b[2]) || !finite32(b[3]) {
			continue
		}
		cx, cy := stride*float32(col), stride*float32(r)
		out = append(out, rawDet{box: [4]float32{cx - b[0], cy - b[1], cx + b[2], cy + b[3]}, score: v, class: k, flat: (r*hm.w+col)*hm.c + k})
	}
	slices.SortFunc(out, func(a, b rawDet) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.flat - b.flat
	})
	if len(out) > topK {
		out = out[:topK]
	}
	return out
}

// isPeak reports whether v = hm(r,col,k) is the maximum of its 3×3
// neighbourhood in channel k (ties count as peaks, as with max-pool
// equality).
func isPeak(hm headView, r, col, k int, v float32) bool {
	for dr := -1; dr <= 1; dr++ {
		rr := r + dr
		if rr < 0 || rr >= hm.h {
			continue
		}
		for dc := -1; dc <= 1; dc++ {
			cc := col + dc
			if cc < 0 || cc >= hm.w || (dr == 0 && dc == 0) {
				continue
			}
			if hm.at(rr, cc, k) > v {
				return false
			}
		}
	}
	return true
}

// nms greedily keeps the best-scoring boxes (dets must be sorted by score,
// best first), suppressing any box whose IoU with a kept box exceeds iouThr
// (only within its class when perClass), until maxOut are kept.
func nms(dets []rawDet, iouThr float32, perClass bool, maxOut int) []rawDet {
	var kept []rawDet
	for _, d := range dets {
		if len(kept) >= maxOut {
			break
		}
		ok := true
		for _, k := range kept {
			if (!perClass || k.class == d.class) && iou(k.box, d.box) > iouThr {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, d)
		}
	}
	return kept
}

// iou is the intersection over union of two (x1,y1,x2,y2) boxes.
func iou(a, b [4]float32) float32 {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := float64(iw) * float64(ih)
	union := float64(a[2]-a[0])*float64(a[3]-a[1]) + float64(b[2]-b[0])*float64(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return float32(inter / union)
}

func clampF(v, lo, hi float64) float64 {
	return math.Min(math.Max(v, lo), hi)
}
