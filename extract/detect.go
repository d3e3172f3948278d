package extract

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"slices"
)

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
	threads := sessionThreads(rt, opts.Sessions)

	path, err := ResolveModelPath(modelDir, mm.File)
	if err != nil {
		return nil, err
	}
	model, g, err := loadModelGraph(path)
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
	return d.DetectItemsEach(ctx, items, nil)
}

// DetectItemsEach is DetectItems that also hands each successfully decoded
// image and its detections to each (when not nil), so that a caller can use
// the pixels, e.g. to cut crops, without decoding the image again. each is
// called concurrently for different items, before the chunk's images are
// released.
func (d *Detector) DetectItemsEach(ctx context.Context, items []Item, each func(i int, img image.Image, dets []Detection)) ([]DetectResult, error) {
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
			if res[i].Err == nil && each != nil {
				each(i, imgs[i-lo], res[i].Detections)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
