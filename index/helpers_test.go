package index

import (
	"context"
	"math/rand/v2"
	"testing"
)

// testSize shrinks data sets under -race, where everything runs ~10x slower.
func testSize(n int) int {
	if raceEnabled || testing.Short() {
		return max(n/5, 200)
	}
	return n
}

// clustered returns n vectors around `clusters` random centres: closer to
// real embeddings than uniform noise, and harder for graph search.
func clustered(seed uint64, n, dim, clusters int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float32, clusters)
	for i := range centres {
		centres[i] = randVec(r, dim)
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(clusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(r.NormFloat64())*0.15
		}
		out[i] = v
	}
	return out
}

func seqIDs(n int, base uint64) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = base + uint64(i)
	}
	return ids
}

func mustAddAll(t testing.TB, idx Index, ids []uint64, vecs [][]float32) {
	t.Helper()
	if b, ok := idx.(*HNSW); ok {
		if err := b.AddBatch(context.Background(), ids, vecs, 0); err != nil {
			t.Fatal(err)
		}
		return
	}
	for i := range ids {
		if err := idx.Add(ids[i], vecs[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// recallAt measures recall@k of idx against truth over queries.
func recallAt(t testing.TB, idx, truth Index, queries [][]float32, k int, opts SearchOptions) float64 {
	t.Helper()
	ctx := context.Background()
	found, total := 0, 0
	for _, q := range queries {
		want, err := truth.Search(ctx, q, k, SearchOptions{Filter: opts.Filter})
		if err != nil {
			t.Fatal(err)
		}
		got, err := idx.Search(ctx, q, k, opts)
		if err != nil {
			t.Fatal(err)
		}
		set := make(map[uint64]bool, len(want))
		for _, h := range want {
			set[h.ID] = true
		}
		for _, h := range got {
			if set[h.ID] {
				found++
			}
		}
		total += len(want)
	}
	if total == 0 {
		return 1
	}
	return float64(found) / float64(total)
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// Tests use small indexes; train codes early so sq8 walks are exercised.
func init() { sq8TrainMin = 100 }

// quantModes are the HNSW variants every graph test runs on.
var quantModes = []string{QuantNone, QuantSQ8}

// newQuantHNSW is newTestHNSW with a quantization.
func newQuantHNSW(t testing.TB, dim int, m Metric, quant string) *HNSW {
	t.Helper()
	cfg := DefaultConfig(dim, m)
	cfg.Quantization = quant
	h, err := NewHNSW(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// backendConfig maps a test backend name ("hnsw+sq8" is the quantised
// HNSW) to a config.
func backendConfig(backend string, dim int, m Metric) Config {
	cfg := DefaultConfig(dim, m)
	cfg.Backend = backend
	if backend == "hnsw+sq8" {
		cfg.Backend, cfg.Quantization = BackendHNSW, QuantSQ8
	}
	return cfg
}
