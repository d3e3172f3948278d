package extract

import (
	"context"
	"fmt"
	"image"
	"sync"
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
				p := e.decodeItem(it)
				if p.err != nil {
					if !sendResult(ctx, out, Result{ID: it.ID, Path: it.Path, Err: p.err}) {
						return
					}
					continue
				}
				select {
				case prepped <- job{it, p}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { decoders.Wait(); close(prepped) }()

	// Batcher: hand the current batch to an idle inference worker as soon as
	// one is free; while all are busy, keep filling up to BatchSize.
	go func() {
		defer close(batches)
		var cur []job
		for {
			var send chan<- []job
			if len(cur) > 0 {
				send = batches
			}
			if len(cur) >= e.opts.BatchSize {
				select {
				case batches <- cur:
					cur = nil
				case <-ctx.Done():
					return
				}
				continue
			}
			select {
			case j, ok := <-prepped:
				if !ok {
					if len(cur) > 0 {
						select {
						case batches <- cur:
						case <-ctx.Done():
						}
					}
					return
				}
				cur = append(cur, j)
			case send <- cur:
				cur = nil
			case <-ctx.Done():
				return
			}
		}
	}()

	var infer sync.WaitGroup
	for range e.opts.Sessions {
		infer.Go(func() {
			for b := range batches {
				preps := make([]prepared, len(b))
				for i, j := range b {
					preps[i] = j.p
				}
				vecs, boxes, err := e.embedPrepared(ctx, preps)
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

// decodeItem decodes and preprocesses one item.
func (e *Embedder) decodeItem(it Item) prepared {
	if len(it.Boxes) > 0 && e.m.ObjectLayer == "" {
		return prepared{err: fmt.Errorf("%w: model %q has no object_layer for box embeddings", ErrBadManifest, e.m.Name)}
	}
	var img image.Image
	var err error
	if it.Data == nil {
		img, err = DecodeImageFile(it.Path, e.opts.Limits)
	} else {
		img, err = DecodeImage(it.Data, e.opts.Limits)
	}
	if err != nil {
		return prepared{err: err}
	}
	if !it.Thumbnail {
		return e.prepare(img, it.Boxes)
	}
	// Convert once; the model resize and the thumbnail both read the RGBA.
	rgba := toRGBA(img)
	p := e.prepare(rgba, it.Boxes)
	if p.err == nil {
		p.thumb, _ = ThumbnailJPEG(rgba, ThumbnailSide) // best effort
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
