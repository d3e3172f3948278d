package peers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/reef-ml/reef/bench"
	"github.com/reef-ml/reef/index"
)

// Files names one exported workload.
type Files struct {
	Base, Query, Truth string
}

// Export writes w's train vectors, queries and truth (which must be
// computed) to dir as base.fvecs, query.fvecs and truth.ivecs.
func Export(dir string, w *bench.Workload) (Files, error) {
	f := Files{filepath.Join(dir, "base.fvecs"), filepath.Join(dir, "query.fvecs"), filepath.Join(dir, "truth.ivecs")}
	if len(w.Truth) != len(w.Queries) {
		return f, fmt.Errorf("peers: workload has %d truth lists for %d queries", len(w.Truth), len(w.Queries))
	}
	if err := WriteFVecs(f.Base, w.Train); err != nil {
		return f, err
	}
	if err := WriteFVecs(f.Query, w.Queries); err != nil {
		return f, err
	}
	return f, WriteIVecs(f.Truth, w.Truth)
}

// Load reads an exported workload back; the result is identical to what
// Export was given, so reef and peers search the same bytes.
func Load(name string, metric index.Metric, f Files) (*bench.Workload, error) {
	w := bench.Workload{Name: name, Metric: metric}
	var err error
	if w.Train, err = ReadFVecs(f.Base); err != nil {
		return nil, err
	}
	if w.Queries, err = ReadFVecs(f.Query); err != nil {
		return nil, err
	}
	if w.Truth, err = ReadIVecs(f.Truth); err != nil {
		return nil, err
	}
	if len(w.Truth) != len(w.Queries) || len(w.Train) == 0 {
		return nil, fmt.Errorf("peers: %d queries, %d truth lists, %d vectors", len(w.Queries), len(w.Truth), len(w.Train))
	}
	return &w, nil
}

// HNSWLibOptions configure one hnswlib run.
type HNSWLibOptions struct {
	Script  string // path to run-hnswlib.sh
	Space   string // "l2", "ip" or "cosine"
	M, EfC  int
	Ef      []int
	K       int
	Threads int
	Repeats int       // timed passes per point, fastest reported; 0 means 3
	Stderr  io.Writer // progress; nil discards
}

// RunHNSWLib compiles (if needed) and runs the hnswlib peer on f and
// returns its report, ready for bench.Report.Merge.
func RunHNSWLib(ctx context.Context, f Files, o HNSWLibOptions) (*bench.Report, error) {
	efs := make([]string, len(o.Ef))
	for i, e := range o.Ef {
		efs[i] = strconv.Itoa(e)
	}
	cmd := exec.CommandContext(ctx, o.Script, "--base", f.Base, "--query", f.Query, "--truth", f.Truth,
		"--space", o.Space, "--M", strconv.Itoa(o.M), "--efc", strconv.Itoa(o.EfC),
		"--ef", strings.Join(efs, ","), "--k", strconv.Itoa(o.K), "--threads", strconv.Itoa(o.Threads))
	if o.Repeats <= 0 {
		o.Repeats = 3
	}
	cmd.Args = append(cmd.Args, "--repeats", strconv.Itoa(o.Repeats))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, o.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("peers: %s: %w", o.Script, err)
	}
	return bench.ReadReport(&out)
}
