package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// errInterrupted ends a command stopped by Ctrl-C (or SIGTERM); main exits
// with 130 and prints the message, which says what was kept.
var errInterrupted = errors.New("interrupted")

// errFilesFailed ends an ingest in which some file was not stored.
var errFilesFailed = errors.New("not stored")

// ingestReport accumulates what an ingest stored, where and what failed.
type ingestReport struct {
	dataset  string
	storedBy map[string]int      // kind → points stored
	spaces   map[string]bool     // spaces the server wrote
	reasons  map[string][]string // failure reason → ids
	skipped  map[string]int      // extension → files not sent
}

func newIngestReport(dataset string, skipped map[string]int) *ingestReport {
	return &ingestReport{dataset: dataset, storedBy: map[string]int{}, spaces: map[string]bool{},
		reasons: map[string][]string{}, skipped: skipped}
}

func (r *ingestReport) stored(kind string, n int, space string) {
	r.storedBy[kind] += n
	if space != "" && n > 0 {
		r.spaces[space] = true
	}
}

func (r *ingestReport) failed(id, reason string) { r.reasons[reason] = append(r.reasons[reason], id) }

// readable drops (and records) the files that cannot be opened, so that one
// unreadable file costs itself and not its batch.
func (r *ingestReport) readable(items []ingestItem) []ingestItem {
	out := items[:0:0]
	for _, it := range items {
		f, err := os.Open(it.Path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			r.failed(it.ID, "cannot read: "+err.Error())
			continue
		}
		f.Close()
		out = append(out, it)
	}
	return out
}

func (r *ingestReport) failures() int {
	n := 0
	for _, ids := range r.reasons {
		n += len(ids)
	}
	return n
}

// print writes what was stored, the spaces, and failures by reason.
func (r *ingestReport) print(w io.Writer, ctx context.Context, c *client) {
	var parts []string
	for _, kind := range []string{"images", "audio files"} {
		if n, ok := r.storedBy[kind]; ok {
			parts = append(parts, plural(n, strings.TrimSuffix(kind, "s")))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing new"}
	}
	fmt.Fprintf(w, "stored %s in %s\n", strings.Join(parts, " and "), r.dataset)
	r.printSpaces(w, ctx, c)
	if len(r.skipped) > 0 {
		exts := make([]string, 0, len(r.skipped))
		total := 0
		for ext, n := range r.skipped {
			if ext == "" {
				ext = "(no extension)"
			}
			exts = append(exts, fmt.Sprintf("%s %d", ext, n))
			total += n
		}
		sort.Strings(exts)
		fmt.Fprintf(w, "not sent: %s of types reef does not ingest (%s)\n", plural(total, "file"), strings.Join(exts, ", "))
	}
	if n := r.failures(); n > 0 {
		reasons := make([]string, 0, len(r.reasons))
		for reason := range r.reasons {
			reasons = append(reasons, reason)
		}
		sort.Slice(reasons, func(i, j int) bool { return len(r.reasons[reasons[i]]) > len(r.reasons[reasons[j]]) })
		fmt.Fprintf(w, "failed: %s\n", plural(n, "file"))
		for _, reason := range reasons {
			ids := r.reasons[reason]
			ex := strings.Join(ids[:min(3, len(ids))], ", ")
			if len(ids) > 3 {
				ex += ", ..."
			}
			fmt.Fprintf(w, "  %d × %s (%s)\n", len(ids), reason, ex)
		}
	}
}

// printSpaces names the spaces the ingest wrote, with their dataset-wide
// counts, and the "-boxes" space a detector or label boxes may have filled.
func (r *ingestReport) printSpaces(w io.Writer, ctx context.Context, c *client) {
	if len(r.spaces) == 0 {
		return
	}
	// After Ctrl-C the command's context is done; the summary still asks.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	d, err := c.dataset(ctx, r.dataset)
	for _, sp := range d.Spaces {
		if strings.HasSuffix(sp.Name, "-boxes") && r.spaces[strings.TrimSuffix(sp.Name, "-boxes")] {
			r.spaces[sp.Name] = true
		}
	}
	names := make([]string, 0, len(r.spaces))
	for n := range r.spaces {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "spaces: ")
	for i, n := range names {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprint(w, n)
		for _, sp := range d.Spaces {
			if sp.Name == n && err == nil {
				fmt.Fprintf(w, " (%d-d, %d image and %d box vectors)", sp.Dim, sp.PointVectors, sp.ObjectVectors)
			}
		}
	}
	fmt.Fprintln(w)
}

// finish prints the report and fails when any file failed.
func (r *ingestReport) finish(cmd *cobra.Command, c *client) error {
	r.print(cmd.OutOrStdout(), cmd.Context(), c)
	if n := r.failures(); n > 0 {
		return fmt.Errorf("%s %w (see above); fix them and rerun: only what is missing is sent", plural(n, "file"), errFilesFailed)
	}
	return nil
}

// stopped reports an ingest cut short: by Ctrl-C, saying what is kept and
// that a rerun resumes, or by an error.
func (r *ingestReport) stopped(cmd *cobra.Command, c *client, err error) error {
	r.print(cmd.OutOrStdout(), cmd.Context(), c)
	if cmd.Context().Err() != nil {
		return fmt.Errorf("%w: what is listed above is stored (the batch in flight may be too); "+
			"run the same command again to resume: stored ids are skipped", errInterrupted)
	}
	return fmt.Errorf("ingest stopped: %w; what is listed above is stored, and rerunning resumes", err)
}

// plural writes "1 file" and "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
