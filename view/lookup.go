package view

import (
	"context"
	"fmt"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// ViewLookupRequest names points (at object level, objects: ObjectIDs
// aligned with IDs) by id, as the analysis routes answer them (a failure
// region's ids and object_ids, an issue's ids), to find their rows.
type ViewLookupRequest struct {
	ViewRef
	IDs       []string `json:"ids"`
	ObjectIDs []string `json:"object_ids,omitempty"`
}

// ViewLookupResult holds the rows of the ids found, in the order asked;
// Missing counts the ids that have no row (deleted since, or without a
// vector in the space). At object level without ObjectIDs a point's id
// stands for every one of its objects with a row.
type ViewLookupResult struct {
	Generation uint64  `json:"generation"`
	Rows       []int   `json:"rows"`
	Missing    int     `json:"missing"`
	TookMs     float64 `json:"took_ms"`
}

// ViewLookup maps ids to rows of the dataset's own part of the view (an
// overlay's rows are never returned).
func (e *Viewer) ViewLookup(ctx context.Context, dataset string, req ViewLookupRequest) (ViewLookupResult, error) {
	start := time.Now()
	switch {
	case len(req.IDs) == 0:
		return ViewLookupResult{}, engine.FieldErr(engine.ErrInvalid, "ids", "needs at least one id")
	case len(req.IDs) > maxViewRows:
		return ViewLookupResult{}, engine.FieldErr(engine.ErrTooLarge, "ids", "%d ids, limit %d per request", len(req.IDs), maxViewRows)
	case req.ObjectIDs != nil && len(req.ObjectIDs) != len(req.IDs):
		return ViewLookupResult{}, engine.FieldErr(engine.ErrInvalid, "object_ids", "has %d entries for %d ids", len(req.ObjectIDs), len(req.IDs))
	}
	vr, err := e.viewRows(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewLookupResult{}, err
	}
	defer vr.unlock()
	vs := vr.vs
	if req.ObjectIDs != nil && vs.level != storage.LevelObject {
		return ViewLookupResult{}, engine.FieldErr(engine.ErrInvalid, "object_ids", "are for level object")
	}
	out := ViewLookupResult{Generation: vr.gen(), Rows: make([]int, 0, len(req.IDs))}
	seen := make(map[int]bool, len(req.IDs))
	add := func(iid uint64) bool {
		r, ok := vs.rowOf[iid]
		if ok && !seen[int(r)] {
			seen[int(r)] = true
			out.Rows = append(out.Rows, int(r))
		}
		return ok
	}
	for i, id := range req.IDs {
		if i%256 == 0 && ctx.Err() != nil {
			return ViewLookupResult{}, ctx.Err()
		}
		if id == "" {
			return ViewLookupResult{}, engine.FieldErr(engine.ErrInvalid, fmt.Sprintf("ids[%d]", i), "is empty")
		}
		ref := storage.Ref{PointID: id}
		if req.ObjectIDs != nil {
			ref.ObjectID = req.ObjectIDs[i]
		}
		if vs.level == storage.LevelObject && ref.ObjectID == "" {
			// A point's id at object level: every object of it in the view.
			if !e.addObjects(ctx, dataset, id, add) {
				out.Missing++
			}
			continue
		}
		iid, err := e.eng.IIDOf(ctx, dataset, ref)
		if err != nil || !add(iid) {
			out.Missing++
		}
	}
	out.TookMs = msSince(start)
	return out, nil
}

// addObjects adds the rows of a point's objects; false when none has one.
func (e *Viewer) addObjects(ctx context.Context, dataset, id string, add func(uint64) bool) bool {
	p, err := e.eng.Point(ctx, dataset, id)
	if err != nil {
		return false
	}
	found := false
	for _, o := range p.Objects {
		if iid, err := e.eng.IIDOf(ctx, dataset, storage.Ref{PointID: id, ObjectID: o.ID}); err == nil {
			found = add(iid) || found
		}
	}
	return found
}
