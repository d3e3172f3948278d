package index

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func hnswSeed(t testing.TB) []byte {
	h, _ := NewHNSW(Config{Dim: 3, Metric: L2, M: 4, EfConstruction: 8, EfSearch: 8, Seed: 1})
	data := clustered(11, 40, 3, 3)
	mustAddAll(t, h, seqIDs(40, 0), data)
	var buf bytes.Buffer
	h.WriteTo(&buf)
	return buf.Bytes()
}

// sq8Seed is an encoded sq8 index large enough to have trained codes.
func sq8Seed(t testing.TB) []byte {
	h, _ := NewHNSW(Config{Dim: 3, Metric: L2, M: 4, EfConstruction: 8, EfSearch: 8, Seed: 1, Quantization: QuantSQ8})
	n := sq8TrainMin + 10
	mustAddAll(t, h, seqIDs(n, 0), clustered(14, n, 3, 3))
	if !h.sqReady.Load() {
		t.Fatal("sq8 seed index did not train")
	}
	var buf bytes.Buffer
	h.WriteTo(&buf)
	return buf.Bytes()
}

// FuzzReadHNSW: any input decodes to a working index or fails with an
// error; never a panic, hang or huge allocation.
func FuzzReadHNSW(f *testing.F) {
	seed := hnswSeed(f)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("REEFHNSW"))
	f.Add(sq8Seed(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHNSW(bytes.NewReader(b))
		if err != nil {
			return
		}
		q := make([]float32, h.Dim())
		q[0] = 1
		if _, err := h.Search(context.Background(), q, 5, SearchOptions{}); err != nil {
			t.Fatal(err)
		}
		// Delete is O(n·M) by design (it scans for in-links), so deleting
		// everything is quadratic: only do it for small graphs, and a
		// bounded sample of a large one. Decoding itself is linear.
		n, budget := h.Len(), 64
		h.IDs(func(id uint64) bool {
			if !h.Delete(id) {
				t.Fatalf("Delete(%d) reported absent", id)
			}
			budget--
			return budget > 0
		})
		if want := max(n-64, 0); h.Len() != want {
			t.Fatalf("Len %d after deleting %d of %d, want %d", h.Len(), min(n, 64), n, want)
		}
	})
}

// FuzzSnapshot exercises the snapshot header and payload decoder.
func FuzzSnapshot(f *testing.F) {
	h, _ := NewHNSW(Config{Dim: 3, Metric: Cosine, M: 4, EfConstruction: 8, EfSearch: 8, Seed: 1})
	mustAddAll(f, h, seqIDs(20, 0), clustered(12, 20, 3, 2))
	ex, _ := NewExact(3, Dot)
	mustAddAll(f, ex, seqIDs(10, 0), clustered(13, 10, 3, 2))
	sq, _ := NewHNSW(Config{Dim: 3, Metric: L2, M: 4, EfConstruction: 8, EfSearch: 8, Seed: 1, Quantization: QuantSQ8, TargetRecall: 0.9})
	mustAddAll(f, sq, seqIDs(sq8TrainMin+5, 0), clustered(15, sq8TrainMin+5, 3, 2))
	dir := f.TempDir()
	for i, idx := range []Index{h, ex, sq} {
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := WriteSnapshotFile(p, idx, SnapshotHeader{Seq: 9, Tag: "x"}); err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, _, err := decodeSnapshot(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		q := make([]float32, idx.Dim())
		q[0] = 1
		if _, err := idx.Search(context.Background(), q, 3, SearchOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
