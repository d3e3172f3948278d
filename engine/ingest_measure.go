package engine

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/reef-ml/reef/extract"
)

// IngestMeasure compares end-to-end ingest with bare ONNX Runtime on the
// same images and model.
type IngestMeasure struct {
	Model      string  `json:"model"`
	Images     int     `json:"images"`
	Rounds     int     `json:"rounds"`
	BatchSize  int     `json:"batch_size"`
	ReefPerSec float64 `json:"reef_images_per_s"`
	BarePerSec float64 `json:"bare_ort_images_per_s"`
	Ratio      float64 `json:"ratio"`
}

// MeasureIngest ingests the images (as points of a scratch dataset, which is
// deleted afterwards) rounds times, and runs the model bare — one ORT session
// using every core, on the same images already decoded and preprocessed,
// batches of batchSize — as many times. reef's figure includes decoding,
// resizing, inference on the session pool, pooling, the bbolt transaction,
// index inserts and thumbnails; inference boxes are off.
func (e *Engine) MeasureIngest(ctx context.Context, model string, images [][]byte, rounds, batchSize int) (IngestMeasure, error) {
	if model == "" {
		model = e.opts.DefaultModel
	}
	if len(images) == 0 || rounds < 1 || batchSize < 1 {
		return IngestMeasure{}, fieldErr(ErrInvalid, "images", "need images, rounds ≥ 1 and batch size ≥ 1")
	}
	lm, err := e.embedder(model)
	if err != nil {
		return IngestMeasure{}, err
	}
	const scratch = "reef-bench-ingest"
	if _, err := e.CreateDataset(ctx, scratch); err != nil {
		return IngestMeasure{}, err
	}
	defer e.DeleteDataset(context.WithoutCancel(ctx), scratch)
	items := make([]ImageItem, len(images))
	decoded := make([]image.Image, len(images))
	for i, data := range images {
		items[i] = ImageItem{ID: fmt.Sprint(i), Data: data}
		if decoded[i], err = extract.DecodeImage(data, extract.DefaultImageLimits()); err != nil {
			return IngestMeasure{}, fmt.Errorf("image %d: %w", i, err)
		}
	}
	mm := lm.def.manifest
	bare, err := extract.NewEmbedder(e.models.rt, &mm, lm.def.dir, extract.EmbedderOptions{Sessions: 1, BatchSize: batchSize})
	if err != nil {
		return IngestMeasure{}, err
	}
	defer bare.Close()
	input, _, err := bare.Preprocess(decoded)
	if err != nil {
		return IngestMeasure{}, err
	}
	per := len(input) / len(decoded)
	var reefTime, bareTime time.Duration
	for range rounds {
		start := time.Now()
		res, err := e.IngestImagesWith(ctx, scratch, IngestOptions{Model: model, SkipDetection: true}, items)
		if err != nil {
			return IngestMeasure{}, err
		}
		if res.Upserted != len(items) {
			return IngestMeasure{}, fmt.Errorf("ingest stored %d of %d images: %v", res.Upserted, len(items), res.Failed)
		}
		reefTime += time.Since(start)
		start = time.Now()
		for lo := 0; lo < len(decoded); lo += batchSize {
			n := min(batchSize, len(decoded)-lo)
			if _, err := bare.RunBatch(ctx, input[lo*per:(lo+n)*per], n); err != nil {
				return IngestMeasure{}, err
			}
		}
		bareTime += time.Since(start)
	}
	m := IngestMeasure{Model: model, Images: len(images), Rounds: rounds, BatchSize: batchSize,
		ReefPerSec: float64(rounds*len(images)) / reefTime.Seconds(),
		BarePerSec: float64(rounds*len(images)) / bareTime.Seconds()}
	m.Ratio = m.ReefPerSec / m.BarePerSec
	return m, nil
}
