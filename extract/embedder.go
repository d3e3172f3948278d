package extract

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"slices"
	"sync"
)

// EmbedderOptions tunes an Embedder. Zero values take defaults.
type EmbedderOptions struct {
	// BatchSize is the largest batch sent to one session (default 16).
	BatchSize int
	// Sessions is the number of ORT sessions run concurrently (default
	// GOMAXPROCS). Each gets max(1, GOMAXPROCS/Sessions) intra-op threads
	// unless Runtime options set IntraOpThreads.
	Sessions int
	// DecodeWorkers is the number of parallel decode/preprocess goroutines
	// (default GOMAXPROCS).
	DecodeWorkers int
	// Limits bounds decoded images in EmbedFiles.
	Limits ImageLimits
}

// Embedder turns images into embedding vectors with one model. It is safe
// for concurrent use; Close must not race with in-flight calls' start.
type Embedder struct {
	m        Manifest
	opts     EmbedderOptions
	pool     *sessionPool
	outputs  []string
	maxBatch int // 0 = dynamic batch dimension
	dim      int
	objDim   int
	pixels   sync.Pool // *image.RGBA of the model input size (preparePixels)
	threads  int       // intra-op threads per session

	guard closeGuard
}

// NewEmbedder loads the manifest's model from modelDir (refusing unsafe
// external-data references), exposes Layer (and ObjectLayer) as outputs,
// creates the session pool and probes the embedding dimension with a blank
// image.
func NewEmbedder(rt *Runtime, m *Manifest, modelDir string, opts EmbedderOptions) (*Embedder, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil manifest", ErrBadManifest)
	}
	mm := m.WithDefaults()
	if err := mm.Validate(); err != nil {
		return nil, err
	}
	procs := runtime.GOMAXPROCS(0)
	if opts.BatchSize <= 0 {
		opts.BatchSize = 16
	}
	opts.BatchSize = min(opts.BatchSize, 1024)
	if opts.Sessions <= 0 {
		opts.Sessions = procs
	}
	opts.Sessions = min(opts.Sessions, 64)
	if opts.DecodeWorkers <= 0 {
		opts.DecodeWorkers = procs
	}
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
	e := &Embedder{m: mm, opts: opts, threads: threads}
	if in.HasShape && len(in.Dims) == 4 {
		if in.Dims[0] > 0 {
			e.maxBatch = int(in.Dims[0])
		}
		want := mm.inputShape(1)
		for i := 1; i < 4; i++ {
			if in.Dims[i] > 0 && in.Dims[i] != want[i] {
				return nil, fmt.Errorf("%w: model input %q has shape %v but the manifest implies %v", ErrBadManifest, mm.Input, in.Dims, want)
			}
		}
	}
	e.outputs = []string{mm.Layer}
	if mm.ObjectLayer != "" && mm.ObjectLayer != mm.Layer {
		e.outputs = append(e.outputs, mm.ObjectLayer)
	}
	produced := g.tensorNames()
	var extra []string
	for _, name := range e.outputs {
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
	e.pool, err = newSessionPool(rt, model, modelDir, mm.Input, e.outputs, opts.Sessions, threads)
	if err != nil {
		return nil, err
	}
	probe := image.NewRGBA(image.Rect(0, 0, mm.InputSize[1], mm.InputSize[0]))
	vecs, boxes, err := e.embedPrepared(context.Background(), []prepared{e.prepare(probe, [][4]float32{{0, 0, 8, 8}})}, nil)
	if err != nil {
		e.pool.close()
		return nil, err
	}
	e.dim = len(vecs[0])
	if mm.ObjectLayer != "" {
		e.objDim = len(boxes[0][0])
	}
	return e, nil
}

// Concurrency reports how inference runs: sessions, and intra-op threads
// per session.
func (e *Embedder) Concurrency() (sessions, threads int) { return e.opts.Sessions, e.threads }

// Dim is the length of image embeddings.
func (e *Embedder) Dim() int { return e.dim }

// ObjectDim is the length of per-box embeddings (0 without ObjectLayer).
func (e *Embedder) ObjectDim() int { return e.objDim }

// Manifest returns the manifest in use (with defaults applied).
func (e *Embedder) Manifest() Manifest { return e.m }

// Close releases the sessions. Safe to call twice; it waits for in-flight
// calls. Close Embedders before their Runtime.
func (e *Embedder) Close() error {
	e.guard.close(e.pool.close)
	return nil
}

