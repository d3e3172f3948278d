package tfjs

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkBuiltinEmbedding measures the built-in model's embedding output
// at 224×224 on one intra-op thread:
//
//	go test ./extract/tfjs -run XXX -bench BuiltinEmbedding -benchtime 20x
func BenchmarkBuiltinEmbedding(b *testing.B) {
	needORT(b)
	onnx, err := os.ReadFile(builtinModel(b))
	if err != nil {
		b.Fatal(err)
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
			img := testImage(size)
			data := make([]float32, 0, batch*len(img))
			for i := 0; i < batch; i++ {
				data = append(data, img...)
			}
			b.Run(fmt.Sprintf("%s/%dpx/batch%d", out, size, batch), func(b *testing.B) {
				s.run(b, []int64{int64(batch), int64(size), int64(size), 3}, data) // warm up
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s.run(b, []int64{int64(batch), int64(size), int64(size), 3}, data)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/image")
			})
		}
	}
}
