package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/reef-ml/reef/bench"
)

// benchObserver reports a benchmark's stages: bench's bars on a terminal,
// and plain periodic lines anywhere else, so that a long run redirected to
// a log stays a few lines a stage.
type benchObserver interface {
	bench.Observer
	Close()
}

func newBenchObserver(w io.Writer) benchObserver {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return bench.NewProgressObserver(w, w)
	}
	return &plainObserver{w: w}
}

// plainObserver writes lineProgress lines per stage and one line a row.
type plainObserver struct {
	w  io.Writer
	mu sync.Mutex
	p  progress // the current stage; guarded by mu
}

func (o *plainObserver) Stage(name string, total int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		o.p.Finish()
	}
	o.p = newProgress(o.w, int64(max(total, 0)), name, false)
}

func (o *plainObserver) Advance(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		o.p.Add(n)
	}
}

func (o *plainObserver) Row(r bench.Row) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, "%-32s ef=%-4d recall=%.4f qps=%-8.0f p50=%.0fµs p99=%.0fµs build=%.1fs\n",
		r.Series(), r.Ef, r.Recall, r.QPS, r.P50Micros, r.P99Micros, r.BuildSeconds)
}

func (o *plainObserver) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		o.p.Finish()
		o.p = nil
	}
}