func (e *Embedder) enter() error { return e.guard.enter() }

func (e *Embedder) leave() { e.guard.leave() }

// EmbedImages embeds already-decoded images, preprocessing them in parallel
// and spreading batches over the session pool. Output order matches input.
func (e *Embedder) EmbedImages(ctx context.Context, imgs []image.Image) ([][]float32, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.leave()
	preps := make([]prepared, len(imgs))
	parallelFor(len(imgs), e.opts.DecodeWorkers, func(i int) { preps[i] = e.prepare(imgs[i], nil) })
	for i, p := range preps {
		if p.err != nil {
			return nil, fmt.Errorf("image %d: %w", i, p.err)
		}
	}
	out := make([][]float32, len(imgs))
	chunk := e.chunkSize(len(imgs), min(e.opts.Sessions, max(1, len(imgs))))
	var errOnce sync.Once
	var firstErr error
	nChunks := ceilDiv(len(imgs), max(chunk, 1))
	parallelFor(nChunks, e.opts.Sessions, func(k int) {
		lo, hi := k*chunk, min((k+1)*chunk, len(imgs))
		vecs, _, err := e.embedPrepared(ctx, preps[lo:hi], nil)
		if err != nil {
			errOnce.Do(func() { firstErr = err })
			return
		}
		copy(out[lo:hi], vecs)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// EmbedWithBoxes embeds one image and, using ObjectLayer and ROI-align, each
// box [x, y, w, h] given in the image's own pixel coordinates.
func (e *Embedder) EmbedWithBoxes(ctx context.Context, img image.Image, boxes [][4]float32) ([]float32, [][]float32, error) {
	if err := e.enter(); err != nil {
		return nil, nil, err
	}
	defer e.leave()
	if len(boxes) > 0 && e.m.ObjectLayer == "" {
		return nil, nil, fmt.Errorf("%w: model %q has no object_layer for box embeddings", ErrBadManifest, e.m.Name)
	}
	p := e.prepare(img, boxes)
	if p.err != nil {
		return nil, nil, p.err
	}
	vecs, perBox, err := e.embedPrepared(ctx, []prepared{p}, nil)
	if err != nil {
		return nil, nil, err
	}
	return vecs[0], perBox[0], nil
}

// Preprocess converts images into one model input batch (as EmbedImages
// does) and returns it with the per-image transforms.
func (e *Embedder) Preprocess(imgs []image.Image) ([]float32, []Transform, error) {
	buf := make([]float32, len(imgs)*e.m.inputElems())
	ts := make([]Transform, len(imgs))
	for i, img := range imgs {
		t, err := PreprocessImage(img, &e.m, buf[i*e.m.inputElems():(i+1)*e.m.inputElems()])
		if err != nil {
			return nil, nil, fmt.Errorf("image %d: %w", i, err)
		}
		ts[i] = t
	}
	return buf, ts, nil
}

// RunBatch runs the raw model on a preprocessed batch of n images (no
// pooling) on one session and returns the Layer/ObjectLayer tensors.
func (e *Embedder) RunBatch(ctx context.Context, input []float32, n int) (map[string]*Tensor, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.leave()
	if n < 1 || len(input) != n*e.m.inputElems() || (e.maxBatch > 0 && n != e.maxBatch) {
		return nil, fmt.Errorf("%w: batch of %d with %d values (model batch %d)", ErrBadInput, n, len(input), e.maxBatch)
	}
	return e.pool.run(ctx, input, e.m.inputShape(n))
}

// chunkSize splits n items over `ways` sessions, capped at BatchSize and the
// model's fixed batch size.
func (e *Embedder) chunkSize(n, ways int) int {
	c := min(e.opts.BatchSize, max(1, ceilDiv(n, max(ways, 1))))
	if e.maxBatch > 0 {
		c = e.maxBatch
	}
	return c
}

// parallelFor runs fn(0..n-1) on up to workers goroutines.
func parallelFor(n, workers int, fn func(int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// findValueInfo looks a name up in a ValueInfo list.
func findValueInfo(vs []onnxValueInfo, name string) (onnxValueInfo, bool) {
	i := slices.IndexFunc(vs, func(v onnxValueInfo) bool { return v.Name == name })
	if i < 0 {
		return onnxValueInfo{}, false
	}
	return vs[i], true
}
