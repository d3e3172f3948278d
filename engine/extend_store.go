package engine

// The extension API's point reads: what the feature packages read of
// points, vectors and change state goes through the store, so a feature
// runs unchanged on any Store. DB() is for side data only (thumbnails,
// blobs, model manifests); with a store other than the embedded one it
// holds no points.

import (
	"context"

	"github.com/reef-ml/reef/storage"
)

// DatasetState returns the store's record of a dataset: counts, UID and
// the change sequences that key caches (Seq changes on every write,
// VectorSeq on every write that changes a vector of a space level).
func (e *Engine) DatasetState(ctx context.Context, name string) (storage.Dataset, error) {
	if _, err := e.dataset(name); err != nil {
		return storage.Dataset{}, err
	}
	d, err := e.store.Dataset(ctx, name)
	return d, fromStorage(err)
}

// Resolve maps IIDs (of Rows, or of hits from a SpaceHandle's Index) to their points,
// in order; a point deleted meanwhile has an empty PointID.
func (e *Engine) Resolve(ctx context.Context, dataset string, iids []uint64) ([]storage.Resolved, error) {
	if _, err := e.dataset(dataset); err != nil {
		return nil, err
	}
	res, err := e.store.Resolve(ctx, dataset, iids)
	return res, fromStorage(err)
}

// IIDOf maps a point (or, with ObjectID, an object) to its IID.
func (e *Engine) IIDOf(ctx context.Context, dataset string, ref storage.Ref) (uint64, error) {
	if _, err := e.dataset(dataset); err != nil {
		return 0, err
	}
	iid, err := e.store.IIDOf(ctx, dataset, ref)
	return iid, fromStorage(err)
}

// Vector returns the stored vector of an IID in a space level.
func (e *Engine) Vector(ctx context.Context, dataset, space string, level storage.Level, iid uint64) ([]float32, error) {
	if _, _, err := e.space(dataset, space); err != nil {
		return nil, err
	}
	v, err := e.store.Vector(ctx, dataset, space, level, iid)
	return v, fromStorage(err)
}

// Vectors returns the stored vectors of iids in order, nil for one without.
func (e *Engine) Vectors(ctx context.Context, dataset, space string, level storage.Level, iids []uint64) ([][]float32, error) {
	if _, _, err := e.space(dataset, space); err != nil {
		return nil, err
	}
	vs, err := e.store.Vectors(ctx, dataset, space, level, iids)
	return vs, fromStorage(err)
}

// ScanVectors streams a space level's vectors in ascending IID order; fn
// must copy v to keep it.
func (e *Engine) ScanVectors(ctx context.Context, dataset, space string, level storage.Level, fn func(iid uint64, v []float32) error) error {
	if _, _, err := e.space(dataset, space); err != nil {
		return err
	}
	return fromStorage(e.store.ScanVectors(ctx, dataset, space, level, fn))
}

// ScanStored streams a dataset's points as the store holds them (IIDs,
// objects with their IIDs), with the named spaces' vectors.
func (e *Engine) ScanStored(ctx context.Context, dataset string, spaces []string, fn func(p *storage.Point) error) error {
	if _, err := e.dataset(dataset); err != nil {
		return err
	}
	return fromStorage(e.store.ScanPoints(ctx, dataset, spaces, fn))
}
