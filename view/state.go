package view

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// viewState is the cached view of one (dataset uid, space, level).
type viewState struct {
	mu      sync.Mutex
	dataset string
	uid     string
	space   string
	level   storage.Level
	path    string

	seq    uint64 // dataset sequence rows were read at; 0 = not read
	gen    uint64
	iids   []uint64
	hashes []uint64
	coords [][2]float32 // aligned with iids; nil until a layout exists
	rowOf  map[uint64]int32
	method string
	placed int
	ver    uint64
	when   time.Time

	fieldsSeq uint64
	fields    []*viewColumn

	// overlays are other datasets' rows placed in this layout, by uid.
	overlays map[string]*overlay

	job *viewJob
	// lastErr is the error of the last background job.
	lastErr string
}

// viewJob is a background UMAP layout.
type viewJob struct {
	cancel context.CancelFunc
	phase  atomic.Value // string
	done   atomic.Int64
	total  atomic.Int64
}

// viewCache holds an engine's views and their background layout jobs.
type viewCache struct {
	mu     sync.Mutex
	views  map[string]*viewState // guarded by mu
	closed bool                  // guarded by mu: no job starts once set
	jobs   sync.WaitGroup
	// ctx is the parent of every job's context; close cancels it.
	ctx     context.Context
	cancel  context.CancelFunc
	version atomic.Uint64
}

func newViewCache() *viewCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &viewCache{views: map[string]*viewState{}, ctx: ctx, cancel: cancel}
}

// goJob runs job in the background under a context the cache's close
// cancels; it reports false (and runs nothing) once the cache is closed.
func (c *viewCache) goJob(job func(ctx context.Context)) (context.CancelFunc, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.jobs.Add(1)
	go func() {
		defer c.jobs.Done()
		defer cancel()
		job(ctx)
	}()
	return cancel, true
}

// close cancels the background jobs and waits for them, so that none
// touches the store after the engine closes it.
func (c *viewCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.jobs.Wait()
}

// waitViewJobs waits for background layouts (tests).
func (e *Viewer) waitViewJobs() { e.views.jobs.Wait() }

// nextVersion returns a new layout or generation version.
func (c *viewCache) nextVersion() uint64 {
	// Versions are unique across restarts too: time-based, strictly rising.
	for {
		old := c.version.Load()
		v := max(old+1, uint64(time.Now().UnixMicro()))
		if c.version.CompareAndSwap(old, v) {
			return v
		}
	}
}

// view returns the state of a view with rows refreshed to the data now.
// The caller gets it locked and must unlock it.
func (e *Viewer) view(ctx context.Context, dataset string, ref ViewRef) (*viewState, error) {
	lvl, err := engine.ParseLevel(ref.Level)
	if err != nil {
		return nil, err
	}
	if ref.Space == "" {
		return nil, engine.FieldErr(engine.ErrInvalid, "space", "is required")
	}
	st, err := e.eng.Space(dataset, ref.Space)
	if err != nil {
		return nil, err
	}
	uid := st.DatasetUID
	key := uid + "/" + ref.Space + "/" + lvl.String()
	c := e.views
	c.mu.Lock()
	vs := c.views[key]
	if vs == nil {
		vs = &viewState{dataset: dataset, uid: uid, space: ref.Space, level: lvl,
			path: filepath.Join(e.eng.DataDir(), "layouts", uid, ref.Space+"."+lvl.String()+".layout")}
		c.views[key] = vs
	}
	c.mu.Unlock()
	vs.mu.Lock()
	if err := e.refreshView(ctx, vs); err != nil {
		vs.mu.Unlock()
		return nil, err
	}
	return vs, nil
}

// vectorHash fingerprints a vector so a layout is never reused for a
// changed one.
func vectorHash(v []float32) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range v {
		h ^= uint64(math.Float32bits(x))
		h *= 1099511628211
	}
	return h ^ uint64(len(v))
}

