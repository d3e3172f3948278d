package weaviatestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/weaviate"
)

// errReadOnly is returned by writes to a level handle: points change
// through the engine only.
var errReadOnly = errors.New("weaviate store: a level index is read-only")

// levelIndex is a read-only index.Index over a space's named vector, for
// analyses (k-NN graphs, tuning) that query a level many times.
type levelIndex struct {
	s       *Store
	dataset string
	space   storage.Space
	metric  index.Metric
}

// Index returns a read handle on a space level; the object level is empty
// in this store. The catalog is read once, here.
func (s *Store) Index(dataset, space string, level storage.Level) (index.Index, error) {
	sp, err := s.space(context.Background(), dataset, space)
	if err != nil {
		return nil, err
	}
	m, err := index.ParseMetric(sp.Metric)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", storage.ErrCorrupt, err)
	}
	if level != storage.LevelPoint {
		return emptyIndex{dim: sp.Dim, metric: m}, nil
	}
	return &levelIndex{s: s, dataset: dataset, space: sp, metric: m}, nil
}

func (x *levelIndex) Dim() int                    { return x.space.Dim }
func (x *levelIndex) Metric() index.Metric        { return x.metric }
func (x *levelIndex) Add(uint64, []float32) error { return errReadOnly }
func (x *levelIndex) Delete(uint64) bool          { return false }

// Len counts the collection's objects (an exact aggregate).
func (x *levelIndex) Len() int {
	n, err := x.s.c.Count(context.Background(), collection(x.dataset), nil)
	if err != nil {
		x.s.opts.Logger.Warn("weaviate store: count failed", "dataset", x.dataset, "err", err)
		return 0
	}
	return int(n)
}

// Search runs a k-NN query. A Go filter cannot be pushed down, so it is
// applied to a wider candidate list (4k, at least 100): fewer than k hits
// can come back under a selective filter.
func (x *levelIndex) Search(ctx context.Context, q []float32, k int, opts index.SearchOptions) ([]index.Hit, error) {
	want := k
	if opts.Filter != nil {
		want = min(max(4*k, 100), 10000)
	}
	res, err := x.s.Search(ctx, engine.StoreQuery{Dataset: x.dataset, Space: x.space.Name, Level: storage.LevelPoint, Metric: x.metric, Vector: q, K: want})
	if err != nil {
		return nil, err
	}
	hits := res.Hits[:0]
	for _, h := range res.Hits {
		if opts.Filter == nil || opts.Filter(h.ID) {
			hits = append(hits, h)
		}
	}
	return hits[:min(k, len(hits))], nil
}

// IDs streams the collection's IIDs through the cursor.
func (x *levelIndex) IDs(fn func(id uint64) bool) {
	stop := errors.New("stop")
	err := x.s.c.Scan(context.Background(), collection(x.dataset), weaviate.ScanOptions{Vectors: []string{}}, func(o weaviate.Object) error {
		if !fn(iidOf(o.ID)) {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		x.s.opts.Logger.Warn("weaviate store: id scan failed", "dataset", x.dataset, "err", err)
	}
}

// emptyIndex is the object level, which this store does not hold yet.
type emptyIndex struct {
	dim    int
	metric index.Metric
}

func (x emptyIndex) Dim() int                    { return x.dim }
func (x emptyIndex) Metric() index.Metric        { return x.metric }
func (x emptyIndex) Len() int                    { return 0 }
func (x emptyIndex) Add(uint64, []float32) error { return errReadOnly }
func (x emptyIndex) Delete(uint64) bool          { return false }
func (x emptyIndex) IDs(func(uint64) bool)       {}
func (x emptyIndex) Search(context.Context, []float32, int, index.SearchOptions) ([]index.Hit, error) {
	return nil, nil
}
