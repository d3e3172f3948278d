package view

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/layout"
	"github.com/reef-ml/reef/storage"
)

// ViewCoordsInput sets user coordinates (from umap-learn, say): one
// [x, y] per id (and object id at object level). engine.Rows left out are placed
// from their neighbours.
type ViewCoordsInput struct {
	ViewRef
	IDs       []string    `json:"ids"`
	ObjectIDs []string    `json:"object_ids,omitempty"`
	Coords    [][]float32 `json:"coords"` // n × [x, y]
}

// ViewSetCoords installs user-supplied coordinates, normalised into [-1,1].
func (e *Viewer) ViewSetCoords(ctx context.Context, dataset string, in ViewCoordsInput) (ViewSummary, error) {
	switch {
	case in.With != "":
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "with", "user coordinates set one dataset's layout: send them without with (an overlaid dataset is placed from its neighbours in this one)")
	case len(in.IDs) == 0:
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "ids", "is empty")
	case len(in.Coords) != len(in.IDs):
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "coords", "has %d rows for %d ids", len(in.Coords), len(in.IDs))
	case in.ObjectIDs != nil && len(in.ObjectIDs) != len(in.IDs):
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "object_ids", "has %d entries for %d ids", len(in.ObjectIDs), len(in.IDs))
	}
	for i, c := range in.Coords {
		if len(c) != 2 {
			return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, fmt.Sprintf("coords[%d]", i), "must be [x, y], got %d numbers", len(c))
		}
		for d, v := range c {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, fmt.Sprintf("coords[%d][%d]", i, d), "is %v; coordinates must be finite", v)
			}
		}
	}
	vs, err := e.view(ctx, dataset, in.ViewRef)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vs.mu.Unlock()
	if vs.level == storage.LevelObject && in.ObjectIDs == nil {
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "object_ids", "object-level coordinates need object_ids")
	}
	coords := make([][2]float32, len(vs.iids))
	keep := make([]bool, len(vs.iids))
	given := make([][2]float32, 0, len(in.IDs))
	var givenRows []int
	for i, id := range in.IDs {
		ref := storage.Ref{PointID: id}
		if vs.level == storage.LevelObject {
			ref.ObjectID = in.ObjectIDs[i]
		}
		iid, err := e.eng.DB().IIDOf(dataset, ref)
		if err != nil {
			return ViewSummary{}, engine.FieldErr(engine.ErrNotFound, fmt.Sprintf("ids[%d]", i), "%v", engine.FromStorage(err))
		}
		r, ok := vs.rowOf[iid]
		if !ok {
			return ViewSummary{}, engine.FieldErr(engine.ErrNotFound, fmt.Sprintf("ids[%d]", i), "%q has no vector in space %q", id, vs.space)
		}
		if keep[r] {
			return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, fmt.Sprintf("ids[%d]", i), "%q is given twice", id)
		}
		keep[r] = true
		given = append(given, [2]float32{in.Coords[i][0], in.Coords[i][1]})
		givenRows = append(givenRows, int(r))
	}
	layout.NormalizeRobust(given)
	for j, r := range givenRows {
		coords[r] = given[j]
	}
	var todo []int
	for r := range keep {
		if !keep[r] {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		if err := e.placeRows(ctx, vs, vs.iids, coords, keep, todo); err != nil {
			return ViewSummary{}, err
		}
	}
	vs.cancelJob()
	vs.coords, vs.method, vs.placed, vs.ver, vs.when, vs.lastErr = coords, LayoutUser, len(todo), e.views.nextVersion(), time.Now().UTC(), ""
	e.saveLayout(vs)
	return e.summaryLocked(ctx, viewRows{vs: vs})
}