// refreshView brings rows (and coordinates) up to the stored data: new or
// changed rows are placed from their neighbours, deleted ones dropped.
func (e *Viewer) refreshView(ctx context.Context, vs *viewState) error {
	info, err := e.eng.DB().Dataset(vs.dataset)
	if err != nil {
		return engine.FromStorage(err)
	}
	if vs.seq == info.Seq && vs.iids != nil {
		return nil
	}
	var iids, hashes []uint64
	n := 0
	err = e.eng.DB().ScanVectors(vs.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if n++; n%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		iids = append(iids, iid)
		hashes = append(hashes, vectorHash(v))
		return nil
	})
	if err != nil {
		return engine.FromStorage(err)
	}
	if iids == nil {
		iids = []uint64{}
	}
	if vs.coords == nil {
		if lf, err := readLayoutFile(vs.path); err == nil {
			vs.iids, vs.hashes, vs.coords, vs.method, vs.placed, vs.ver, vs.when = lf.iids, lf.hashes, lf.coords, lf.method, lf.placed, lf.ver, lf.when
			// engine.Rows loaded from file that match the data skip reconcile
			// below, so their index must be built here.
			vs.rowOf = rowIndex(lf.iids)
		} else if !errors.Is(err, os.ErrNotExist) {
			e.log.Info("recomputing view layout", "dataset", vs.dataset, "space", vs.space, "level", vs.level, "reason", err)
		}
	}
	sameRows := slices.Equal(iids, vs.iids) && slices.Equal(hashes, vs.hashes)
	if !sameRows || vs.gen == 0 {
		vs.gen = e.views.nextVersion()
	}
	if vs.coords == nil || len(iids) == 0 {
		vs.iids, vs.hashes, vs.rowOf = iids, hashes, rowIndex(iids)
		vs.seq = info.Seq
		if err := e.computePCA(ctx, vs); err != nil {
			vs.seq = 0
			return err
		}
		if len(iids) > 0 && len(iids) <= e.opts.AutoUMAPMax {
			e.startUMAP(vs)
		}
		return nil
	}
	if !sameRows {
		if err := e.reconcile(ctx, vs, iids, hashes); err != nil {
			return err
		}
	}
	vs.seq = info.Seq
	return nil
}

// iidsOf returns the IIDs of rows; vs is locked.
func (vs *viewState) iidsOf(rows []int) []uint64 {
	iids := make([]uint64, len(rows))
	for i, r := range rows {
		iids[i] = vs.iids[r]
	}
	return iids
}

// rowVectors reads the vectors of rows (nil for a row deleted since the
// view was refreshed); vs is locked.
func (e *Viewer) rowVectors(vs *viewState, rows []int) ([][]float32, error) {
	vecs, err := e.eng.DB().Vectors(vs.dataset, vs.space, vs.level, vs.iidsOf(rows))
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	return vecs, nil
}

func rowIndex(iids []uint64) map[uint64]int32 {
	m := make(map[uint64]int32, len(iids))
	for i, id := range iids {
		m[id] = int32(i)
	}
	return m
}

// reconcile maps the coordinates of vs onto new rows: unchanged rows keep
// theirs, the others are placed from their nearest unchanged neighbours.
func (e *Viewer) reconcile(ctx context.Context, vs *viewState, iids, hashes []uint64) error {
	old := make(map[uint64]int, len(vs.iids))
	for i, id := range vs.iids {
		old[id] = i
	}
	coords := make([][2]float32, len(iids))
	keep := make([]bool, len(iids))
	var todo []int
	for i, id := range iids {
		if j, ok := old[id]; ok && vs.hashes[j] == hashes[i] {
			coords[i], keep[i] = vs.coords[j], true
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 {
		if err := e.placeRows(ctx, vs, iids, coords, keep, todo); err != nil {
			return err
		}
	}
	vs.iids, vs.hashes, vs.coords, vs.rowOf = iids, hashes, coords, rowIndex(iids)
	vs.placed += len(todo)
	vs.ver = e.views.nextVersion()
	e.saveLayout(vs)
	return nil
}
