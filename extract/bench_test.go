package extract

import (
	"context"
	"image"
	"os"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// BenchmarkEmbedVsBareORT compares EmbedImages (resize + normalise + pooled
// inference over the session pool) on 16 decoded photos with one bare ORT
// session (default threading) running the same preprocessed batch and
// producing the same layer.
func BenchmarkEmbedVsBareORT(b *testing.B) {
	const batch = 16
	e := mobilenetEmbedder(b, EmbedderOptions{BatchSize: batch})
	defer e.Close()
	var imgs []image.Image
	for _, c := range []string{"accordion", "airplanes", "Leopards", "Motorbikes"} {
		imgs = append(imgs, caltechImages(b, c, batch/4)...)
	}
	input, _, err := e.Preprocess(imgs)
	if err != nil {
		b.Fatal(err)
	}
	model, err := os.ReadFile(mobilenetPath(b))
	if err != nil {
		b.Fatal(err)
	}
	layer := e.Manifest().Layer
	if model, err = withExtraOutputs(model, []string{layer}, nil); err != nil {
		b.Fatal(err)
	}
	bare, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{"input"}, []string{layer}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Destroy()
	in, err := ort.NewTensor(ort.NewShape(batch, 224, 224, 3), input)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Destroy()
	ctx := context.Background()
	// Warm up both paths.
	if _, err := e.EmbedImages(ctx, imgs); err != nil {
		b.Fatal(err)
	}
	bareRun := func() {
		outs := []ort.Value{nil}
		if err := bare.Run([]ort.Value{in}, outs); err != nil {
			b.Fatal(err)
		}
		outs[0].Destroy()
	}
	bareRun()

	b.ResetTimer()
	var embedDur, bareDur time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := e.EmbedImages(ctx, imgs); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		bareRun()
		embedDur += t1.Sub(t0)
		bareDur += time.Since(t1)
	}
	n := float64(b.N * batch)
	embedRate, bareRate := n/embedDur.Seconds(), n/bareDur.Seconds()
	b.ReportMetric(embedRate, "embed_img/s")
	b.ReportMetric(bareRate, "bare_img/s")
	b.ReportMetric(embedRate/bareRate, "embed/bare")
	b.ReportMetric(0, "ns/op")
}
