package index

import (
	"context"
	"testing"
)

// TestSelfTuneDuringParallelInserts runs the self-tune while AddBatch
// inserts from several goroutines (the engine turns TargetRecall on for
// every space). The race it exercises — the tune reading slot counts and
// labels that inserts were allocating — showed up in the engine's crash
// test under -race; whether it is caught here depends on scheduling.
func TestSelfTuneDuringParallelInserts(t *testing.T) {
	cfg := DefaultConfig(16, L2)
	cfg.TargetRecall = 0.95
	h, err := NewHNSW(cfg)
	if err != nil {
		t.Fatal(err)
	}
	vecs := clustered(3, 6000, 16, 20)
	ids := make([]uint64, len(vecs))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	for lo := 0; lo < len(vecs); lo += 3000 {
		if err := h.AddBatch(context.Background(), ids[lo:lo+3000], vecs[lo:lo+3000], 8); err != nil {
			t.Fatal(err)
		}
	}
	if h.Len() != len(vecs) || h.DefaultEf() <= 0 {
		t.Fatalf("len %d, default ef %d", h.Len(), h.DefaultEf())
	}
}
