package view

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
)

// placeRows sets coords[todo] from the nearest rows that keep theirs.
func (e *Viewer) placeRows(ctx context.Context, vs *viewState, iids []uint64, coords [][2]float32, keep []bool, todo []int) error {
	sp, err := e.eng.Space(vs.dataset, vs.space)
	if err != nil {
		return err
	}
	idx := sp.Index(vs.level)
	ids := make([]uint64, len(todo))
	for j, i := range todo {
		ids[j] = iids[i]
	}
	vecs, err := e.eng.DB().Vectors(vs.dataset, vs.space, vs.level, ids)
	if err != nil {
		return engine.FromStorage(err)
	}
	rowOf := rowIndex(iids)
	// placed holds the anchor coordinates; neighbours index into it.
	var placed [][2]float32
	slot := map[int32]int32{}
	neighbors := make([][]int32, len(todo))
	distances := make([][]float32, len(todo))
	for j, v := range vecs {
		if j%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if v == nil {
			continue
		}
		hits, err := idx.Search(ctx, v, placeK+8, index.SearchOptions{Ef: 64})
		if err != nil {
			return err
		}
		for _, h := range hits {
			r, ok := rowOf[h.ID]
			if !ok || !keep[r] {
				continue
			}
			s, ok := slot[r]
			if !ok {
				s = int32(len(placed))
				slot[r] = s
				placed = append(placed, coords[r])
			}
			neighbors[j] = append(neighbors[j], s)
			distances[j] = append(distances[j], h.Distance)
			if len(neighbors[j]) == placeK {
				break
			}
		}
	}
	var out [][2]float32
	if len(placed) > 0 {
		out = layout.Place(neighbors, distances, placed)
	}
	for j, i := range todo {
		var c [2]float32
		if j < len(out) && len(neighbors[j]) > 0 {
			c = out[j]
		}
		coords[i] = [2]float32{layout.ClampUnit(c[0]), layout.ClampUnit(c[1])}
	}
	return nil
}

// computePCA lays out vs's current rows with PCA (synchronously).
func (e *Viewer) computePCA(ctx context.Context, vs *viewState) error {
	coords, err := e.pcaLayout(ctx, vs)
	if err != nil {
		return err
	}
	layout.NormalizeRobust(coords)
	vs.coords, vs.method, vs.placed, vs.ver, vs.when = coords, LayoutPCA, 0, e.views.nextVersion(), time.Now().UTC()
	if len(coords) > 0 {
		e.saveLayout(vs)
	}
	return nil
}

// startUMAP computes a UMAP layout in the background unless one is under
// way; vs is locked.
func (e *Viewer) startUMAP(vs *viewState) {
	if vs.job != nil {
		return
	}
	job := &viewJob{}
	job.phase.Store("knn")
	cancel, ok := e.views.goJob(func(ctx context.Context) {
		err := e.runUMAP(ctx, vs, job)
		vs.mu.Lock()
		defer vs.mu.Unlock()
		if vs.job == job {
			vs.job = nil
			if err != nil && ctx.Err() == nil {
				vs.lastErr = err.Error()
				e.log.Warn("view layout failed", "dataset", vs.dataset, "space", vs.space, "level", vs.level, "err", err)
			}
		}
	})
	if !ok {
		return // the engine is closing
	}
	// The job reads vs.job only under vs.mu, which the caller holds.
	job.cancel = cancel
	vs.job, vs.lastErr = job, ""
}

// cancelJob drops the background layout (a layout being installed
// supersedes it); vs is locked.
func (vs *viewState) cancelJob() {
	if vs.job != nil {
		vs.job.cancel()
		vs.job = nil
	}
}

