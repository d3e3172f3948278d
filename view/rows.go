package view

import (
	"context"
	"time"

	"github.com/reef-ml/reef/engine"
)

// MaxRowsBatch bounds one batch read: the grid asks for a screenful or
// two, an export pages through its rows this many at a time.
const MaxRowsBatch = 1000

// ViewRowsRequest names rows to read at once.
type ViewRowsRequest struct {
	ViewRef
	Rows []int `json:"rows"`
}

// ViewRowsResult holds what each row stands for, in the order asked;
// Missing lists rows deleted since the view was refreshed (they have no
// hit).
type ViewRowsResult struct {
	Generation uint64    `json:"generation"`
	Hits       []ViewHit `json:"hits"`
	Missing    []int     `json:"missing,omitempty"`
	TookMs     float64   `json:"took_ms"`
}

// ViewRows is ViewRow for up to MaxRowsBatch rows in one call (and one
// lock of the view); a row may not repeat.
func (e *Viewer) ViewRows(ctx context.Context, dataset string, req ViewRowsRequest) (ViewRowsResult, error) {
	start := time.Now()
	switch {
	case len(req.Rows) == 0:
		return ViewRowsResult{}, engine.FieldErr(engine.ErrInvalid, "rows", "needs at least one row")
	case len(req.Rows) > MaxRowsBatch:
		return ViewRowsResult{}, engine.FieldErr(engine.ErrInvalid, "rows", "%d rows, limit %d per request", len(req.Rows), MaxRowsBatch)
	}
	vr, err := e.viewRows(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewRowsResult{}, err
	}
	defer vr.unlock()
	if err := vr.checkRows("rows", req.Rows, map[int]string{}); err != nil {
		return ViewRowsResult{}, err
	}
	hits, err := e.hitsLocked(ctx, vr, req.Rows, nil)
	if err != nil {
		return ViewRowsResult{}, err
	}
	out := ViewRowsResult{Generation: vr.gen(), Hits: hits}
	if len(hits) < len(req.Rows) {
		got := make(map[int]bool, len(hits))
		for _, h := range hits {
			got[h.Row] = true
		}
		for _, r := range req.Rows {
			if !got[r] {
				out.Missing = append(out.Missing, r)
			}
		}
	}
	out.TookMs = msSince(start)
	return out, nil
}
