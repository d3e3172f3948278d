package index

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestCoderMemoryBytes: the coder backend's reported size is within a
// factor 1.6 of the heap its build grows by, measured with nothing else
// running in the test, and at least its vector copies.
func TestCoderMemoryBytes(t *testing.T) {
	for _, dim := range []int{16, 128} {
		r := rand.New(rand.NewPCG(1, uint64(dim)))
		vecs := make([][]float32, 3000)
		for i := range vecs {
			vecs[i] = make([]float32, dim)
			for j := range vecs[i] {
				vecs[i][j] = r.Float32()
			}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		cfg := DefaultConfig(dim, L2)
		cfg.Backend, cfg.M, cfg.EfConstruction = BackendCoder, 16, 40
		c, err := NewCoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vecs {
			if err := c.Add(uint64(i), v); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		grew := float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
		got := float64(c.MemoryBytes())
		runtime.KeepAlive(c)
		t.Logf("dim %d: reported %.0f B/vector, heap grew %.0f B/vector", dim, got/3000, grew/3000)
		if got < float64(4*dim*3000) || got > 1.6*grew || got < grew/1.6 {
			t.Fatalf("dim %d: reported %.0f bytes, heap grew %.0f (vectors alone %d)", dim, got, grew, 4*dim*3000)
		}
	}
}
