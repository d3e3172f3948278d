package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/extract"
)

// BenchmarkIngestVsBareORT compares end-to-end image ingest (decode, resize,
// batched inference on the session pool, pooling, one bbolt transaction,
// index insert, thumbnails; inference boxes off) with bare ONNX Runtime
// running the same model on the same images already decoded and
// preprocessed, batch 16, in the faster of one session on all cores and one
// single-threaded session per core (see MeasureIngest). Both are reported as
// images/s, and their ratio.
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
	files, _ := filepath.Glob(filepath.Join(images, "*", "image_000[1-2].jpg"))
	files = files[:min(len(files), 64)]
	data := make([][]byte, len(files))
	for i, p := range files {
		data[i], _ = os.ReadFile(p)
	}
	// Every iteration alternates reef and bare runs; the figures sum them all.
	var last IngestMeasure
	var reefSec float64
	bareSec := map[string]float64{}
	for b.Loop() {
		m, err := e.MeasureIngest(ctx, model, data, 1, 16)
		if err != nil {
			b.Fatal(err)
		}
		last = m
		reefSec += float64(m.Images) / m.ReefPerSec
		for name, rate := range m.BareConfigs {
			bareSec[name] += float64(m.Images) / rate
		}
	}
	n := float64(b.N * len(data))
	best := 0.0
	for name, sec := range bareSec {
		b.ReportMetric(n/sec, "bare-"+strings.ReplaceAll(name, "×", "x")+"thr-img/s")
		best = max(best, n/sec)
	}
	b.ReportMetric(n/reefSec, "reef-img/s")
	b.ReportMetric(best, "bare-ort-img/s")
	b.ReportMetric(n/reefSec/best, "ratio")
	b.Logf("reef %s, JPEG decoder %s", last.ReefConfig, last.JPEGDecoder)
}
