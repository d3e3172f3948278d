package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// embedded is the default Store: bbolt (package storage) is the source of
// truth and reef's in-memory indexes are caches of it, snapshotted to files
// and replayed from the change log on open (indexes.go). Its write methods
// rely on the engine's writeMu: one runs at a time, and the indexes take
// each committed change in commit order.
type embedded struct {
	db      *storage.DB
	log     *slog.Logger
	dataDir string
	backend string // default index backend of new spaces
	workers func() int

	appliedSeq uint64 // guarded by Engine.writeMu

	mu     sync.RWMutex
	spaces map[spaceKey]*spaceIndex // guarded by mu

	filters filterCache
}

type spaceKey struct{ dataset, space string }

// spaceIndex is one space's indexes, per level.
type spaceIndex struct {
	ds     storage.Dataset
	info   storage.Space // guarded by embedded.mu once published
	metric index.Metric
	points index.Index
	// objects indexes the space's object-level vectors.
	objects index.Index
	// snapSeq is the sequence of the last snapshot written or loaded,
	// per level; guarded by Engine.writeMu.
	snapSeq [2]uint64
	// vecSeq is the sequence of the last write that changed a vector of
	// the level (storage's per-level sequence): a level whose snapshot is
	// not older than it is not rewritten. Guarded by Engine.writeMu.
	vecSeq [2]uint64
	// diverged marks a level whose index missed a committed write; it is
	// never snapshotted, so the next open rebuilds it from storage.
	// Guarded by Engine.writeMu.
	diverged [2]bool
}

func (s *spaceIndex) level(l storage.Level) index.Index {
	if l == storage.LevelObject {
		return s.objects
	}
	return s.points
}

