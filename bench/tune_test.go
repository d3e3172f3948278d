package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/reef-ml/reef/index"
)

// tuneFixture: 10 queries whose index vector is query i; correct counts are
// spread so mean recall@10 is exactly recallAt(ef) (Hermite's identity).
func tuneFixture(recallAt func(ef int) float64) (*fakeIndex, [][]float32, [][]uint64) {
	idx := newFake(2, func(ef, k int, q []float32) int {
		frac := float64(int(q[0])/10%10) / 10 // query i sits at 10i+0.25
		return min(k, int(recallAt(ef)*float64(k)+frac+1e-9))
	})
	var qs [][]float32
	var truth [][]uint64
	for i := range 100 {
		idx.Add(uint64(i), []float32{float32(i), 0})
	}
	for i := range 10 {
		q := []float32{float32(i*10) + 0.25, 0}
		qs = append(qs, q)
		tr, _ := newFakeSearch(idx, q)
		truth = append(truth, tr)
	}
	return idx, qs, truth
}

func newFakeSearch(f *fakeIndex, q []float32) ([]uint64, error) {
	saved := f.correct
	f.correct = nil
	defer func() { f.correct = saved }()
	hits, err := f.Search(context.Background(), q, 10, index.SearchOptions{})
	return hitIDs(hits, 10, nil), err
}

func TestTune(t *testing.T) {
	linear := func(ef int) float64 { return min(1, float64(ef)/100) }
	step := func(ef int) float64 {
		if ef >= 333 {
			return 1
		}
		return 0.5
	}
	for _, c := range []struct {
		name    string
		curve   func(int) float64
		target  float64
		wantEf  int
		wantErr error
	}{
		{"linear 0.9", linear, 0.9, 90, nil},
		{"linear 0.95", linear, 0.95, 95, nil},
		{"already at k", linear, 0.1, 10, nil},
		{"linear 1.0", linear, 1.0, 100, nil},
		{"step", step, 0.99, 333, nil},
		{"never", func(int) float64 { return 0.5 }, 0.9, MaxTuneEf, ErrTargetNotReached},
	} {
		idx, qs, truth := tuneFixture(c.curve)
		ef, rec, err := Tune(context.Background(), idx, qs, truth, 10, c.target)
		if !errors.Is(err, c.wantErr) || ef != c.wantEf {
			t.Errorf("%s: ef=%d err=%v, want ef=%d err=%v", c.name, ef, err, c.wantEf, c.wantErr)
			continue
		}
		if want := c.curve(ef); rec < want-1e-9 || rec > want+1e-9 {
			t.Errorf("%s: recall %v, want %v", c.name, rec, want)
		}
	}
}

func TestTuneRejectsBadTarget(t *testing.T) {
	idx, qs, truth := tuneFixture(func(int) float64 { return 1 })
	if _, _, err := Tune(context.Background(), idx, qs, truth, 10, 1.5); err == nil {
		t.Fatal("want error for target > 1")
	}
}
