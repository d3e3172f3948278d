package engine

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reef-ml/reef/extract"
)

// BenchmarkIngestVsBareORT compares end-to-end image ingest (decode, resize,
// batched inference on the session pool, pooling, one bbolt transaction,
// index insert; inference boxes off) with bare ONNX Runtime running the same
// model on the same images already decoded and preprocessed, batch 16, one
// session using all cores. Both are reported as images/s, and their ratio.
// REEF_BENCH_MODEL=builtin measures the built-in model (after make setup)
// instead of the shared ImageNet MobileNetV2.
func BenchmarkIngestVsBareORT(b *testing.B) {
	opts, modelPath, images := ingestEnv(b)
	ctx := context.Background()
	model := "mnv2"
	if os.Getenv("REEF_BENCH_MODEL") == "builtin" {
		opts.ModelDir, _ = filepath.Abs("../models/builtin")
		model = "reef-centernet-v1"
	}
	e, err := Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if model == "mnv2" {
		f, _ := os.Open(modelPath)
		m := extract.Manifest{Name: "mnv2", Version: "1", Input: "input", InputSize: [2]int{224, 224}, Layout: "nhwc",
			Mean: [3]float32{128, 128, 128}, Std: [3]float32{128, 128, 128}, Layer: "t_272", Normalize: true}
		if _, err := e.RegisterModel(ctx, m, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	e.CreateDataset(ctx, "bench")
	files, _ := filepath.Glob(filepath.Join(images, "*", "image_000[1-2].jpg"))
	files = files[:min(len(files), 64)]
	items := make([]ImageItem, len(files))
	decoded := make([]image.Image, len(files))
	for i, p := range files {
		data, _ := os.ReadFile(p)
		items[i] = ImageItem{ID: fmt.Sprint(i), Data: data}
		if decoded[i], err = extract.DecodeImage(data, extract.DefaultImageLimits()); err != nil {
			b.Fatal(err)
		}
	}
	lm, err := e.embedder(model)
	if err != nil {
		b.Fatal(err)
	}
	mm := lm.def.manifest
	bare, err := extract.NewEmbedder(e.models.rt, &mm, lm.def.dir, extract.EmbedderOptions{Sessions: 1, BatchSize: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	input, _, err := bare.Preprocess(decoded)
	if err != nil {
		b.Fatal(err)
	}
	per := len(input) / len(decoded)
	var reefTime, bareTime time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := e.IngestImagesWith(ctx, "bench", IngestOptions{Model: model, SkipDetection: true}, items)
		if err != nil || res.Upserted != len(items) {
			b.Fatal(res, err)
		}
		reefTime += time.Since(start)
		start = time.Now()
		for lo := 0; lo < len(decoded); lo += 16 {
			n := min(16, len(decoded)-lo)
			if _, err := bare.RunBatch(ctx, input[lo*per:(lo+n)*per], n); err != nil {
				b.Fatal(err)
			}
		}
		bareTime += time.Since(start)
	}
	reefRate := float64(b.N*len(items)) / reefTime.Seconds()
	bareRate := float64(b.N*len(items)) / bareTime.Seconds()
	b.ReportMetric(reefRate, "reef-img/s")
	b.ReportMetric(bareRate, "bare-ort-img/s")
	b.ReportMetric(reefRate/bareRate, "ratio")
}
