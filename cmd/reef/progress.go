package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports how far a long command is. On a terminal it draws a bar;
// anywhere else (a log file, a pipe) it writes a plain line now and then,
// so redirected output stays readable.
type progress interface {
	Add(n int)
	Finish()
}

// plainEvery is how often a plain progress line is written.
var plainEvery = 10 * time.Second

// newProgress returns a bar when w is a terminal and a line writer otherwise.
// bytes says the count is of bytes rather than files.
func newProgress(w io.Writer, total int64, what string, bytes bool) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts := []progressbar.Option{progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) })}
		if bytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		} else {
			opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString("files"))
		}
		return barProgress{progressbar.NewOptions64(total, opts...)}
	}
	return &lineProgress{w: w, total: total, what: what, bytes: bytes, start: time.Now(), last: time.Now()}
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { p.b.Add(n) }
func (p barProgress) Finish()   { p.b.Finish() }

// lineProgress writes "what: done/total (pct%), rate" at most every
// plainEvery, and once at the end.
type lineProgress struct {
	w           io.Writer
	total, done int64
	what        string
	bytes       bool
	start, last time.Time
}

func (p *lineProgress) Add(n int) {
	p.done += int64(n)
	if time.Since(p.last) >= plainEvery {
		p.last = time.Now()
		p.line()
	}
}

func (p *lineProgress) Finish() { p.line() }

func (p *lineProgress) line() {
	secs := time.Since(p.start).Seconds()
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	if p.bytes {
		fmt.Fprintf(p.w, "%s: %s of %s (%.0f%%), %s/s\n", p.what, humanBytes(p.done), humanBytes(p.total), pct, humanBytes(int64(float64(p.done)/max(secs, 1e-3))))
		return
	}
	fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%), %.1f/s\n", p.what, p.done, p.total, pct, float64(p.done)/max(secs, 1e-3))
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// progressWriter counts the bytes written through it.
type progressWriter struct{ p progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.Add(len(b))
	return len(b), nil
}
