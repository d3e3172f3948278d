package engine

// The extension API: what the feature packages (ingest, understand, view)
// may use beyond the public data API. It is deliberately small. Points,
// vectors and metadata change only through the engine's own methods (one
// writer, validated) and are read through the store (extend_store.go), so
// that a feature never learns which Store it runs on; side data that is not
// part of a point (thumbnails, object crops, playable audio, registered
// model manifests) is kept by the feature that owns it, locally, through
// DB().

import (
	"context"
	"errors"
	"strings"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// FieldErr builds a validation error naming the offending request field;
// sentinel is one of the Err* values, so that callers map it to a status.
func FieldErr(sentinel error, field, format string, args ...any) error {
	return fieldErr(sentinel, field, format, args...)
}

// FromStorage maps a storage error onto the engine's sentinels.
func FromStorage(err error) error { return fromStorage(err) }

// CheckName validates a dataset, space or model name.
func CheckName(field, name string) error { return checkName(field, name) }

// CheckID validates a point (or object) id as Upsert does.
func (e *Engine) CheckID(field, id string) error { return e.checkID(field, id) }

// ValidatePoint checks one point as Upsert would (id, uri, metadata,
// objects, and vectors if it has any), naming fields under field (e.g.
// "images[3]" gives "images[3].metadata"), so that a feature can reject a
// bad input before doing expensive work for it.
func (e *Engine) ValidatePoint(dataset, field string, p PointInput) error {
	st, err := e.dataset(dataset)
	if err != nil {
		return err
	}
	_, err = e.validateBatch(st, []PointInput{p})
	var fe *FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "points[0]") {
		return &FieldError{Field: field + strings.TrimPrefix(fe.Field, "points[0]"), Err: fe.Err, Msg: fe.Msg}
	}
	return err
}

// CheckDataset reports whether a dataset exists (ErrNotFound naming the
// field "dataset" if not, ErrClosed once the engine is closed). It reads
// memory only.
func (e *Engine) CheckDataset(name string) error {
	_, err := e.dataset(name)
	return err
}

// DataDir is the data directory, for feature caches that live beside the
// database (model files, graph caches, layouts).
func (e *Engine) DataDir() string { return e.opts.DataDir }

// OnClose registers fn to run when the engine closes, first, before index
// snapshots are written and storage closes: a feature stops its background
// work and releases what it holds (models, runtimes) there. Hooks run in
// registration order; their errors are joined into Close's.
func (e *Engine) OnClose(fn func() error) {
	e.hooksMu.Lock()
	defer e.hooksMu.Unlock()
	e.closeHooks = append(e.closeHooks, fn)
}

func (e *Engine) runCloseHooks() error {
	e.hooksMu.Lock()
	hooks := e.closeHooks
	e.closeHooks = nil
	e.hooksMu.Unlock()
	var errs []error
	for _, fn := range hooks {
		errs = append(errs, fn())
	}
	return errors.Join(errs...)
}

// Rows reads a space level's vectors from storage in IID order: the row
// frame of every analysis.
func (e *Engine) Rows(ctx context.Context, dataset, space string, level storage.Level) (*Rows, error) {
	return e.loadRows(ctx, dataset, space, level)
}

// ParseLevel parses a request's level ("" or "point", "object").
func ParseLevel(s string) (storage.Level, error) { return parseLevel(s) }

// Workers is how many goroutines CPU-bound work should use.
func (e *Engine) Workers() int { return e.workers() }

// SpaceHandle is a read handle on one space of a dataset, as the engine
// holds it in memory.
type SpaceHandle struct {
	DatasetUID string // names the dataset's derived files (graphs, layouts)
	Info       storage.Space
	Metric     index.Metric
	levels     [2]index.Index
}

// Index is the store's index of a level. Callers must only read it
// (Search, Len, IDs): writes go through Upsert.
func (h SpaceHandle) Index(l storage.Level) index.Index { return h.levels[levelIndex(l)] }

// Space returns a read handle on a space, from memory.
func (e *Engine) Space(dataset, space string) (SpaceHandle, error) {
	st, sp, err := e.space(dataset, space)
	if err != nil {
		return SpaceHandle{}, err
	}
	h := SpaceHandle{Metric: sp.metric}
	for i, l := range levels {
		if h.levels[i], err = e.store.Index(dataset, space, l); err != nil {
			return SpaceHandle{}, fromStorage(err)
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	h.DatasetUID, h.Info = st.info.UID, sp.info
	return h, nil
}

// CheckVector validates a query vector for a space as Search does.
func CheckVector(field string, v []float32, dim int, metric index.Metric) error {
	return checkVector(field, v, dim, metric)
}

// Normalized returns a unit-length copy of v (zeros for a zero vector), as
// cosine spaces store and compare vectors.
func Normalized(v []float32) []float32 { return normalized(v) }

// SameSpace is the provenance guard: analyses across datasets need the same
// space definition (dim, metric, model and version).
func (e *Engine) SameSpace(a, b string, space string) error {
	_, sa, err := e.space(a, space)
	if err != nil {
		return err
	}
	_, sb, err := e.space(b, space)
	if err != nil {
		return err
	}
	x, y := sa.info, sb.info
	if x.Dim != y.Dim || x.Metric != y.Metric || x.Provenance != y.Provenance || x.ModelVersion != y.ModelVersion {
		return fieldErr(ErrIncompatible, "space", "space %q differs between %q (%d-d %s, %s %s) and %q (%d-d %s, %s %s): vectors from different models cannot be compared",
			space, a, x.Dim, x.Metric, x.Provenance, x.ModelVersion, b, y.Dim, y.Metric, y.Provenance, y.ModelVersion)
	}
	return nil
}

// SetEfSearch makes ef the space's default search breadth.
func (e *Engine) SetEfSearch(dataset, space string, ef int) error {
	_, sp, err := e.space(dataset, space)
	if err != nil {
		return err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	info := sp.info
	info.Index.EfSearch = ef
	if err := e.store.UpdateSpace(context.Background(), dataset, info); err != nil {
		return fromStorage(err)
	}
	e.mu.Lock()
	sp.info = info
	e.mu.Unlock()
	return nil
}
