package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/reef-ml/reef/storage"
)

// TestCheckComparesVectorContent: an index that holds the right ids but a
// wrong vector under one of them fails the check, for every backend.
func TestCheckComparesVectorContent(t *testing.T) {
	for _, backend := range []string{"hnsw", "coder", "exact"} {
		for _, metric := range []string{"l2", "cosine"} {
			t.Run(backend+"/"+metric, func(t *testing.T) {
				e := openEngineUnchecked(t, t.TempDir())
				defer e.Close()
				ctx := context.Background()
				e.CreateDataset(ctx, "ds")
				if _, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "s", Dim: 4, Metric: metric, Index: IndexSpec{Backend: backend}}); err != nil {
					t.Fatal(err)
				}
				pts := []PointInput{{ID: "a", Vectors: map[string][]float32{"s": {1, 2, 3, 4}}}, {ID: "b", Vectors: map[string][]float32{"s": {4, 3, 2, 1}}}}
				if _, err := e.Upsert(ctx, "ds", pts); err != nil {
					t.Fatal(err)
				}
				mustCheck(t, e)
				sp, _ := e.emb.space("ds", "s")
				var iid uint64
				sp.level(storage.LevelPoint).IDs(func(id uint64) bool { iid = id; return false })
				if err := sp.level(storage.LevelPoint).Add(iid, []float32{9, 9, 9, 1}); err != nil {
					t.Fatal(err)
				}
				rep, err := e.Check(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() || !strings.Contains(strings.Join(rep.Problems, ";"), "1 index vectors differ") {
					t.Fatalf("check missed a wrong vector: %v", rep.Problems)
				}
			})
		}
	}
}
