package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// BenchmarkSearchHandler measures one k=10 search request through the
// router (JSON decode, HNSW search, hit resolution, JSON encode) on 5k
// 784-d vectors, from parallel goroutines: the server's share of REST latency.
func BenchmarkSearchHandler(b *testing.B) {
	eng, srv := benchSearchServer(b)
	body, _ := json.Marshal(map[string]any{"space": "s", "vector": benchQuery(b, eng), "k": 10})
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/datasets/ds/search", bytes.NewReader(body)))
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
}

// benchSearchServer is a server over 5k random 784-d integer vectors in
// dataset "ds", space "s" (l2, ef_search 64).
func benchSearchServer(b *testing.B) (*engine.Engine, *Server) {
	b.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval = b.TempDir(), true, 0
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	so := DefaultOptions()
	so.Ingest.ModelDir = ""
	srv, err := New(eng, so)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	eng.CreateDataset(ctx, "ds")
	eng.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "s", Dim: 784, Metric: "l2", Index: engine.IndexSpec{EfSearch: 64}})
	const n = 5000
	r := rand.New(rand.NewPCG(1, 1))
	batch := engine.ImportBatch{Space: "s", Dim: 784, IDs: make([]string, n), Data: make([]float32, n*784)}
	for i := range batch.IDs {
		batch.IDs[i] = fmt.Sprint("p", i)
	}
	for i := range batch.Data {
		batch.Data[i] = float32(r.IntN(256))
	}
	if _, err := eng.Import(ctx, "ds", batch, nil); err != nil {
		b.Fatal(err)
	}
	return eng, srv
}

// benchQuery is the stored vector of p0, as a query.
func benchQuery(b *testing.B, eng *engine.Engine) []float32 {
	p, err := eng.Point(context.Background(), "ds", "p0")
	if err != nil {
		b.Fatal(err)
	}
	return p.Vectors["s"]
}
