package tfjs

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// BenchmarkBuiltinEmbedding measures the built-in model's embedding output
// at 224×224 on one intra-op thread:
//
//	go test ./extract/tfjs -run XXX -bench BuiltinEmbedding -benchtime 20x
//
// REEF_BENCH_EXTRA_ONNX="name=file.onnx,…" also measures the embedding and
// heatmap outputs of other builds (e.g. an older model) in the same run.
func BenchmarkBuiltinEmbedding(b *testing.B) {
	needORT(b)
	onnx, err := os.ReadFile(builtinModel(b))
	if err != nil {
		b.Fatal(err)
	}
	if env := os.Getenv("REEF_BENCH_EXTRA_ONNX"); env != "" {
		for _, kv := range strings.Split(env, ",") {
			name, path, ok := strings.Cut(kv, "=")
			if !ok {
				b.Fatalf("REEF_BENCH_EXTRA_ONNX: %q is not name=file", kv)
			}
			extra, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			s := newSession(b, extra, "image", []string{"embedding"}, 1)
			for _, batch := range []int{1, 16} {
				benchEmbedding(b, s, name+"/embedding", 224, batch)
			}
			benchEmbedding(b, newSession(b, extra, "image", []string{"heatmap"}, 1), name+"/heatmap", 512, 1)
		}
	}
	for _, out := range []string{"embedding", "heatmap"} {
		size := 224
		if out == "heatmap" {
			size = 512
		}
		s := newSession(b, onnx, "image", []string{out}, 1)
		for _, batch := range []int{1, 16} {
			if out == "heatmap" && batch > 1 {
				continue
			}
			benchEmbedding(b, s, out, size, batch)
		}
	}
}

// benchEmbedding runs s on a batch of test images per iteration.
func benchEmbedding(b *testing.B, s *session, name string, size, batch int) {
	img := testImage(size)
	data := make([]float32, 0, batch*len(img))
	for i := 0; i < batch; i++ {
		data = append(data, img...)
	}
	b.Run(fmt.Sprintf("%s/%dpx/batch%d", name, size, batch), func(b *testing.B) {
		s.run(b, []int64{int64(batch), int64(size), int64(size), 3}, data) // warm up
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.run(b, []int64{int64(batch), int64(size), int64(size), 3}, data)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/image")
	})
}
