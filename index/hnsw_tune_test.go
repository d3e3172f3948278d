package index

import (
	"bytes"
	"context"
	"testing"
)

// TestTuneEf: an index with a poor fixed default (ef 1) and TargetRecall
// set tunes its default so held-out queries reach the target without
// setting ef, and the tuned default survives a snapshot.
func TestTuneEf(t *testing.T) {
	old := tuneMin
	tuneMin = 500
	t.Cleanup(func() { tuneMin = old })
	n, dim := testSize(4000), 32
	data := clustered(31, n+100, dim, 40)
	for _, quant := range quantModes {
		t.Run(quant, func(t *testing.T) {
			cfg := DefaultConfig(dim, L2)
			cfg.M, cfg.EfConstruction, cfg.EfSearch = 6, 40, 1
			cfg.TargetRecall, cfg.Quantization = 0.95, quant
			h, err := NewHNSW(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ex, _ := NewExact(dim, L2)
			ids := seqIDs(n, 0)
			mustAddAll(t, h, ids, data[:n])
			mustAddAll(t, ex, ids, data[:n])
			if h.DefaultEf() <= 1 || h.tunedAt.Load() < int64(n/2) {
				t.Fatalf("default ef %d tuned at %d of %d vectors", h.DefaultEf(), h.tunedAt.Load(), n)
			}
			fixed := recallAt(t, h, ex, data[n:], 10, SearchOptions{Ef: 1})
			tuned := recallAt(t, h, ex, data[n:], 10, SearchOptions{})
			t.Logf("default ef %d: held-out recall@10 %.4f (ef 1: %.4f)", h.DefaultEf(), tuned, fixed)
			if tuned < 0.95 {
				t.Errorf("held-out recall at the tuned default = %.4f < 0.95", tuned)
			}
			var buf bytes.Buffer
			if _, err := h.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := ReadHNSW(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if got.DefaultEf() != h.DefaultEf() || got.Config().TargetRecall != 0.95 {
				t.Errorf("after round trip: default ef %d target %v", got.DefaultEf(), got.Config().TargetRecall)
			}
		})
	}
}

func TestTuneEfEmptyAndOff(t *testing.T) {
	h := newTestHNSW(t, 4, L2)
	ef, _, err := h.TuneEf(context.Background(), 0.95)
	if err != nil || ef != h.Config().EfSearch {
		t.Errorf("empty index: ef %d err %v", ef, err)
	}
	mustAddAll(t, h, seqIDs(1500, 0), clustered(32, 1500, 4, 5))
	if h.efTuned.Load() != 0 {
		t.Error("index tuned itself with TargetRecall 0")
	}
	bad := DefaultConfig(4, L2)
	bad.TargetRecall = 1.5
	if bad.Validate() == nil {
		t.Error("TargetRecall 1.5 accepted")
	}
}
