package engine

import (
	"context"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// Store is everything the core needs from "where points live": datasets,
// spaces with their provenance, points with metadata and objects, vectors
// per space and level, k-NN and filtered search, streaming scans, partial
// metadata updates and the change sequence. The engine validates every
// request before it reaches a Store, serialises writes (one write method
// runs at a time, in the order the engine acknowledges them) and keeps the
// catalog it reads from Datasets and Spaces in memory.
//
// The embedded store (bbolt plus reef's indexes, embedded.go) is the default;
// others live in their own packages and are passed in Options.Store. The
// data types are storage's plain structs: they carry no bbolt state.
//
// Every method returns storage's sentinel errors (storage.ErrNotFound, …)
// wrapped with %w, which the engine maps onto its own.
type Store interface {
	// Datasets lists every dataset, with counts and change sequences.
	Datasets(ctx context.Context) ([]storage.Dataset, error)
	// Dataset describes one dataset; its Seq changes on every write and
	// VectorSeq on every write that changes a vector of a space level.
	Dataset(ctx context.Context, name string) (storage.Dataset, error)
	CreateDataset(ctx context.Context, name string) (storage.Dataset, error)
	// DeleteDataset removes a dataset, its points and its spaces' indexes.
	DeleteDataset(ctx context.Context, ds storage.Dataset) error
	Spaces(ctx context.Context, dataset string) ([]storage.Space, error)
	// CreateSpace adds a space (dim, metric, provenance, index settings)
	// and makes it searchable.
	CreateSpace(ctx context.Context, ds storage.Dataset, sp storage.Space) (storage.Space, error)
	// UpdateSpace records new settings of an existing space (ef_search).
	UpdateSpace(ctx context.Context, dataset string, sp storage.Space) error

	// Upsert writes a validated batch: all of it or, on error, none of it.
	// merge keeps what a point does not send (see ModeMerge). It returns
	// the write's sequence once the store acknowledged it durably.
	Upsert(ctx context.Context, dataset string, points []storage.Point, merge bool) (uint64, error)
	// DeletePoints removes points; all must exist or nothing is deleted.
	DeletePoints(ctx context.Context, dataset string, ids []string) (uint64, error)
	// EditMetadata rewrites the metadata of the named points (every point
	// when ids is nil) and never touches vectors, uri or objects; it
	// returns the sequence (0 when nothing changed) and the points changed.
	EditMetadata(ctx context.Context, dataset string, ids []string, skipMissing bool, edit storage.MetadataEdit) (uint64, int, error)

	// StoredVectors reports which vectors each existing named point holds.
	StoredVectors(ctx context.Context, dataset string, ids []string) (map[string]storage.Stored, error)
	// Point returns one point with its vectors and objects.
	Point(ctx context.Context, dataset, id string) (storage.Point, error)
	// IIDOf maps a point (or object) to the store's numeric id, which is
	// what searches and scans return.
	IIDOf(ctx context.Context, dataset string, ref storage.Ref) (uint64, error)
	// Resolve maps numeric ids back to points (an empty PointID for one
	// deleted meanwhile), in order.
	Resolve(ctx context.Context, dataset string, iids []uint64) ([]storage.Resolved, error)
	Vector(ctx context.Context, dataset, space string, level storage.Level, iid uint64) ([]float32, error)
	// Vectors returns the vectors of iids in order, nil for one without.
	Vectors(ctx context.Context, dataset, space string, level storage.Level, iids []uint64) ([][]float32, error)
	// ScanVectors streams a space level's vectors in ascending id order.
	ScanVectors(ctx context.Context, dataset, space string, level storage.Level, fn func(iid uint64, v []float32) error) error
	// ScanPoints streams a dataset's points with the named spaces' vectors.
	ScanPoints(ctx context.Context, dataset string, spaces []string, fn func(p *storage.Point) error) error

	// Search answers one k-NN query, filtered when q.Filter is set.
	Search(ctx context.Context, q StoreQuery) (StoreHits, error)
	// Index is a read-only handle on a space level's index (Search, Len,
	// IDs) for analyses that query it many times; callers never write it.
	Index(dataset, space string, level storage.Level) (index.Index, error)

	// Check reports every disagreement between the store's parts.
	Check(ctx context.Context) (CheckReport, error)
	// Snapshot persists what the store can rebuild (index snapshots).
	Snapshot(ctx context.Context) error
	Close() error
}

// StoreQuery is one k-NN query as the engine hands it to a store, validated.
type StoreQuery struct {
	Dataset string
	Space   string
	Level   storage.Level
	Metric  index.Metric
	Vector  []float32
	K       int
	Ef      int  // 0: the space's default
	Exact   bool // score every (matching) vector: ground truth
	// Filter restricts hits to matching points (objects at object level);
	// it has been compiled once by the engine, so it is well formed.
	Filter Filter
}

// StoreHits are a query's hits, nearest first, and warnings about its
// filter (fields that no point has).
type StoreHits struct {
	Hits     []index.Hit
	Warnings []string
}