// openEmbedded opens the bbolt file in the data directory and loads every
// index, rebuilding those whose snapshot is missing or unusable.
func openEmbedded(ctx context.Context, opts Options, workers func() int) (*embedded, error) {
	sopts := storage.DefaultOptions()
	sopts.NoSync, sopts.MaxSize, sopts.Logger = opts.NoSync, opts.MaxDBSize, opts.Logger
	db, err := storage.Open(filepath.Join(opts.DataDir, "reef.db"), sopts)
	if err != nil {
		return nil, err
	}
	s := &embedded{db: db, log: opts.Logger, dataDir: opts.DataDir, backend: opts.IndexBackend, workers: workers,
		spaces: make(map[spaceKey]*spaceIndex), filters: newFilterCache(64)}
	if s.appliedSeq, err = db.Seq(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadAll(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *embedded) Close() error { return s.db.Close() }

func (s *embedded) space(dataset, space string) (*spaceIndex, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	si, ok := s.spaces[spaceKey{dataset, space}]
	if !ok {
		return nil, fmt.Errorf("%w: space %q of dataset %q", storage.ErrNotFound, space, dataset)
	}
	return si, nil
}

func (s *embedded) Index(dataset, space string, level storage.Level) (index.Index, error) {
	si, err := s.space(dataset, space)
	if err != nil {
		return nil, err
	}
	return si.level(level), nil
}

func (s *embedded) Datasets(context.Context) ([]storage.Dataset, error) { return s.db.Datasets() }

func (s *embedded) Dataset(_ context.Context, name string) (storage.Dataset, error) {
	return s.db.Dataset(name)
}

func (s *embedded) Spaces(_ context.Context, dataset string) ([]storage.Space, error) {
	return s.db.Spaces(dataset)
}

func (s *embedded) CreateDataset(_ context.Context, name string) (storage.Dataset, error) {
	ds, err := s.db.CreateDataset(name)
	if err == nil {
		s.appliedSeq = ds.Seq
	}
	return ds, err
}

// DeleteDataset drops the dataset's indexes and their snapshot files.
func (s *embedded) DeleteDataset(_ context.Context, ds storage.Dataset) error {
	seq, err := s.db.DeleteDataset(ds.Name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	for k := range s.spaces {
		if k.dataset == ds.Name {
			delete(s.spaces, k)
		}
	}
	s.mu.Unlock()
	s.appliedSeq = seq
	if err := os.RemoveAll(filepath.Join(s.dataDir, "index", ds.UID)); err != nil {
		s.log.Warn("cannot remove index snapshots of a deleted dataset", "dataset", ds.Name, "err", err)
	}
	return nil
}

func (s *embedded) CreateSpace(ctx context.Context, ds storage.Dataset, sp storage.Space) (storage.Space, error) {
	sp, err := s.db.CreateSpace(ds.Name, sp)
	if err != nil {
		return storage.Space{}, err
	}
	si, err := s.openSpace(ctx, ds, sp)
	if err != nil {
		return storage.Space{}, err
	}
	s.mu.Lock()
	s.spaces[spaceKey{ds.Name, sp.Name}] = si
	s.mu.Unlock()
	s.appliedSeq = sp.Seq
	return sp, nil
}

func (s *embedded) UpdateSpace(_ context.Context, dataset string, sp storage.Space) error {
	si, err := s.space(dataset, sp.Name)
	if err != nil {
		return err
	}
	if err := s.db.UpdateSpace(dataset, sp); err != nil {
		return err
	}
	s.mu.Lock()
	si.info = sp
	s.mu.Unlock()
	return nil
}

func (s *embedded) Upsert(ctx context.Context, dataset string, points []storage.Point, merge bool) (uint64, error) {
	seq, changes, err := s.db.Upsert(dataset, points, merge)
	if err != nil {
		return 0, err
	}
	s.applyLocked(ctx, dataset, seq, changes)
	return seq, nil
}

func (s *embedded) DeletePoints(ctx context.Context, dataset string, ids []string) (uint64, error) {
	seq, changes, err := s.db.DeletePoints(dataset, ids)
	if err != nil {
		return 0, err
	}
	s.applyLocked(ctx, dataset, seq, changes)
	return seq, nil
}

func (s *embedded) EditMetadata(_ context.Context, dataset string, ids []string, skipMissing bool, edit storage.MetadataEdit) (uint64, int, error) {
	seq, changed, err := s.db.EditMetadata(dataset, ids, skipMissing, edit)
	if err == nil && seq != 0 {
		s.appliedSeq = seq
	}
	return seq, changed, err
}

func (s *embedded) StoredVectors(_ context.Context, dataset string, ids []string) (map[string]storage.Stored, error) {
	return s.db.StoredVectors(dataset, ids)
}

func (s *embedded) Point(_ context.Context, dataset, id string) (storage.Point, error) {
	return s.db.Point(dataset, id)
}

func (s *embedded) IIDOf(_ context.Context, dataset string, ref storage.Ref) (uint64, error) {
	return s.db.IIDOf(dataset, ref)
}

func (s *embedded) Resolve(_ context.Context, dataset string, iids []uint64) ([]storage.Resolved, error) {
	return s.db.Resolve(dataset, iids)
}

func (s *embedded) Vector(_ context.Context, dataset, space string, level storage.Level, iid uint64) ([]float32, error) {
	return s.db.Vector(dataset, space, level, iid)
}

func (s *embedded) Vectors(_ context.Context, dataset, space string, level storage.Level, iids []uint64) ([][]float32, error) {
	return s.db.Vectors(dataset, space, level, iids)
}

// ScanVectors checks ctx every 4096 vectors.
func (s *embedded) ScanVectors(ctx context.Context, dataset, space string, level storage.Level, fn func(uint64, []float32) error) error {
	n := 0
	return s.db.ScanVectors(dataset, space, level, func(iid uint64, v []float32) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		return fn(iid, v)
	})
}

func (s *embedded) ScanPoints(ctx context.Context, dataset string, spaces []string, fn func(*storage.Point) error) error {
	return s.db.ScanPoints(dataset, spaces, func(p *storage.Point) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(p)
	})
}
