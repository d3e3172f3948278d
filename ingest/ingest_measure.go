package ingest

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"

	"github.com/reef-ml/reef/engine"
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
	// ReefConfig is the ingest embedder's sessions × intra-op threads;
	// BareConfig the bare configuration that was fastest (BareConfigs has
	// every one tried, images/s); JPEGDecoder the decoder ingest used.
	ReefConfig  string             `json:"reef_config"`
	BareConfig  string             `json:"bare_config"`
	BareConfigs map[string]float64 `json:"bare_configs"`
	JPEGDecoder string             `json:"jpeg_decoder"`
}

// MeasureIngest ingests the images (as points of a scratch dataset, which is
// deleted afterwards) rounds times, and runs the model bare the same number
// of times on the same images already decoded and preprocessed, batches of
// batchSize, requesting only the embedding output. Bare is tried as one
// session using every core and as one single-threaded session per core
// (batches spread over them); the faster is the baseline. Runs alternate
// (reef, then each bare configuration, every round) so that load from
// elsewhere hits all alike. reef's figure includes decoding, resizing,
// inference on the session pool, pooling, the bbolt transaction, index
// inserts and thumbnails; inference boxes are off.
func (e *Ingester) MeasureIngest(ctx context.Context, model string, images [][]byte, rounds, batchSize int) (IngestMeasure, error) {
	if model == "" {
		model = e.opts.DefaultModel
	}
	if len(images) == 0 || rounds < 1 || batchSize < 1 {
		return IngestMeasure{}, engine.FieldErr(engine.ErrInvalid, "images", "need images, rounds ≥ 1 and batch size ≥ 1")
	}
	lm, err := e.embedder(model)
	if err != nil {
		return IngestMeasure{}, err
	}
	const scratch = "reef-bench-ingest"
	if _, err := e.eng.CreateDataset(ctx, scratch); err != nil {
		return IngestMeasure{}, err
	}
	defer e.eng.DeleteDataset(context.WithoutCancel(ctx), scratch)
	items := make([]ImageItem, len(images))
	decoded := make([]image.Image, len(images))
	for i, data := range images {
		items[i] = ImageItem{ID: fmt.Sprint(i), Data: data}
		if decoded[i], err = extract.DecodeImage(data, extract.DefaultImageLimits()); err != nil {
			return IngestMeasure{}, fmt.Errorf("image %d: %w", i, err)
		}
	}
	// A plain ORT user asks for the embedding only.
	mm := lm.def.manifest
	mm.ObjectLayer, mm.Detection = "", nil
	procs := runtime.GOMAXPROCS(0)
	type bareRun struct {
		name string
		emb  *extract.Embedder
		dur  time.Duration
	}
	var bares []*bareRun
	candidates := []int{1}
	if procs > 1 {
		candidates = append(candidates, procs)
	}
	for _, sessions := range candidates {
		emb, err := extract.NewEmbedder(e.models.rt, &mm, lm.def.dir, extract.EmbedderOptions{Sessions: sessions, BatchSize: batchSize})
		if err != nil {
			return IngestMeasure{}, err
		}
		defer emb.Close()
		s, th := emb.Concurrency()
		bares = append(bares, &bareRun{name: fmt.Sprintf("%d×%d", s, th), emb: emb})
	}
	input, _, err := bares[0].emb.Preprocess(decoded)
	if err != nil {
		return IngestMeasure{}, err
	}
	per := len(input) / len(decoded)
	var reefTime time.Duration
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
		for _, b := range bares {
			start = time.Now()
			if err := runBare(ctx, b.emb, input, per, len(decoded), batchSize); err != nil {
				return IngestMeasure{}, err
			}
			b.dur += time.Since(start)
		}
	}
	n := float64(rounds * len(images))
	s, th := lm.emb.Concurrency()
	m := IngestMeasure{Model: model, Images: len(images), Rounds: rounds, BatchSize: batchSize,
		ReefPerSec: n / reefTime.Seconds(), ReefConfig: fmt.Sprintf("%d×%d", s, th),
		BareConfigs: map[string]float64{}, JPEGDecoder: extract.JPEGDecoder()}
	for _, b := range bares {
		rate := n / b.dur.Seconds()
		m.BareConfigs[b.name] = rate
		if rate > m.BarePerSec {
			m.BarePerSec, m.BareConfig = rate, b.name
		}
	}
	m.Ratio = m.ReefPerSec / m.BarePerSec
	return m, nil
}

// runBare runs the preprocessed input through emb in batches of batchSize,
// as many at once as emb has sessions.
func runBare(ctx context.Context, emb *extract.Embedder, input []float32, per, images, batchSize int) error {
	sessions, _ := emb.Concurrency()
	next := make(chan int)
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() {
			for lo := range next {
				n := min(batchSize, images-lo)
				if _, err := emb.RunBatch(ctx, input[lo*per:(lo+n)*per], n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for lo := 0; lo < images; lo += batchSize {
		select {
		case next <- lo:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
