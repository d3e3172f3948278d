package tfjs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkEmbeddingViews compares the cost of embedding recipes with
// test-time views (converted in-process from the TFJS source like the
// shipped model: views after the first gated by CenternetViewsMaxSide,
// averaged as unit vectors, committed projection baked in) on one intra-op
// thread, batch 16:
//
//	go test ./extract/tfjs -run XXX -bench EmbeddingViews -benchtime 10x
//
// REEF_BENCH_VIEWS="input;input,flip;…" chooses the view sets (names as
// in the study: input, flip, 256, 288, 320, flip288, 192).
func BenchmarkEmbeddingViews(b *testing.B) {
	needORT(b)
	src := sourceModel(b)
	f, err := os.Open(filepath.Join(repoRoot(), "extract", "tfjs", "assets", "reef-centernet-v1.pca.bin"))
	if err != nil {
		b.Skipf("projection asset: %v", err)
	}
	proj, err := ReadProjection(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	sets := []string{"input", "input,flip", "input,288", "input,flip,288,flip288"}
	if env := os.Getenv("REEF_BENCH_VIEWS"); env != "" {
		sets = strings.Split(env, ";")
	}
	byName := map[string]View{}
	for _, v := range studyViews {
		byName[v.name] = v.view
	}
	const batch, size = 16, 224
	img := testImage(size)
	data := make([]float32, 0, batch*len(img))
	for i := 0; i < batch; i++ {
		data = append(data, img...)
	}
	shape := []int64{batch, size, size, 3}
	for _, set := range sets {
		var views []View
		for _, nm := range strings.Split(set, ",") {
			v, ok := byName[nm]
			if !ok {
				b.Fatalf("unknown view %q", nm)
			}
			views = append(views, v)
		}
		opts := DefaultOptions()
		opts.Embedding.Views = views
		opts.Embedding.Projection = proj
		res, err := ConvertFile(src, opts)
		if err != nil {
			b.Fatal(err)
		}
		s := newSession(b, res.ONNX, "image", []string{"embedding"}, 1)
		b.Run(fmt.Sprintf("views=%s/batch%d", set, batch), func(b *testing.B) {
			s.run(b, shape, data) // warm up
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.run(b, shape, data)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/image")
		})
	}
}