func (e *Viewer) runUMAP(ctx context.Context, vs *viewState, job *viewJob) error {
	progress := func(done, total int) { job.done.Store(int64(done)); job.total.Store(int64(total)) }
	start := time.Now()
	if e.opts.Graphs == nil {
		return fmt.Errorf("%w: UMAP layouts need a k-NN graph source (view.Options.Graphs)", engine.ErrUnavailable)
	}
	gv, err := e.opts.Graphs.KNNGraph(ctx, vs.dataset, vs.space, vs.level.String(), viewGraphK, progress)
	if err != nil {
		return err
	}
	job.phase.Store("umap")
	job.done.Store(0)
	opts := layout.DefaultOptions()
	opts.Workers, opts.Progress = e.eng.Workers(), progress
	coords, err := layout.UMAP(ctx, gv.Graph.Neighbors, gv.Graph.Distances, nil, opts)
	if err != nil {
		return err
	}
	if len(coords) != len(gv.IIDs) {
		return fmt.Errorf("umap returned %d coordinates for %d rows", len(coords), len(gv.IIDs))
	}
	layout.NormalizeRobust(coords)
	hashes := make([]uint64, len(gv.Vectors))
	for i, v := range gv.Vectors {
		hashes[i] = vectorHash(v)
	}
	e.log.Info("view layout computed", "dataset", vs.dataset, "space", vs.space, "level", vs.level, "rows", len(coords), "took", time.Since(start).Round(time.Millisecond))
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.job != job || ctx.Err() != nil {
		return ctx.Err()
	}
	cur, curHashes := vs.iids, vs.hashes
	vs.iids, vs.hashes, vs.coords, vs.rowOf = gv.IIDs, hashes, coords, rowIndex(gv.IIDs)
	vs.method, vs.placed, vs.when = LayoutUMAP, 0, time.Now().UTC()
	if slices.Equal(cur, vs.iids) && slices.Equal(curHashes, vs.hashes) {
		vs.ver = e.views.nextVersion()
		e.saveLayout(vs)
		return nil
	}
	// engine.Rows changed while UMAP ran: place the difference.
	return e.reconcile(ctx, vs, cur, curHashes)
}

func (vs *viewState) layoutInfo() LayoutInfo {
	li := LayoutInfo{Method: vs.method, State: LayoutReady, Placed: vs.placed, Version: vs.ver}
	if !vs.when.IsZero() {
		li.Computed = vs.when.Format(time.RFC3339)
	}
	if j := vs.job; j != nil {
		li.State, li.Computing = LayoutComputing, LayoutUMAP
		li.Phase, _ = j.phase.Load().(string)
		if t := j.total.Load(); t > 0 {
			li.Progress = float64(j.done.Load()) / float64(t)
		}
	} else if vs.lastErr != "" {
		li.State, li.Error = LayoutFailed, vs.lastErr
	}
	return li
}

// ViewLayoutRequest asks for a re-layout.
type ViewLayoutRequest struct {
	ViewRef
	Method string `json:"method"`
}

// ViewRelayout recomputes the layout: PCA at once, UMAP in the background
// (the summary's layout state says when it lands). engine.Rows placed since the
// last layout are laid out with everyone else.
func (e *Viewer) ViewRelayout(ctx context.Context, dataset string, req ViewLayoutRequest) (ViewSummary, error) {
	switch req.Method {
	case LayoutUMAP, LayoutPCA:
	case "":
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "method", "is required: \"umap\" or \"pca\"")
	default:
		return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "method", "must be \"umap\" or \"pca\", got %q", req.Method)
	}
	if req.With != "" {
		if req.Space == "" {
			return ViewSummary{}, engine.FieldErr(engine.ErrInvalid, "space", "is required")
		}
		if err := e.overlayCompatible(dataset, req.With, req.Space); err != nil {
			return ViewSummary{}, err
		}
	}
	vs, err := e.view(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vs.mu.Unlock()
	if req.Method == LayoutPCA {
		vs.cancelJob()
		if err := e.computePCA(ctx, vs); err != nil {
			return ViewSummary{}, err
		}
	} else if len(vs.iids) > 0 {
		e.startUMAP(vs)
	}
	vr := viewRows{vs: vs}
	if req.With != "" {
		// The overlaid rows follow the new layout (and again when a
		// background UMAP lands).
		if vr.ov, err = e.overlayLocked(ctx, vs, req.With); err != nil {
			return ViewSummary{}, err
		}
	}
	return e.summaryLocked(ctx, vr)
}
