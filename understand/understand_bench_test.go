package understand

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
)

// BenchmarkUnderstandingScaling times the all-points 10-NN graph, outlier
// scores and a two-dataset comparison on Fashion-MNIST at three sizes, to
// show how cost grows (the index is built first and not timed). Heavy:
// REEF_HEAVY=1 go test -run '^$' -bench UnderstandingScaling -benchtime 1x -timeout 1h ./understand/
func BenchmarkUnderstandingScaling(b *testing.B) {
	if os.Getenv("REEF_HEAVY") == "" {
		b.Skip("set REEF_HEAVY=1")
	}
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		b.Skip("dataset-fashion-mnist not installed")
	}
	train, err := fashionmnist.Load(fashionmnist.DefaultDir, "train")
	if err != nil {
		b.Fatal(err)
	}
	test, err := fashionmnist.Load(fashionmnist.DefaultDir, "t10k")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{15000, 30000, 60000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			e, err := Open(ctx, testOptions(b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			load := func(name string, set *fashionmnist.Set, n int) {
				e.CreateDataset(ctx, name)
				e.CreateSpace(ctx, name, engine.SpaceSpec{Name: "pixels", Dim: 784, Metric: "l2"})
				bt := engine.ImportBatch{Space: "pixels", Dim: 784}
				for i := range n {
					bt.IDs = append(bt.IDs, fmt.Sprint(name, i))
					bt.Data = append(bt.Data, set.Images[i]...)
				}
				if _, err := e.Import(ctx, name, bt, nil); err != nil {
					b.Fatal(err)
				}
			}
			load("train", train, n)
			load("test", test, 10000)
			for b.Loop() {
				start := time.Now()
				if _, err := e.KNNGraph(ctx, "train", "pixels", "point", 10, nil); err != nil {
					b.Fatal(err)
				}
				graph := time.Since(start)
				start = time.Now()
				if _, err := e.Outliers(ctx, "train", OutliersRequest{Space: "pixels", K: 10, Limit: 100}); err != nil {
					b.Fatal(err)
				}
				outliers := time.Since(start)
				start = time.Now()
				if _, err := e.Compare(ctx, CompareRequest{Space: "pixels", A: "train", B: "test", Permutations: 1000}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(graph.Seconds(), "graph-s")
				b.ReportMetric(outliers.Seconds(), "outliers-s")
				b.ReportMetric(time.Since(start).Seconds(), "compare-s")
				e.ForgetGraphs() // time the next iteration from scratch
			}
		})
	}
}
