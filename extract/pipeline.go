package extract

import (
	"context"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// Item is one image to embed in EmbedFiles. Data, when non-nil, is decoded
// instead of reading Path. Boxes (optional, [x,y,w,h] in image pixels) get
// per-box embeddings via the manifest's object_layer. Thumbnail asks for a
// small JPEG of the image (Result.Thumbnail), made from the pixels already
// decoded for the model, so callers need not decode the image again.
type Item struct {
	ID        string
	Path      string
	Data      []byte
	Boxes     [][4]float32
	Thumbnail bool
}

// Result is the outcome for one Item. Exactly one of Err or Embedding is set.
// Thumbnail, when the item asked for one, is a JPEG whose longest side is at
// most ThumbnailSide pixels; it is best effort and nil if it could not be
// encoded.
type Result struct {
	ID        string
	Path      string
	Embedding []float32
	Boxes     [][]float32
	Thumbnail []byte
	Err       error
}

// EmbedFiles embeds a stream of items. DecodeWorkers goroutines decode and
// preprocess in parallel with batched inference on the session pool; all
// channels between stages are bounded (about 2×BatchSize items in flight).
// Every batch is full (BatchSize images) except when the stream ends or
// stalls, so the model runs at the configured batch size (handing whatever
// was decoded to an idle session instead made many small, uneven batches).
// A failing item yields a Result with Err set (wrapping ErrBadImage for
// undecodable images) and never stops the stream. Results are NOT in input
// order; match them by ID. EmbedFiles returns, and closes out, once items is
// closed and drained or ctx is cancelled (remaining items are then dropped;
// producers should select on ctx too).
func (e *Embedder) EmbedFiles(ctx context.Context, items <-chan Item, out chan<- Result) {
	defer close(out)
	if err := e.enter(); err != nil {
		for it := range items {
			if !sendResult(ctx, out, Result{ID: it.ID, Path: it.Path, Err: err}) {
				return
			}
		}
		return
	}
	defer e.leave()

	type job struct {
		it Item
		p  prepared
	}
	prepped := make(chan job, 2*e.opts.BatchSize)
	batches := make(chan []job)
	var inflight atomic.Int64 // items taken by decoders and not yet handed on

	var decoders sync.WaitGroup
	for range e.opts.DecodeWorkers {
		decoders.Go(func() {
			for {
				var it Item
				var ok bool
				select {
				case it, ok = <-items:
				case <-ctx.Done():
					return
				}
				if !ok {
					return
				}
				inflight.Add(1)
				p := e.decodeItem(it)
				if p.err != nil {
					inflight.Add(-1)
					if !sendResult(ctx, out, Result{ID: it.ID, Path: it.Path, Err: p.err}) {
						return
					}
					continue
				}
				select {
				case prepped <- job{it, p}:
					inflight.Add(-1)
				case <-ctx.Done():
					e.release(&p)
					return
				}
			}
		})
	}
	go func() { decoders.Wait(); close(prepped) }()

	// Batcher: hand on full batches; a partial one only at the end of the
	// stream, or when the stream stalls (no item being decoded or waiting)
	// so a slow producer still gets its results.
	go func() {
		defer close(batches)
		stall := time.NewTimer(time.Hour)
		defer stall.Stop()
		var cur []job
		send := func() bool {
			select {
			case batches <- cur:
				cur = nil
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			if len(cur) >= e.opts.BatchSize {
				if !send() {
					return
				}
				continue
			}
			if len(cur) > 0 {
				stall.Reset(stallFlush)
			}
			select {
			case j, ok := <-prepped:
				if !ok {
					if len(cur) > 0 {
						send()
					}
					return
				}
				cur = append(cur, j)
			case <-stall.C:
				if len(cur) > 0 && inflight.Load() == 0 && len(prepped) == 0 && !send() {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	var infer sync.WaitGroup
	for range e.opts.Sessions {
		infer.Go(func() {
			var buf []float32 // this worker's batch input, reused
			for b := range batches {
				preps := make([]prepared, len(b))
				for i, j := range b {
					preps[i] = j.p
				}
				vecs, boxes, err := e.embedPrepared(ctx, preps, &buf)
				for i, j := range b {
					r := Result{ID: j.it.ID, Path: j.it.Path, Err: err}
					if err == nil {
						r.Embedding, r.Boxes, r.Thumbnail = vecs[i], boxes[i], j.p.thumb
					}
					if !sendResult(ctx, out, r) {
						return
					}
				}
			}
		})
	}
	infer.Wait()
	decoders.Wait()
}

// stallFlush is how long a partial batch waits, while no item is being
// decoded or queued, before it runs anyway.
const stallFlush = 20 * time.Millisecond

// decodeItem decodes and preprocesses one item.
func (e *Embedder) decodeItem(it Item) prepared {
	if len(it.Boxes) > 0 && e.m.ObjectLayer == "" {
		return prepared{err: fmt.Errorf("%w: model %q has no object_layer for box embeddings", ErrBadManifest, e.m.Name)}
	}
	// Large JPEGs are decoded straight at a reduced size (libjpeg-turbo's
	// scaled IDCT) that still covers the model input, so the resize never
	// upsamples; the boxes, given in original pixels, are mapped through
	// that scale too.
	minSide := max(e.m.InputSize[0], e.m.InputSize[1])
	var img image.Image
	var scale float64
	var err error
	if it.Data == nil {
		img, scale, err = decodeFileScaled(it.Path, e.opts.Limits, minSide)
	} else {
		img, scale, err = decodeImageScaled(it.Data, e.opts.Limits, minSide)
	}
	if err != nil {
		return prepared{err: err}
	}
	// Convert once; the model resize and the thumbnail both read the RGBA.
	rgba := toRGBA(img)
	p := e.preparePixels(rgba, it.Boxes)
	p.t.ScaleX *= scale
	p.t.ScaleY *= scale
	if p.err == nil && it.Thumbnail {
		p.thumb, _ = thumbnailFast(rgba, ThumbnailSide) // best effort
	}
	return p
}

func sendResult(ctx context.Context, out chan<- Result, r Result) bool {
	select {
	case out <- r:
		return true
	case <-ctx.Done():
		return false
	}
}
