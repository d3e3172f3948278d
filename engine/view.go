package engine

// The embedding view: a 2-D layout of every vector of a space level, the
// colour fields derived from metadata, and the row-addressed queries the
// page makes (a row's details, its neighbours, "more like these", tags).
//
// Rows are the vectors of a space level in ascending IID order, as in Rows.
// A layout is computed once (PCA at once; UMAP on the k-NN graph in the
// background) and then kept: rows added later are placed from their
// neighbours without moving anyone else, deleted rows drop out, until a
// re-layout is requested. Layouts persist under
// DataDir/layouts/<dataset uid>/<space>.<level>.layout with the IID and a
// hash of the vector of every row, so a layout is only reused for the
// vectors it was computed from.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/gif" // thumbnail sources
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
	"github.com/reef-ml/reef/storage"
)

// Layout methods.
const (
	LayoutUMAP = "umap"
	LayoutPCA  = "pca"
	LayoutUser = "user"
)

// Layout states.
const (
	LayoutReady     = "ready"     // the layout of the named method is in place
	LayoutComputing = "computing" // a better layout is being computed; Method is what is shown meanwhile
	LayoutFailed    = "failed"    // the last background layout failed (Error says why)
)

// View limits and defaults.
const (
	viewMagic        = "REEFVIEW"
	ViewFormat       = 1      // version of points.bin
	MissingCategory  = 0xFFFF // color.bin code of a row without the field
	maxCategories    = 256
	maxFields        = 128
	maxFieldDepth    = 3
	viewGraphK       = 15
	placeK           = 10
	pcaExactMax      = 100_000 // above this PCA runs on a sample (bounded memory)
	pcaSample        = 20_000
	maxViewRows      = 10_000 // rows in one similar/tag request
	maxTagLen        = 128
	maxThumbnailSide = 128
	maxImageSide     = 16_384
	// MaxThumbnailInput bounds the image given to StoreThumbnail.
	MaxThumbnailInput = 1 << 20
)

// viewAutoUMAPMax is the largest row count whose UMAP starts by itself on
// first view; bigger datasets show PCA until a re-layout asks for UMAP.
// Tests set it to 0.
var viewAutoUMAPMax = 100_000

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ViewRef names the rows of a view.
type ViewRef struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"` // "point" (default) or "object"
}

// LayoutInfo says which layout is shown and what is being computed.
type LayoutInfo struct {
	Method    string  `json:"method"` // umap, pca or user
	State     string  `json:"state"`
	Computing string  `json:"computing,omitempty"` // method in progress
	Phase     string  `json:"phase,omitempty"`     // knn or umap
	Progress  float64 `json:"progress,omitempty"`  // 0..1 of the phase
	Error     string  `json:"error,omitempty"`
	Placed    int     `json:"placed"`  // rows placed from neighbours since the layout
	Version   uint64  `json:"version"` // changes whenever any coordinate does
	Computed  string  `json:"computed,omitempty"`
}

// ViewCategory is one value of a categorical field; its code in color.bin is
// its position in the list (most frequent first).
type ViewCategory struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// ViewField is a colour field.
type ViewField struct {
	Name       string         `json:"name"`
	Kind       string         `json:"kind"` // category or number
	Count      int            `json:"count"`
	Categories []ViewCategory `json:"categories,omitempty"`
	Other      bool           `json:"other,omitempty"` // the last category gathers the rarer values
	Min        *float64       `json:"min,omitempty"`
	Max        *float64       `json:"max,omitempty"`
}

// ViewSummary describes a view.
type ViewSummary struct {
	Dataset    string            `json:"dataset"`
	Space      string            `json:"space"`
	Level      string            `json:"level"`
	Metric     string            `json:"metric"`
	Count      int               `json:"count"`
	Generation uint64            `json:"generation"` // changes when rows are renumbered
	Layout     LayoutInfo        `json:"layout"`
	Fields     []ViewField       `json:"fields"`
	Thumbnails int               `json:"thumbnails"`
	URLs       map[string]string `json:"urls"`
}

