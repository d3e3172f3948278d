package view

import (
	"context"
	"log/slog"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// Graphs computes the all-points k-NN graph of a space level that UMAP
// layouts start from. The understand package's Analyzer implements it.
type Graphs interface {
	KNNGraph(ctx context.Context, dataset, space, level string, k int, progress func(done, total int)) (*engine.GraphView, error)
}

// Media tells the view which media a point has. The ingest package, which
// stores thumbnails, object crops and playable audio, implements it.
type Media interface {
	// CropSource says where an object's crop would come from or "" when it
	// has none; it does not cut the crop.
	CropSource(dataset, pointID string, obj *storage.Object) string
	// HasAudio reports whether a point has playable audio.
	HasAudio(ctx context.Context, dataset, pointID string) bool
}

// Options configure a Viewer.
type Options struct {
	// AutoUMAPMax is the largest row count whose view starts a UMAP layout
	// by itself on first use; bigger ones show PCA until a re-layout asks
	// for UMAP. 0 = never automatic.
	AutoUMAPMax int
	// Graphs computes UMAP's k-NN graphs; nil means PCA layouts only (a
	// UMAP re-layout then fails with engine.ErrUnavailable).
	Graphs Graphs
	// Media reports object crops and audio for hits; nil means none.
	Media Media
}

// DefaultOptions returns the options `reef serve` uses (Graphs and Media
// are wired by the caller).
func DefaultOptions() Options { return Options{AutoUMAPMax: 100_000} }

// Viewer is the embedding view over an engine. It is safe for concurrent
// use.
type Viewer struct {
	eng   *engine.Engine
	opts  Options
	log   *slog.Logger
	views *viewCache
}

// New returns a Viewer over eng. Its background layouts are cancelled and
// waited for when eng closes (or by Close, whichever comes first).
func New(eng *engine.Engine, opts Options) *Viewer {
	v := &Viewer{eng: eng, opts: opts, log: eng.Logger(), views: newViewCache()}
	eng.OnClose(v.Close)
	return v
}

// Close cancels background layouts and waits for them. Safe to call twice.
func (e *Viewer) Close() error {
	e.views.close()
	return nil
}
