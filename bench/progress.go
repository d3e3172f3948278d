package bench

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ProgressObserver draws one progress bar per stage on w (typically
// os.Stderr) and, if rows is not nil, prints each finished row there as a
// one-line summary.
type ProgressObserver struct {
	w    io.Writer
	rows io.Writer
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
}

// NewProgressObserver returns an Observer drawing on w; rows may be nil.
func NewProgressObserver(w, rows io.Writer) *ProgressObserver {
	return &ProgressObserver{w: w, rows: rows}
}

// Stage finishes the current bar and starts a new one.
func (p *ProgressObserver) Stage(name string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
	max := int64(total)
	if total <= 0 {
		max = -1
	}
	p.bar = progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-44s", name)),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// Advance moves the current bar; safe for concurrent use.
func (p *ProgressObserver) Advance(n int) {
	p.mu.Lock()
	b := p.bar
	p.mu.Unlock()
	if b != nil {
		_ = b.Add(n)
	}
}

// Row prints a summary line for a finished measurement.
func (p *ProgressObserver) Row(r Row) {
	if p.rows == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.rows, "%-32s ef=%-4d recall=%.4f qps=%-8.0f p50=%.0fµs p99=%.0fµs build=%.1fs\n",
		r.Series(), r.Ef, r.Recall, r.QPS, r.P50Micros, r.P99Micros, r.BuildSeconds)
}

// Close finishes the last bar.
func (p *ProgressObserver) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
}

func (p *ProgressObserver) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