// ViewHit is a row with what it stands for.
type ViewHit struct {
	Row       int             `json:"row"`
	ID        string          `json:"id"`
	ObjectID  string          `json:"object_id,omitempty"`
	Distance  *float32        `json:"distance,omitempty"`
	URI       string          `json:"uri,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Kind      string          `json:"kind,omitempty"`
	Class     string          `json:"class,omitempty"`
	BBox      *[4]float32     `json:"bbox,omitempty"`
	Thumbnail string          `json:"thumbnail,omitempty"` // URL path, when one is stored
	X         float32         `json:"x"`
	Y         float32         `json:"y"`
}

// ViewHits answers neighbours and similar queries.
type ViewHits struct {
	Generation uint64    `json:"generation"`
	Query      *ViewHit  `json:"query,omitempty"`
	Hits       []ViewHit `json:"hits"`
	TookMs     float64   `json:"took_ms"`
}

// ViewColor is one field's column.
type ViewColor struct {
	Field  ViewField
	Codes  []uint16  // category
	Values []float32 // number
}

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

	job *viewJob
	// lastErr is the error of the last background job.
	lastErr string
}

type viewJob struct {
	method string
	cancel context.CancelFunc
	phase  atomic.Value // string
	done   atomic.Int64
	total  atomic.Int64
}

type viewCache struct {
	mu    sync.Mutex
	views map[string]*viewState
	jobs  sync.WaitGroup
}

// viewCaches holds each engine's views; an engine has no field for them.
var viewCaches sync.Map // *Engine → *viewCache

func (e *Engine) viewCache() *viewCache {
	if c, ok := viewCaches.Load(e); ok {
		return c.(*viewCache)
	}
	c, _ := viewCaches.LoadOrStore(e, &viewCache{views: map[string]*viewState{}})
	return c.(*viewCache)
}

// waitViewJobs waits for background layouts (tests).
func (e *Engine) waitViewJobs() { e.viewCache().jobs.Wait() }

var viewVersion atomic.Uint64

func nextViewVersion() uint64 {
	// Versions are unique across restarts too: time-based, strictly rising.
	for {
		old := viewVersion.Load()
		v := max(old+1, uint64(time.Now().UnixMicro()))
		if viewVersion.CompareAndSwap(old, v) {
			return v
		}
	}
}

// view returns the state of a view with rows refreshed to the data now.
// The caller gets it locked and must unlock it.
func (e *Engine) view(ctx context.Context, dataset string, ref ViewRef) (*viewState, error) {
	lvl, err := parseLevel(ref.Level)
	if err != nil {
		return nil, err
	}
	if ref.Space == "" {
		return nil, fieldErr(ErrInvalid, "space", "is required")
	}
	st, _, err := e.space(dataset, ref.Space)
	if err != nil {
		return nil, err
	}
	uid := st.info.UID
	key := uid + "/" + ref.Space + "/" + lvl.String()
	c := e.viewCache()
	c.mu.Lock()
	vs := c.views[key]
	if vs == nil {
		vs = &viewState{dataset: dataset, uid: uid, space: ref.Space, level: lvl,
			path: filepath.Join(e.opts.DataDir, "layouts", uid, ref.Space+"."+lvl.String()+".layout")}
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
func (e *Engine) refreshView(ctx context.Context, vs *viewState) error {
	info, err := e.db.Dataset(vs.dataset)
	if err != nil {
		return fromStorage(err)
	}
	if vs.seq == info.Seq && vs.iids != nil {
		return nil
	}
	var iids, hashes []uint64
	n := 0
	err = e.db.ScanVectors(vs.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if n++; n%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		iids = append(iids, iid)
		hashes = append(hashes, vectorHash(v))
		return nil
	})
	if err != nil {
		return fromStorage(err)
	}
	if iids == nil {
		iids = []uint64{}
	}
	if vs.coords == nil {
		if lf, err := readLayoutFile(vs.path); err == nil {
			vs.iids, vs.hashes, vs.coords, vs.method, vs.placed, vs.ver, vs.when = lf.iids, lf.hashes, lf.coords, lf.method, lf.placed, lf.ver, lf.when
		} else if !errors.Is(err, os.ErrNotExist) {
			e.log.Info("recomputing view layout", "dataset", vs.dataset, "space", vs.space, "level", vs.level, "reason", err)
		}
	}
	sameRows := slices.Equal(iids, vs.iids) && slices.Equal(hashes, vs.hashes)
	if !sameRows || vs.gen == 0 {
		vs.gen = nextViewVersion()
	}
	if vs.coords == nil || len(iids) == 0 {
		vs.iids, vs.hashes, vs.rowOf = iids, hashes, rowIndex(iids)
		vs.seq = info.Seq
		if err := e.computeLayout(ctx, vs, LayoutPCA); err != nil {
			vs.seq = 0
			return err
		}
		if len(iids) > 0 && len(iids) <= viewAutoUMAPMax {
			e.startLayoutJob(vs, LayoutUMAP)
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

func rowIndex(iids []uint64) map[uint64]int32 {
	m := make(map[uint64]int32, len(iids))
	for i, id := range iids {
		m[id] = int32(i)
	}
	return m
}

// reconcile maps the coordinates of vs onto new rows: unchanged rows keep
// theirs, the others are placed from their nearest unchanged neighbours.
func (e *Engine) reconcile(ctx context.Context, vs *viewState, iids, hashes []uint64) error {
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
	vs.ver = nextViewVersion()
	if err := writeLayoutFile(vs.path, vs); err != nil {
		e.log.Warn("cannot persist view layout", "path", vs.path, "err", err)
	}
	return nil
}

// placeRows sets coords[todo] from the nearest rows that keep theirs.
func (e *Engine) placeRows(ctx context.Context, vs *viewState, iids []uint64, coords [][2]float32, keep []bool, todo []int) error {
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return err
	}
	idx := sp.level(vs.level)
	ids := make([]uint64, len(todo))
	for j, i := range todo {
		ids[j] = iids[i]
	}
	vecs, err := e.db.Vectors(vs.dataset, vs.space, vs.level, ids)
	if err != nil {
		return fromStorage(err)
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
		coords[i] = [2]float32{clampUnit(c[0]), clampUnit(c[1])}
	}
	return nil
}

func clampUnit(v float32) float32 {
	if v != v {
		return 0
	}
	return max(-1, min(1, v))
}

// normalizeCoords centres coordinates and scales them into [-1,1] keeping the
// aspect ratio; robust to a few far outliers (the 0.1%/99.9% range fills
// [-0.95,0.95], the rest is clamped).
func normalizeCoords(c [][2]float32) {
	if len(c) == 0 {
		return
	}
	var lo, hi [2]float32
	for d := range 2 {
		vals := make([]float32, len(c))
		for i := range c {
			vals[i] = c[i][d]
		}
		slices.Sort(vals)
		q := len(vals) / 1000
		lo[d], hi[d] = vals[q], vals[len(vals)-1-q]
	}
	half := max(hi[0]-lo[0], hi[1]-lo[1]) / 2
	if !(half > 0) {
		half = 1
	}
	mid := [2]float32{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2}
	s := 0.95 / half
	for i := range c {
		c[i] = [2]float32{clampUnit((c[i][0] - mid[0]) * s), clampUnit((c[i][1] - mid[1]) * s)}
	}
}

// computeLayout lays out vs's current rows with PCA (synchronously).
func (e *Engine) computeLayout(ctx context.Context, vs *viewState, method string) error {
	if method != LayoutPCA {
		return fmt.Errorf("computeLayout: %s is a background layout", method)
	}
	coords, err := e.pcaLayout(ctx, vs)
	if err != nil {
		return err
	}
	normalizeCoords(coords)
	vs.coords, vs.method, vs.placed, vs.ver, vs.when = coords, LayoutPCA, 0, nextViewVersion(), time.Now().UTC()
	if len(coords) > 0 {
		if err := writeLayoutFile(vs.path, vs); err != nil {
			e.log.Warn("cannot persist view layout", "path", vs.path, "err", err)
		}
	}
	return nil
}

// pcaLayout projects the rows on their two principal axes. Up to
// pcaExactMax rows go to layout.PCA; beyond, the axes come from a sample and
// the rows are projected in one streaming pass (memory stays bounded).
func (e *Engine) pcaLayout(ctx context.Context, vs *viewState) ([][2]float32, error) {
	n := len(vs.iids)
	if n == 0 {
		return [][2]float32{}, nil
	}
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return nil, err
	}
	cosine := sp.metric == index.Cosine
	prep := func(v []float32) []float32 {
		if cosine {
			return normalized(v)
		}
		return append([]float32(nil), v...)
	}
	if n < 3 {
		return make([][2]float32, n), nil
	}
	if n <= pcaExactMax {
		vecs, err := e.db.Vectors(vs.dataset, vs.space, vs.level, vs.iids)
		if err != nil {
			return nil, fromStorage(err)
		}
		for i, v := range vecs {
			vecs[i] = prep(v)
		}
		opts := layout.DefaultOptions()
		opts.Method, opts.Workers = LayoutPCA, e.workers()
		return layout.PCA(ctx, vecs, opts)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	pick := rng.Perm(n)[:pcaSample]
	slices.Sort(pick)
	ids := make([]uint64, len(pick))
	for i, r := range pick {
		ids[i] = vs.iids[r]
	}
	sample, err := e.db.Vectors(vs.dataset, vs.space, vs.level, ids)
	if err != nil {
		return nil, fromStorage(err)
	}
	for i, v := range sample {
		sample[i] = prep(v)
	}
	mean, axes := principalAxes(sample, 2, 30)
	coords := make([][2]float32, n)
	i := 0
	err = e.db.ScanVectors(vs.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if i%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if i >= n || vs.iids[i] != iid {
			return fmt.Errorf("%w: rows changed during the layout", ErrUnavailable)
		}
		if cosine {
			v = normalized(v)
		}
		for d := range 2 {
			var s float64
			for j, x := range v {
				s += float64(x-mean[j]) * axes[d][j]
			}
			coords[i][d] = float32(s)
		}
		i++
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	return coords, nil
}

// principalAxes finds the top k principal axes of rows by block power
// iteration with Gram–Schmidt.
func principalAxes(rows [][]float32, k, iters int) ([]float32, [][]float64) {
	dim := len(rows[0])
	mean := make([]float32, dim)
	for _, r := range rows {
		for j, x := range r {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float32(len(rows))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	axes := make([][]float64, k)
	for a := range axes {
		axes[a] = make([]float64, dim)
		for j := range axes[a] {
			axes[a][j] = rng.NormFloat64()
		}
	}
	orth := func() {
		for a := range axes {
			for b := range a {
				var d float64
				for j := range dim {
					d += axes[a][j] * axes[b][j]
				}
				for j := range dim {
					axes[a][j] -= d * axes[b][j]
				}
			}
			var s float64
			for _, x := range axes[a] {
				s += x * x
			}
			s = math.Sqrt(s)
			if s == 0 {
				s = 1
			}
			for j := range axes[a] {
				axes[a][j] /= s
			}
		}
	}
	orth()
	proj := make([]float64, k)
	for range iters {
		next := make([][]float64, k)
		for a := range next {
			next[a] = make([]float64, dim)
		}
		for _, r := range rows {
			for a := range k {
				var s float64
				for j, x := range r {
					s += float64(x-mean[j]) * axes[a][j]
				}
				proj[a] = s
			}
			for a := range k {
				for j, x := range r {
					next[a][j] += proj[a] * float64(x-mean[j])
				}
			}
		}
		axes = next
		orth()
	}
	return mean, axes
}

// startLayoutJob computes a UMAP layout in the background; vs is locked.
func (e *Engine) startLayoutJob(vs *viewState, method string) {
	if vs.job != nil {
		if vs.job.method == method {
			return
		}
		vs.job.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	job := &viewJob{method: method, cancel: cancel}
	job.phase.Store("knn")
	vs.job, vs.lastErr = job, ""
	c := e.viewCache()
	c.jobs.Add(1)
	go func() {
		defer c.jobs.Done()
		defer cancel()
		go func() {
			select {
			case <-e.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
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
	}()
}

func (e *Engine) runUMAP(ctx context.Context, vs *viewState, job *viewJob) error {
	progress := func(done, total int) { job.done.Store(int64(done)); job.total.Store(int64(total)) }
	start := time.Now()
	gv, err := e.KNNGraph(ctx, vs.dataset, vs.space, vs.level.String(), viewGraphK, progress)
	if err != nil {
		return err
	}
	job.phase.Store("umap")
	job.done.Store(0)
	opts := layout.DefaultOptions()
	opts.Workers, opts.Progress = e.workers(), progress
	coords, err := layout.UMAP(ctx, gv.Graph.Neighbors, gv.Graph.Distances, nil, opts)
	if err != nil {
		return err
	}
	if len(coords) != len(gv.IIDs) {
		return fmt.Errorf("umap returned %d coordinates for %d rows", len(coords), len(gv.IIDs))
	}
	normalizeCoords(coords)
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
		vs.ver = nextViewVersion()
		if err := writeLayoutFile(vs.path, vs); err != nil {
			e.log.Warn("cannot persist view layout", "path", vs.path, "err", err)
		}
		return nil
	}
	// Rows changed while UMAP ran: place the difference.
	return e.reconcile(ctx, vs, cur, curHashes)
}

func (vs *viewState) layoutInfo() LayoutInfo {
	li := LayoutInfo{Method: vs.method, State: LayoutReady, Placed: vs.placed, Version: vs.ver}
	if !vs.when.IsZero() {
		li.Computed = vs.when.Format(time.RFC3339)
	}
	if j := vs.job; j != nil {
		li.State, li.Computing = LayoutComputing, j.method
		li.Phase, _ = j.phase.Load().(string)
		if t := j.total.Load(); t > 0 {
			li.Progress = float64(j.done.Load()) / float64(t)
		}
	} else if vs.lastErr != "" {
		li.State, li.Error = LayoutFailed, vs.lastErr
	}
	return li
}

// --- persistence ---

type layoutFile struct {
	method string
	placed int
	ver    uint64
	when   time.Time
	iids   []uint64
	hashes []uint64
	coords [][2]float32
}

const layoutMagic = "REEFLAY1"

// writeLayoutFile writes atomically: temp file, fsync, rename, dir fsync.
func writeLayoutFile(path string, vs *viewState) error {
	n := len(vs.iids)
	buf := make([]byte, 0, 64+24*n)
	buf = append(buf, layoutMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(vs.method)))
	buf = append(buf, vs.method...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(vs.placed))
	buf = binary.LittleEndian.AppendUint64(buf, vs.ver)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(vs.when.UnixNano()))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(n))
	for i := range n {
		buf = binary.LittleEndian.AppendUint64(buf, vs.iids[i])
		buf = binary.LittleEndian.AppendUint64(buf, vs.hashes[i])
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(vs.coords[i][0]))
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(vs.coords[i][1]))
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func readLayoutFile(path string) (*layoutFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < len(layoutMagic)+4+36 || string(b[:len(layoutMagic)]) != layoutMagic {
		return nil, errors.New("layout file: bad header")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errors.New("layout file: checksum mismatch")
	}
	p := body[len(layoutMagic):]
	ml := int(binary.LittleEndian.Uint32(p))
	p = p[4:]
	if ml > 16 || len(p) < ml+32 {
		return nil, errors.New("layout file: bad method")
	}
	lf := &layoutFile{method: string(p[:ml])}
	p = p[ml:]
	lf.placed = int(binary.LittleEndian.Uint64(p))
	lf.ver = binary.LittleEndian.Uint64(p[8:])
	lf.when = time.Unix(0, int64(binary.LittleEndian.Uint64(p[16:]))).UTC()
	n := binary.LittleEndian.Uint64(p[24:])
	p = p[32:]
	if n > uint64(len(p))/24 || uint64(len(p)) != 24*n {
		return nil, errors.New("layout file: size mismatch")
	}
	lf.iids, lf.hashes, lf.coords = make([]uint64, n), make([]uint64, n), make([][2]float32, n)
	for i := range int(n) {
		r := p[24*i:]
		lf.iids[i] = binary.LittleEndian.Uint64(r)
		lf.hashes[i] = binary.LittleEndian.Uint64(r[8:])
		lf.coords[i] = [2]float32{math.Float32frombits(binary.LittleEndian.Uint32(r[16:])), math.Float32frombits(binary.LittleEndian.Uint32(r[20:]))}
	}
	return lf, nil
}

// --- the public view API ---

func (e *Engine) summaryLocked(ctx context.Context, vs *viewState) (ViewSummary, error) {
	cols, err := e.viewFields(ctx, vs)
	if err != nil {
		return ViewSummary{}, err
	}
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return ViewSummary{}, err
	}
	nthumb, err := e.db.ThumbnailCount(vs.dataset)
	if err != nil {
		return ViewSummary{}, fromStorage(err)
	}
	s := ViewSummary{Dataset: vs.dataset, Space: vs.space, Level: vs.level.String(), Metric: sp.info.Metric,
		Count: len(vs.iids), Generation: vs.gen, Layout: vs.layoutInfo(), Fields: make([]ViewField, 0, len(cols)),
		Thumbnails: nthumb}
	for _, c := range cols {
		s.Fields = append(s.Fields, c.field)
	}
	base := "/v1/datasets/" + url.PathEscape(vs.dataset) + "/view"
	q := "?space=" + url.QueryEscape(vs.space) + "&level=" + vs.level.String()
	s.URLs = map[string]string{
		"points": base + "/points.bin" + q,
		"color":  base + "/color.bin" + q + "&field=",
		"row":    base + "/row/{row}" + q,
	}
	return s, nil
}

// View summarises the embedding view of a space level, computing a layout
// on first use (PCA at once, UMAP in the background for up to 100k rows).
func (e *Engine) View(ctx context.Context, dataset string, ref ViewRef) (ViewSummary, error) {
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vs.mu.Unlock()
	return e.summaryLocked(ctx, vs)
}

// ViewPoints returns the coordinates of every row, in [-1,1], and the
// layout they come from.
func (e *Engine) ViewPoints(ctx context.Context, dataset string, ref ViewRef) ([][2]float32, LayoutInfo, error) {
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return nil, LayoutInfo{}, err
	}
	defer vs.mu.Unlock()
	return slices.Clone(vs.coords), vs.layoutInfo(), nil
}

// EncodeViewPoints is points.bin: "REEFVIEW", uint32 format version, uint32
// n, then n × (float32 x, float32 y), little-endian.
func EncodeViewPoints(coords [][2]float32) []byte {
	buf := make([]byte, 16, 16+8*len(coords))
	copy(buf, viewMagic)
	binary.LittleEndian.PutUint32(buf[8:], ViewFormat)
	binary.LittleEndian.PutUint32(buf[12:], uint32(len(coords)))
	for _, c := range coords {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(c[0]))
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(c[1]))
	}
	return buf
}

// DecodeViewPoints parses points.bin.
func DecodeViewPoints(b []byte) ([][2]float32, error) {
	if len(b) < 16 || string(b[:8]) != viewMagic {
		return nil, fmt.Errorf("%w: not a points.bin (bad magic)", ErrInvalid)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != ViewFormat {
		return nil, fmt.Errorf("%w: points.bin version %d", ErrInvalid, v)
	}
	n := binary.LittleEndian.Uint32(b[12:])
	if uint64(len(b)-16) != 8*uint64(n) {
		return nil, fmt.Errorf("%w: points.bin holds %d bytes for %d points", ErrInvalid, len(b)-16, n)
	}
	out := make([][2]float32, n)
	for i := range out {
		r := b[16+8*i:]
		out[i] = [2]float32{math.Float32frombits(binary.LittleEndian.Uint32(r)), math.Float32frombits(binary.LittleEndian.Uint32(r[4:]))}
	}
	return out, nil
}

// EncodeColor is color.bin: n × uint16 codes (MissingCategory = missing)
// for a category field, n × float32 (NaN = missing) for a number field,
// little-endian.
func EncodeColor(c ViewColor) []byte {
	if c.Field.Kind == "category" {
		buf := make([]byte, 0, 2*len(c.Codes))
		for _, v := range c.Codes {
			buf = binary.LittleEndian.AppendUint16(buf, v)
		}
		return buf
	}
	buf := make([]byte, 0, 4*len(c.Values))
	for _, v := range c.Values {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return buf
}

// ViewColor returns one colour field's column.
func (e *Engine) ViewColor(ctx context.Context, dataset string, ref ViewRef, field string) (ViewColor, error) {
	if field == "" {
		return ViewColor{}, fieldErr(ErrInvalid, "field", "is required")
	}
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewColor{}, err
	}
	defer vs.mu.Unlock()
	cols, err := e.viewFields(ctx, vs)
	if err != nil {
		return ViewColor{}, err
	}
	for _, c := range cols {
		if c.field.Name == field {
			return ViewColor{Field: c.field, Codes: c.codes, Values: c.nums}, nil
		}
	}
	return ViewColor{}, fieldErr(ErrNotFound, "field", "no colour field %q in this view", field)
}

func (vs *viewState) checkRow(field string, row int) error {
	if row < 0 || row >= len(vs.iids) {
		return fieldErr(ErrInvalid, field, "row %d is out of range [0, %d)", row, len(vs.iids))
	}
	return nil
}

// hitsLocked resolves rows to what they stand for.
func (e *Engine) hitsLocked(vs *viewState, rows []int, dists []float32) ([]ViewHit, error) {
	iids := make([]uint64, len(rows))
	for i, r := range rows {
		iids[i] = vs.iids[r]
	}
	res, err := e.db.Resolve(vs.dataset, iids)
	if err != nil {
		return nil, fromStorage(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.PointID
	}
	has, err := e.db.HasThumbnails(vs.dataset, ids)
	if err != nil {
		return nil, fromStorage(err)
	}
	out := make([]ViewHit, 0, len(rows))
	for i, r := range res {
		if r.PointID == "" {
			continue
		}
		h := ViewHit{Row: rows[i], ID: r.PointID, ObjectID: r.ObjectID, URI: r.URI, Metadata: r.Metadata,
			X: vs.coords[rows[i]][0], Y: vs.coords[rows[i]][1]}
		if dists != nil {
			d := dists[i]
			h.Distance = &d
		}
		if r.Object != nil {
			bbox := r.Object.BBox
			h.Kind, h.Class, h.BBox = r.Object.Kind, r.Object.Class, &bbox
		}
		if has[i] {
			h.Thumbnail = ThumbnailURL(vs.dataset, r.PointID)
		}
		out = append(out, h)
	}
	return out, nil
}

// ThumbnailURL is the REST path of a point's thumbnail.
func ThumbnailURL(dataset, id string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/points/" + url.PathEscape(id) + "/thumbnail"
}

// ViewRow describes one row.
func (e *Engine) ViewRow(ctx context.Context, dataset string, ref ViewRef, row int) (ViewHit, error) {
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewHit{}, err
	}
	defer vs.mu.Unlock()
	if err := vs.checkRow("row", row); err != nil {
		return ViewHit{}, err
	}
	hits, err := e.hitsLocked(vs, []int{row}, nil)
	if err != nil {
		return ViewHit{}, err
	}
	if len(hits) == 0 {
		return ViewHit{}, fieldErr(ErrNotFound, "row", "row %d was deleted", row)
	}
	return hits[0], nil
}

// searchRowsLocked runs a k-NN query and maps hits to rows, leaving out
// the rows in skip.
func (e *Engine) searchRowsLocked(ctx context.Context, vs *viewState, q []float32, k int, skip map[int]bool) ([]int, []float32, error) {
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return nil, nil, err
	}
	hits, err := sp.level(vs.level).Search(ctx, q, k+len(skip), index.SearchOptions{Ef: max(64, 2*(k+len(skip)))})
	if err != nil {
		return nil, nil, err
	}
	var rows []int
	var dists []float32
	for _, h := range hits {
		r, ok := vs.rowOf[h.ID]
		if !ok || skip[int(r)] {
			continue
		}
		rows, dists = append(rows, int(r)), append(dists, h.Distance)
		if len(rows) == k {
			break
		}
	}
	return rows, dists, nil
}

// ViewNeighbors returns the k nearest rows of a row (itself left out).
func (e *Engine) ViewNeighbors(ctx context.Context, dataset string, ref ViewRef, row, k int) (ViewHits, error) {
	start := time.Now()
	if k == 0 {
		k = 12
	}
	if k < 1 || k > 1000 {
		return ViewHits{}, fieldErr(ErrInvalid, "k", "must be between 1 and 1000, got %d", k)
	}
	vs, err := e.view(ctx, dataset, ref)
	if err != nil {
		return ViewHits{}, err
	}
	defer vs.mu.Unlock()
	if err := vs.checkRow("row", row); err != nil {
		return ViewHits{}, err
	}
	q, err := e.db.Vector(vs.dataset, vs.space, vs.level, vs.iids[row])
	if err != nil {
		return ViewHits{}, fromStorage(err)
	}
	rows, dists, err := e.searchRowsLocked(ctx, vs, q, k, map[int]bool{row: true})
	if err != nil {
		return ViewHits{}, err
	}
	self, err := e.hitsLocked(vs, []int{row}, nil)
	if err != nil {
		return ViewHits{}, err
	}
	hits, err := e.hitsLocked(vs, rows, dists)
	if err != nil {
		return ViewHits{}, err
	}
	out := ViewHits{Generation: vs.gen, Hits: hits, TookMs: msSince(start)}
	if len(self) == 1 {
		out.Query = &self[0]
	}
	return out, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// ViewSimilarRequest asks for rows like the positives and unlike the
// negatives.
type ViewSimilarRequest struct {
	ViewRef
	Positive []int `json:"positive"`
	Negative []int `json:"negative,omitempty"`
	K        int   `json:"k,omitempty"`
}

func (vs *viewState) checkRows(field string, rows []int, seen map[int]string) error {
	for i, r := range rows {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := vs.checkRow(f, r); err != nil {
			return err
		}
		if prev, dup := seen[r]; dup {
			return fieldErr(ErrInvalid, f, "row %d repeats %s", r, prev)
		}
		seen[r] = f
	}
	return nil
}

// RocchioQuery is mean(positive) − 0.5·mean(negative), normalised under
// cosine (each input vector normalised first).
func RocchioQuery(pos, neg [][]float32, cosine bool) []float32 {
	dim := len(pos[0])
	q := make([]float64, dim)
	add := func(vs [][]float32, w float64) {
		for _, v := range vs {
			if cosine {
				v = normalized(v)
			}
			for j, x := range v {
				q[j] += w * float64(x)
			}
		}
	}
	add(pos, 1/float64(len(pos)))
	if len(neg) > 0 {
		add(neg, -0.5/float64(len(neg)))
	}
	out := make([]float32, dim)
	for j, x := range q {
		out[j] = float32(x)
	}
	if cosine {
		out = normalized(out)
	}
	return out
}

// ViewSimilar finds rows near the Rocchio query of the positive and
// negative rows, leaving them out of the results.
func (e *Engine) ViewSimilar(ctx context.Context, dataset string, req ViewSimilarRequest) (ViewHits, error) {
	start := time.Now()
	if req.K == 0 {
		req.K = 100
	}
	if req.K < 1 || req.K > e.opts.Limits.MaxK {
		return ViewHits{}, fieldErr(ErrInvalid, "k", "must be between 1 and %d, got %d", e.opts.Limits.MaxK, req.K)
	}
	if len(req.Positive) == 0 {
		return ViewHits{}, fieldErr(ErrInvalid, "positive", "needs at least one row")
	}
	if len(req.Positive)+len(req.Negative) > maxViewRows {
		return ViewHits{}, fieldErr(ErrTooLarge, "positive", "%d rows, limit %d per request", len(req.Positive)+len(req.Negative), maxViewRows)
	}
	vs, err := e.view(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewHits{}, err
	}
	defer vs.mu.Unlock()
	seen := map[int]string{}
	if err := vs.checkRows("positive", req.Positive, seen); err != nil {
		return ViewHits{}, err
	}
	if err := vs.checkRows("negative", req.Negative, seen); err != nil {
		return ViewHits{}, err
	}
	load := func(rows []int) ([][]float32, error) {
		ids := make([]uint64, len(rows))
		for i, r := range rows {
			ids[i] = vs.iids[r]
		}
		vecs, err := e.db.Vectors(vs.dataset, vs.space, vs.level, ids)
		if err != nil {
			return nil, fromStorage(err)
		}
		return slices.DeleteFunc(vecs, func(v []float32) bool { return v == nil }), nil
	}
	pos, err := load(req.Positive)
	if err != nil {
		return ViewHits{}, err
	}
	neg, err := load(req.Negative)
	if err != nil {
		return ViewHits{}, err
	}
	if len(pos) == 0 {
		return ViewHits{}, fieldErr(ErrNotFound, "positive", "the rows were deleted")
	}
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return ViewHits{}, err
	}
	q := RocchioQuery(pos, neg, sp.metric == index.Cosine)
	if err := checkVector("positive", q, sp.info.Dim, sp.metric); err != nil {
		return ViewHits{}, fieldErr(ErrInvalid, "negative", "the query (positives minus negatives) is not a usable vector: %v", err)
	}
	skip := make(map[int]bool, len(seen))
	for r := range seen {
		skip[r] = true
	}
	rows, dists, err := e.searchRowsLocked(ctx, vs, q, req.K, skip)
	if err != nil {
		return ViewHits{}, err
	}
	hits, err := e.hitsLocked(vs, rows, dists)
	if err != nil {
		return ViewHits{}, err
	}
	return ViewHits{Generation: vs.gen, Hits: hits, TookMs: msSince(start)}, nil
}

// ViewLayoutRequest asks for a re-layout.
type ViewLayoutRequest struct {
	ViewRef
	Method string `json:"method"`
}

// ViewRelayout recomputes the layout: PCA at once, UMAP in the background
// (the summary's layout state says when it lands). Rows placed since the
// last layout are laid out with everyone else.
func (e *Engine) ViewRelayout(ctx context.Context, dataset string, req ViewLayoutRequest) (ViewSummary, error) {
	switch req.Method {
	case LayoutUMAP, LayoutPCA:
	case "":
		return ViewSummary{}, fieldErr(ErrInvalid, "method", "is required: \"umap\" or \"pca\"")
	default:
		return ViewSummary{}, fieldErr(ErrInvalid, "method", "must be \"umap\" or \"pca\", got %q", req.Method)
	}
	vs, err := e.view(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vs.mu.Unlock()
	if req.Method == LayoutPCA {
		if vs.job != nil {
			vs.job.cancel()
			vs.job = nil
		}
		if err := e.computeLayout(ctx, vs, LayoutPCA); err != nil {
			return ViewSummary{}, err
		}
	} else if len(vs.iids) > 0 {
		e.startLayoutJob(vs, LayoutUMAP)
	}
	return e.summaryLocked(ctx, vs)
}

// ViewCoordsInput sets user coordinates (from umap-learn, say): one
// [x, y] per id (and object id at object level). Rows left out are placed
// from their neighbours.
type ViewCoordsInput struct {
	ViewRef
	IDs       []string    `json:"ids"`
	ObjectIDs []string    `json:"object_ids,omitempty"`
	Coords    [][]float32 `json:"coords"` // n × [x, y]
}

// ViewSetCoords installs user-supplied coordinates, normalised into [-1,1].
func (e *Engine) ViewSetCoords(ctx context.Context, dataset string, in ViewCoordsInput) (ViewSummary, error) {
	switch {
	case len(in.IDs) == 0:
		return ViewSummary{}, fieldErr(ErrInvalid, "ids", "is empty")
	case len(in.Coords) != len(in.IDs):
		return ViewSummary{}, fieldErr(ErrInvalid, "coords", "has %d rows for %d ids", len(in.Coords), len(in.IDs))
	case in.ObjectIDs != nil && len(in.ObjectIDs) != len(in.IDs):
		return ViewSummary{}, fieldErr(ErrInvalid, "object_ids", "has %d entries for %d ids", len(in.ObjectIDs), len(in.IDs))
	}
	for i, c := range in.Coords {
		if len(c) != 2 {
			return ViewSummary{}, fieldErr(ErrInvalid, fmt.Sprintf("coords[%d]", i), "must be [x, y], got %d numbers", len(c))
		}
		for d, v := range c {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return ViewSummary{}, fieldErr(ErrInvalid, fmt.Sprintf("coords[%d][%d]", i, d), "is %v; coordinates must be finite", v)
			}
		}
	}
	vs, err := e.view(ctx, dataset, in.ViewRef)
	if err != nil {
		return ViewSummary{}, err
	}
	defer vs.mu.Unlock()
	if vs.level == storage.LevelObject && in.ObjectIDs == nil {
		return ViewSummary{}, fieldErr(ErrInvalid, "object_ids", "object-level coordinates need object_ids")
	}
	coords := make([][2]float32, len(vs.iids))
	keep := make([]bool, len(vs.iids))
	given := make([][2]float32, 0, len(in.IDs))
	var givenRows []int
	for i, id := range in.IDs {
		ref := storage.Ref{PointID: id}
		if vs.level == storage.LevelObject {
			ref.ObjectID = in.ObjectIDs[i]
		}
		iid, err := e.db.IIDOf(dataset, ref)
		if err != nil {
			return ViewSummary{}, fieldErr(ErrNotFound, fmt.Sprintf("ids[%d]", i), "%v", fromStorage(err))
		}
		r, ok := vs.rowOf[iid]
		if !ok {
			return ViewSummary{}, fieldErr(ErrNotFound, fmt.Sprintf("ids[%d]", i), "%q has no vector in space %q", id, vs.space)
		}
		if keep[r] {
			return ViewSummary{}, fieldErr(ErrInvalid, fmt.Sprintf("ids[%d]", i), "%q is given twice", id)
		}
		keep[r] = true
		given = append(given, [2]float32{in.Coords[i][0], in.Coords[i][1]})
		givenRows = append(givenRows, int(r))
	}
	normalizeCoords(given)
	for j, r := range givenRows {
		coords[r] = given[j]
	}
	var todo []int
	for r := range keep {
		if !keep[r] {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		if err := e.placeRows(ctx, vs, vs.iids, coords, keep, todo); err != nil {
			return ViewSummary{}, err
		}
	}
	if vs.job != nil {
		vs.job.cancel()
		vs.job = nil
	}
	vs.coords, vs.method, vs.placed, vs.ver, vs.when, vs.lastErr = coords, LayoutUser, len(todo), nextViewVersion(), time.Now().UTC(), ""
	if err := writeLayoutFile(vs.path, vs); err != nil {
		e.log.Warn("cannot persist view layout", "path", vs.path, "err", err)
	}
	return e.summaryLocked(ctx, vs)
}

// ViewTagRequest adds (or removes) a tag on the points of rows (at object
// level, the points the objects belong to).
type ViewTagRequest struct {
	ViewRef
	Rows   []int  `json:"rows"`
	Tag    string `json:"tag"`
	Remove bool   `json:"remove,omitempty"`
}

// ViewTagResult acknowledges a tag write.
type ViewTagResult struct {
	Points  int    `json:"points"`  // points whose tags changed
	Skipped int    `json:"skipped"` // points that already had (or lacked) the tag
	Seq     uint64 `json:"seq"`
}

// ViewTag writes the tag into metadata "tags" (a list of strings) with a
// merge upsert: vectors, objects and other metadata stay as they are.
func (e *Engine) ViewTag(ctx context.Context, dataset string, req ViewTagRequest) (ViewTagResult, error) {
	tag := strings.TrimSpace(req.Tag)
	switch {
	case tag == "":
		return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "is empty")
	case len(tag) > maxTagLen:
		return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "is %d bytes, limit %d", len(tag), maxTagLen)
	case len(req.Rows) == 0:
		return ViewTagResult{}, fieldErr(ErrInvalid, "rows", "is empty")
	case len(req.Rows) > maxViewRows:
		return ViewTagResult{}, fieldErr(ErrTooLarge, "rows", "%d rows, limit %d per request", len(req.Rows), maxViewRows)
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f {
			return ViewTagResult{}, fieldErr(ErrInvalid, "tag", "holds a control character")
		}
	}
	vs, err := e.view(ctx, dataset, req.ViewRef)
	if err != nil {
		return ViewTagResult{}, err
	}
	iids := make([]uint64, len(req.Rows))
	for i, r := range req.Rows {
		if err := vs.checkRow(fmt.Sprintf("rows[%d]", i), r); err != nil {
			vs.mu.Unlock()
			return ViewTagResult{}, err
		}
		iids[i] = vs.iids[r]
	}
	vs.mu.Unlock() // the write below changes the dataset; do not hold the view
	res, err := e.db.Resolve(dataset, iids)
	if err != nil {
		return ViewTagResult{}, fromStorage(err)
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range res {
		if r.PointID != "" && !seen[r.PointID] {
			seen[r.PointID] = true
			ids = append(ids, r.PointID)
		}
	}
	out := ViewTagResult{}
	var batch []PointInput
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		wr, err := e.write(ctx, dataset, batch, true)
		if err != nil {
			return err
		}
		out.Seq, batch = wr.Seq, batch[:0]
		return nil
	}
	for _, id := range ids {
		p, err := e.db.Point(dataset, id)
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted meanwhile
			}
			return out, fromStorage(err)
		}
		meta, changed, err := withTag(p.Metadata, tag, req.Remove)
		if err != nil {
			return out, fieldErr(ErrInvalid, "rows", "point %q: %v", id, err)
		}
		if !changed {
			out.Skipped++
			continue
		}
		batch = append(batch, PointInput{ID: id, Metadata: meta})
		out.Points++
		if len(batch) == e.opts.Limits.MaxBatch {
			if err := flush(); err != nil {
				return out, err
			}
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	if out.Seq == 0 {
		info, err := e.db.Dataset(dataset)
		if err != nil {
			return out, fromStorage(err)
		}
		out.Seq = info.Seq
	}
	return out, nil
}

// withTag adds or removes tag in metadata["tags"], keeping key order of the
// rest; a non-list "tags" value becomes a list holding it.
func withTag(raw json.RawMessage, tag string, remove bool) (json.RawMessage, bool, error) {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, false, fmt.Errorf("metadata is not a JSON object: %v", err)
		}
	}
	var tags []string
	if t, ok := m["tags"]; ok && string(t) != "null" {
		if err := json.Unmarshal(t, &tags); err != nil {
			var v any
			json.Unmarshal(t, &v)
			tags = []string{fmt.Sprint(v)}
		}
	}
	has := slices.Contains(tags, tag)
	switch {
	case remove && !has, !remove && has:
		return raw, false, nil
	case remove:
		tags = slices.DeleteFunc(tags, func(s string) bool { return s == tag })
	default:
		tags = append(tags, tag)
	}
	if len(tags) == 0 {
		delete(m, "tags")
	} else {
		b, _ := json.Marshal(tags)
		m["tags"] = b
	}
	b, err := json.Marshal(m)
	return b, true, err
}

// --- colour fields ---

type viewColumn struct {
	field ViewField
	codes []uint16
	nums  []float32
}

type colBuilder struct {
	name    string
	n       int
	vals    []string // per row, "" = missing (strings and categories)
	present []bool
	nums    []float64
	counts  map[string]int
	allNum  bool
	allInt  bool
	count   int
}

func newColBuilder(name string, n int) *colBuilder {
	return &colBuilder{name: name, n: n, vals: make([]string, n), present: make([]bool, n), nums: make([]float64, n),
		counts: map[string]int{}, allNum: true, allInt: true}
}

func (b *colBuilder) set(row int, v any) {
	if b.present[row] {
		return
	}
	var s string
	switch x := v.(type) {
	case nil:
		return
	case string:
		s = x
		b.allNum = false
	case bool:
		s = strconv.FormatBool(x)
		b.allNum = false
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
		b.nums[row] = x
		if x != math.Trunc(x) {
			b.allInt = false
		}
	case []any:
		parts := make([]string, 0, len(x))
		for _, el := range x {
			if el != nil {
				parts = append(parts, fmt.Sprint(el))
			}
		}
		if len(parts) == 0 {
			return
		}
		sort.Strings(parts)
		s = strings.Join(parts, ", ")
		b.allNum = false
	default:
		return
	}
	b.present[row], b.vals[row] = true, s
	b.count++
	if len(b.counts) <= 1<<16 || b.counts[s] > 0 {
		b.counts[s]++
	}
}

// build turns the column into a category field (≤256 values, or the 255
// most frequent plus "(other)" when values repeat), a number field, or
// nothing (identifier-like strings).
func (b *colBuilder) build() *viewColumn {
	if b.count == 0 {
		return nil
	}
	distinct := len(b.counts)
	asNumber := b.allNum && (!b.allInt || distinct > 64)
	if asNumber {
		col := &viewColumn{field: ViewField{Name: b.name, Kind: "number", Count: b.count}, nums: make([]float32, b.n)}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range b.n {
			if !b.present[i] {
				col.nums[i] = float32(math.NaN())
				continue
			}
			v := b.nums[i]
			col.nums[i] = float32(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		col.field.Min, col.field.Max = &lo, &hi
		return col
	}
	if distinct > maxCategories && (distinct > 1<<16 || distinct*2 > b.count) {
		return nil // identifier-like: nothing to colour by
	}
	cats := make([]ViewCategory, 0, distinct)
	for v, c := range b.counts {
		cats = append(cats, ViewCategory{Value: v, Count: c})
	}
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].Count != cats[j].Count {
			return cats[i].Count > cats[j].Count
		}
		if b.allNum {
			x, _ := strconv.ParseFloat(cats[i].Value, 64)
			y, _ := strconv.ParseFloat(cats[j].Value, 64)
			return x < y
		}
		return cats[i].Value < cats[j].Value
	})
	other := false
	if len(cats) > maxCategories {
		rest := 0
		for _, c := range cats[maxCategories-1:] {
			rest += c.Count
		}
		cats = append(cats[:maxCategories-1], ViewCategory{Value: "(other)", Count: rest})
		other = true
	}
	code := make(map[string]uint16, len(cats))
	for i, c := range cats {
		code[c.Value] = uint16(i)
	}
	col := &viewColumn{field: ViewField{Name: b.name, Kind: "category", Count: b.count, Categories: cats, Other: other}, codes: make([]uint16, b.n)}
	for i := range b.n {
		switch c, ok := code[b.vals[i]]; {
		case !b.present[i]:
			col.codes[i] = MissingCategory
		case ok:
			col.codes[i] = c
		default:
			col.codes[i] = uint16(len(cats) - 1)
		}
	}
	return col
}

// viewFields builds (or returns the cached) colour columns; vs is locked.
func (e *Engine) viewFields(ctx context.Context, vs *viewState) ([]*viewColumn, error) {
	if vs.fields != nil && vs.fieldsSeq == vs.seq {
		return vs.fields, nil
	}
	n := len(vs.iids)
	builders := map[string]*colBuilder{}
	get := func(name string) *colBuilder {
		b := builders[name]
		if b == nil && len(builders) < maxFields {
			b = newColBuilder(name, n)
			builders[name] = b
		}
		return b
	}
	var setMeta func(row int, prefix string, m map[string]any, depth int)
	setMeta = func(row int, prefix string, m map[string]any, depth int) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				if depth < maxFieldDepth {
					setMeta(row, prefix+k+".", sub, depth+1)
				}
				continue
			}
			if b := get(prefix + k); b != nil {
				b.set(row, v)
			}
		}
	}
	count := 0
	err := e.db.ScanPoints(vs.dataset, nil, func(p *storage.Point) error {
		if count++; count%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var meta map[string]any
		if len(p.Metadata) > 0 {
			json.Unmarshal(p.Metadata, &meta) // stored metadata is a checked object
		}
		if vs.level == storage.LevelPoint {
			if r, ok := vs.rowOf[p.IID]; ok {
				setMeta(int(r), "", meta, 1)
			}
			return nil
		}
		for i := range p.Objects {
			o := &p.Objects[i]
			r, ok := vs.rowOf[o.IID]
			if !ok {
				continue
			}
			if b := get("object.class"); b != nil && o.Class != "" {
				b.set(int(r), o.Class)
			}
			if b := get("object.kind"); b != nil {
				b.set(int(r), o.Kind)
			}
			if b := get("object.score"); b != nil && o.Score != nil {
				b.set(int(r), float64(*o.Score))
			}
			setMeta(int(r), "", meta, 1)
		}
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	names := make([]string, 0, len(builders))
	for name := range builders {
		names = append(names, name)
	}
	sort.Strings(names)
	cols := make([]*viewColumn, 0, len(names))
	for _, name := range names {
		if c := builders[name].build(); c != nil {
			cols = append(cols, c)
		}
	}
	vs.fields, vs.fieldsSeq = cols, vs.seq
	return cols, nil
}

// --- thumbnails ---

// StoreThumbnail decodes an image (PNG, JPEG or GIF, ≤ 1 MiB), shrinks it
// to at most 128 px on its longer side and stores it as the point's
// thumbnail (PNG for PNG/GIF sources, JPEG otherwise). The point must
// exist.
func (e *Engine) StoreThumbnail(ctx context.Context, dataset, id string, img []byte) error {
	return e.StoreThumbnails(ctx, dataset, []string{id}, [][]byte{img})
}

// StoreThumbnails is StoreThumbnail for many points in one transaction
// (all or nothing): image ingest should call it once per batch. Errors
// name the offending entry as images[i].
func (e *Engine) StoreThumbnails(ctx context.Context, dataset string, ids []string, images [][]byte) error {
	if _, err := e.dataset(dataset); err != nil {
		return err
	}
	if len(ids) != len(images) {
		return fieldErr(ErrInvalid, "images", "%d ids for %d images", len(ids), len(images))
	}
	if len(ids) > e.opts.Limits.MaxBatch {
		return fieldErr(ErrTooLarge, "images", "%d images, limit %d per call", len(ids), e.opts.Limits.MaxBatch)
	}
	single := len(ids) == 1
	name := func(i int, f string) string {
		if single {
			return f
		}
		return fmt.Sprintf("images[%d].%s", i, f)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if err := e.checkID(name(i, "id"), id); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := makeThumbnail(name(i, "image"), images[i])
		if err != nil {
			return err
		}
		out[i] = t
	}
	if err := e.db.PutThumbnails(dataset, ids, out); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fieldErr(ErrNotFound, name(0, "id"), "%v", fromStorage(err))
		}
		return fromStorage(err)
	}
	return nil
}

func makeThumbnail(field string, img []byte) ([]byte, error) {
	if len(img) == 0 {
		return nil, fieldErr(ErrInvalid, field, "is empty")
	}
	if len(img) > MaxThumbnailInput {
		return nil, fieldErr(ErrTooLarge, field, "is %d bytes, limit %d", len(img), MaxThumbnailInput)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, fieldErr(ErrInvalid, field, "is not a PNG, JPEG or GIF image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width*cfg.Height > 64<<20 {
		return nil, fieldErr(ErrInvalid, field, "is %d×%d pixels, limit %d per side", cfg.Width, cfg.Height, maxImageSide)
	}
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, fieldErr(ErrInvalid, field, "cannot be decoded: %v", err)
	}
	thumb := shrink(src, maxThumbnailSide)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if format == "png" || format == "gif" {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, thumb)
	} else {
		err = jpeg.Encode(w, thumb, &jpeg.Options{Quality: 85})
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// Thumbnail returns a point's stored thumbnail and its content type.
func (e *Engine) Thumbnail(ctx context.Context, dataset, id string) ([]byte, string, error) {
	if _, err := e.dataset(dataset); err != nil {
		return nil, "", err
	}
	b, err := e.db.Thumbnail(dataset, id)
	if err != nil {
		return nil, "", fromStorage(err)
	}
	ct := "image/jpeg"
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		ct = "image/png"
	}
	return b, ct, nil
}

// shrink box-filters an image so its longer side is at most side pixels
// (smaller images are copied as they are).
func shrink(src image.Image, side int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := max(float64(w), float64(h)) / float64(side)
	if scale < 1 {
		scale = 1
	}
	tw, th := max(1, int(math.Round(float64(w)/scale))), max(1, int(math.Round(float64(h)/scale)))
	gray := isGray(src)
	var dst draw
	if gray {
		dst = image.NewGray(image.Rect(0, 0, tw, th))
	} else {
		dst = image.NewNRGBA(image.Rect(0, 0, tw, th))
	}
	for ty := range th {
		y0, y1 := b.Min.Y+ty*h/th, b.Min.Y+max((ty+1)*h/th, ty*h/th+1)
		for tx := range tw {
			x0, x1 := b.Min.X+tx*w/tw, b.Min.X+max((tx+1)*w/tw, tx*w/tw+1)
			var r, g, bl, a, n uint64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					c := color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
					r, g, bl, a, n = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A), n+1
				}
			}
			dst.Set(tx, ty, color.NRGBA64{R: uint16(r / n), G: uint16(g / n), B: uint16(bl / n), A: uint16(a / n)})
		}
	}
	return dst
}

type draw interface {
	image.Image
	Set(x, y int, c color.Color)
}

func isGray(img image.Image) bool {
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	}
	return false
}
