package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
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
	// Store is where points live; nil opens the embedded store (bbolt and
	// reef's indexes) in DataDir. Another store is opened by the caller and
	// closed by Close; the data directory then holds only caches and the
	// features' side data (see DB).
	Store Store
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
	opts  Options
	store Store
	emb   *embedded   // the store when it is the embedded one, else nil
	db    *storage.DB // side data; the embedded store's own file when emb != nil
	log   *slog.Logger

	// writeMu serialises writes so that stores apply changes in the order
	// they are acknowledged.
	writeMu sync.Mutex

	mu       sync.RWMutex
	datasets map[string]*datasetState // guarded by mu
	closed   bool                     // guarded by mu

	hooksMu    sync.Mutex
	closeHooks []func() error // guarded by hooksMu; see OnClose

	stop      chan struct{}
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// datasetState is the engine's catalog entry of a dataset, read from the
// store on Open and kept up to date by the engine's own writes.
type datasetState struct {
	info   storage.Dataset
	spaces map[string]*spaceState // guarded by Engine.mu
}

type spaceState struct {
	info   storage.Space
	metric index.Metric
}

// Open opens (or creates) the data directory and the store, and loads the
// catalog of datasets and spaces.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{opts: opts, log: opts.Logger, datasets: make(map[string]*datasetState), stop: make(chan struct{})}
	if err := e.openStore(ctx); err != nil {
		return nil, err
	}
	if err := e.loadCatalog(ctx); err != nil {
		e.closeStore()
		return nil, err
	}
	if opts.SnapshotInterval > 0 {
		e.bg.Add(1)
		go e.snapshotLoop(opts.SnapshotInterval)
	}
	return e, nil
}

func (e *Engine) openStore(ctx context.Context) error {
	if e.opts.Store == nil {
		emb, err := openEmbedded(ctx, e.opts, e.workers)
		if err != nil {
			return err
		}
		e.store, e.emb, e.db = emb, emb, emb.db
		return nil
	}
	sopts := storage.DefaultOptions()
	sopts.NoSync, sopts.MaxSize, sopts.Logger = e.opts.NoSync, e.opts.MaxDBSize, e.opts.Logger
	db, err := storage.Open(filepath.Join(e.opts.DataDir, "side.db"), sopts)
	if err != nil {
		return err
	}
	e.store, e.db = e.opts.Store, db
	return nil
}

func (e *Engine) closeStore() error {
	err := e.store.Close()
	if e.emb == nil {
		err = errors.Join(err, e.db.Close())
	}
	return err
}

// loadCatalog reads every dataset and space from the store, and removes
// derived files of datasets that no longer exist.
func (e *Engine) loadCatalog(ctx context.Context) error {
	list, err := e.store.Datasets(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, ds := range list {
		keep[ds.UID] = true
		spaces, err := e.store.Spaces(ctx, ds.Name)
		if err != nil {
			return err
		}
		st := &datasetState{info: ds, spaces: make(map[string]*spaceState)}
		for _, sp := range spaces {
			m, err := index.ParseMetric(sp.Metric)
			if err != nil {
				return fmt.Errorf("dataset %q space %q: %w", ds.Name, sp.Name, err)
			}
			st.spaces[sp.Name] = &spaceState{info: sp, metric: m}
		}
		e.datasets[ds.Name] = st
	}
	e.removeOrphanSnapshots(keep)
	return nil
}

// Close writes dirty index snapshots and closes the store. Safe to call twice.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		close(e.stop)
		hookErr := e.runCloseHooks() // features stop their background work, which reads the store
		e.bg.Wait()
		snapErr := e.Snapshot(context.Background())
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		e.closeErr = errors.Join(hookErr, snapErr, e.closeStore())
	})
	return e.closeErr
}

// Snapshot persists what the store can rebuild (for the embedded store:
// every index whose contents changed since its last snapshot, after which
// the change log is trimmed). Writes wait while it runs.
func (e *Engine) Snapshot(ctx context.Context) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.store.Snapshot(ctx)
}

// DB exposes the local bbolt file for maintenance commands (check, backup)
// and for the features' side data (thumbnails, blobs, model manifests).
// With the embedded store it also holds the points; with another store it
// holds side data only, so point data must be read through the engine.
func (e *Engine) DB() *storage.DB { return e.db }

func (e *Engine) workers() int {
	if e.opts.BuildWorkers > 0 {
		return e.opts.BuildWorkers
	}
	return runtime.GOMAXPROCS(0)
}

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

// dataset returns a dataset's state under a read lock. Under a shared
// store (not the embedded one) a dataset this node has not seen, or a
// space it lacks, may have been made by another reef node: a miss asks the
// store before it is reported.
func (e *Engine) dataset(name string) (*datasetState, error) {
	e.mu.RLock()
	closed, ds := e.closed, e.datasets[name]
	e.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	if ds == nil && e.emb == nil {
		ds = e.refreshDataset(name)
	}
	if ds == nil {
		return nil, fieldErr(ErrNotFound, "dataset", "dataset %q does not exist", name)
	}
	return ds, nil
}

// refreshDataset reads a dataset's catalog entry from the store, or nil.
func (e *Engine) refreshDataset(name string) *datasetState {
	ctx := context.Background()
	info, err := e.store.Dataset(ctx, name)
	if err != nil {
		return nil
	}
	spaces, err := e.store.Spaces(ctx, name)
	if err != nil {
		return nil
	}
	st := &datasetState{info: info, spaces: make(map[string]*spaceState)}
	for _, sp := range spaces {
		if m, err := index.ParseMetric(sp.Metric); err == nil {
			st.spaces[sp.Name] = &spaceState{info: sp, metric: m}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur := e.datasets[name]; cur != nil && cur.info.UID == info.UID {
		for n, sp := range st.spaces {
			if cur.spaces[n] == nil {
				cur.spaces[n] = sp
			}
		}
		return cur
	}
	e.datasets[name] = st
	return st
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
	if !ok && e.emb == nil {
		ds = e.refreshDataset(dataset)
		if ds != nil {
			e.mu.RLock()
			sp, ok = ds.spaces[space]
			e.mu.RUnlock()
		}
	}
	if !ok {
		return nil, nil, fieldErr(ErrNotFound, "space", "space %q does not exist in dataset %q", space, dataset)
	}
	return ds, sp, nil
}
