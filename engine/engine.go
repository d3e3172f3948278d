package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// Limits bound what one request may ask for.
type Limits struct {
	MaxBatch         int // points per upsert
	MaxDim           int
	MaxK             int
	MaxEf            int
	MaxIDLen         int // bytes, for ids, names and uris
	MaxMetadataBytes int
	MaxObjects       int // objects per point
}

// DefaultLimits returns reef's defaults.
func DefaultLimits() Limits {
	return Limits{MaxBatch: 10_000, MaxDim: 16_384, MaxK: 10_000, MaxEf: 10_000, MaxIDLen: 1024,
		MaxMetadataBytes: 64 << 10, MaxObjects: 1000}
}

// Options configure Open.
type Options struct {
	DataDir string
	// IndexBackend is the default backend for new spaces (index.BackendHNSW).
	IndexBackend string
	// SnapshotInterval is how often dirty indexes are written to disk in the
	// background (0 disables; Close always writes them).
	SnapshotInterval time.Duration
	// BuildWorkers parallelises index rebuilds and bulk inserts.
	BuildWorkers int
	NoSync       bool // tests only: see storage.Options.NoSync
	MaxDBSize    int  // bytes; 0 = unlimited
	Limits       Limits
	Logger       *slog.Logger
}

// DefaultOptions returns the options `reef serve` uses.
func DefaultOptions() Options {
	return Options{DataDir: "reef-data", IndexBackend: index.BackendHNSW, SnapshotInterval: 5 * time.Minute,
		Limits: DefaultLimits()}
}

func (o *Options) validate() error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("%w: data dir is empty", ErrInvalid))
	}
	switch o.IndexBackend {
	case "":
		o.IndexBackend = index.BackendHNSW
	case index.BackendHNSW, index.BackendCoder, index.BackendExact:
	default:
		errs = append(errs, fmt.Errorf("%w: unknown index backend %q", ErrInvalid, o.IndexBackend))
	}
	if o.SnapshotInterval < 0 {
		errs = append(errs, fmt.Errorf("%w: negative snapshot interval", ErrInvalid))
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return errors.Join(errs...)
}

// Engine is an open reef data directory. It is safe for concurrent use.
type Engine struct {
	opts Options
	db   *storage.DB
	log  *slog.Logger

	// writeMu serialises writes so that indexes apply changes in commit order.
	writeMu    sync.Mutex
	appliedSeq uint64 // guarded by writeMu

	mu       sync.RWMutex
	datasets map[string]*datasetState // guarded by mu
	closed   bool                     // guarded by mu

	filters filterCache

	hooksMu    sync.Mutex
	closeHooks []func() error // guarded by hooksMu; see OnClose

	stop      chan struct{}
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type datasetState struct {
	info   storage.Dataset
	spaces map[string]*spaceState // guarded by Engine.mu
}

type spaceState struct {
	info   storage.Space
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

func (s *spaceState) level(l storage.Level) index.Index {
	if l == storage.LevelObject {
		return s.objects
	}
	return s.points
}

// Open opens (or creates) the data directory and loads every index,
// rebuilding those whose snapshot is missing or unusable.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	sopts := storage.DefaultOptions()
	sopts.NoSync, sopts.MaxSize, sopts.Logger = opts.NoSync, opts.MaxDBSize, opts.Logger
	db, err := storage.Open(filepath.Join(opts.DataDir, "reef.db"), sopts)
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, db: db, log: opts.Logger, datasets: make(map[string]*datasetState),
		stop: make(chan struct{}), filters: newFilterCache(64)}
	if e.appliedSeq, err = db.Seq(); err != nil {
		db.Close()
		return nil, err
	}
	if err := e.loadAll(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if opts.SnapshotInterval > 0 {
		e.bg.Add(1)
		go e.snapshotLoop(opts.SnapshotInterval)
	}
	return e, nil
}

// Close writes dirty index snapshots and closes storage. Safe to call twice.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		close(e.stop)
		hookErr := e.runCloseHooks() // features stop their background work, which reads the store
		e.bg.Wait()
		snapErr := e.Snapshot(context.Background())
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		e.closeErr = errors.Join(hookErr, snapErr, e.db.Close())
	})
	return e.closeErr
}

// DB exposes the store for maintenance commands (check, backup).
func (e *Engine) DB() *storage.DB { return e.db }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Limits returns the request limits in force.
func (e *Engine) Limits() Limits { return e.opts.Limits }

func (e *Engine) snapshotLoop(every time.Duration) {
	defer e.bg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			if err := e.Snapshot(context.Background()); err != nil {
				e.log.Error("background index snapshot failed", "err", err)
			}
		}
	}
}

// dataset returns a dataset's state under a read lock.
func (e *Engine) dataset(name string) (*datasetState, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	ds, ok := e.datasets[name]
	if !ok {
		return nil, fieldErr(ErrNotFound, "dataset", "dataset %q does not exist", name)
	}
	return ds, nil
}

// space returns a space's state.
func (e *Engine) space(dataset, space string) (*datasetState, *spaceState, error) {
	ds, err := e.dataset(dataset)
	if err != nil {
		return nil, nil, err
	}
	e.mu.RLock()
	sp, ok := ds.spaces[space]
	e.mu.RUnlock()
	if !ok {
		return nil, nil, fieldErr(ErrNotFound, "space", "space %q does not exist in dataset %q", space, dataset)
	}
	return ds, sp, nil
}
