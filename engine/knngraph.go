package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/safefile"
	"github.com/reef-ml/reef/storage"
)

// Rows is one space level's vectors in a fixed row order (ascending IID), the
// frame every analysis (graph, outliers, clusters, layout) indexes into.
type Rows struct {
	Dataset string
	Space   string
	Level   storage.Level
	Metric  index.Metric
	Seq     uint64 // last vector change in this space level when read
	IIDs    []uint64
	Vectors [][]float32
}

// RowOf maps IIDs to row numbers.
func (r *Rows) RowOf() map[uint64]int32 {
	m := make(map[uint64]int32, len(r.IIDs))
	for i, id := range r.IIDs {
		m[id] = int32(i)
	}
	return m
}

// GraphView is the all-points k-NN graph of a space level, over Rows.
type GraphView struct {
	*Rows
	Graph *analysis.Graph
}

// graphCache keeps the latest graph per (dataset uid, space, level, k).
type graphCache struct {
	mu      sync.Mutex
	entries map[string]*GraphView // guarded by mu
	// building serialises computations of the same key.
	building map[string]*sync.Mutex // guarded by mu
}

func graphKey(uid, space string, l storage.Level, k int) string {
	return fmt.Sprintf("%s/%s/%s/k%d", uid, space, l, k)
}

// loadRows reads a space level's vectors from storage in IID order.
func (e *Engine) loadRows(ctx context.Context, dataset, space string, level storage.Level) (*Rows, error) {
	_, sp, err := e.space(dataset, space)
	if err != nil {
		return nil, err
	}
	info, err := e.db.Dataset(dataset)
	if err != nil {
		return nil, fromStorage(err)
	}
	r := &Rows{Dataset: dataset, Space: space, Level: level, Metric: sp.metric, Seq: info.VectorSeq(space, level)}
	n := 0
	err = e.db.ScanVectors(dataset, space, level, func(iid uint64, v []float32) error {
		if n++; n%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r.IIDs = append(r.IIDs, iid)
		r.Vectors = append(r.Vectors, append([]float32(nil), v...))
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	return r, nil
}

// KNNGraph returns the all-points k-NN graph of a space level, computed from
// the index in parallel and cached in memory and on disk. It is recomputed
// when the dataset changed since (a stale graph is never returned).
func (e *Engine) KNNGraph(ctx context.Context, dataset, space, level string, k int, progress func(done, total int)) (*GraphView, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > 200 {
		return nil, fieldErr(ErrInvalid, "k", "must be between 1 and 200, got %d", k)
	}
	st, sp, err := e.space(dataset, space)
	if err != nil {
		return nil, err
	}
	info, err := e.db.Dataset(dataset)
	if err != nil {
		return nil, fromStorage(err)
	}
	key := graphKey(st.info.UID, space, lvl, k)
	e.graphs.mu.Lock()
	if e.graphs.entries == nil {
		e.graphs.entries, e.graphs.building = map[string]*GraphView{}, map[string]*sync.Mutex{}
	}
	bm := e.graphs.building[key]
	if bm == nil {
		bm = &sync.Mutex{}
		e.graphs.building[key] = bm
	}
	e.graphs.mu.Unlock()
	bm.Lock()
	defer bm.Unlock()

	e.graphs.mu.Lock()
	gv := e.graphs.entries[key]
	e.graphs.mu.Unlock()
	if gv != nil && gv.Seq == info.VectorSeq(space, lvl) {
		return gv, nil
	}
	path := filepath.Join(e.opts.DataDir, "graphs", st.info.UID, fmt.Sprintf("%s.%s.k%d.graph", space, lvl, k))
	rows, err := e.loadRows(ctx, dataset, space, lvl)
	if err != nil {
		return nil, err
	}
	if g, err := readGraphFile(path, rows); err == nil {
		gv = &GraphView{Rows: rows, Graph: g}
	} else {
		if !errors.Is(err, os.ErrNotExist) {
			e.log.Info("recomputing k-NN graph", "dataset", dataset, "space", space, "reason", err)
		}
		g, err := e.computeGraph(ctx, sp.level(lvl), rows, k, progress)
		if err != nil {
			return nil, err
		}
		gv = &GraphView{Rows: rows, Graph: g}
		if err := writeGraphFile(path, gv); err != nil {
			e.log.Warn("cannot persist k-NN graph", "path", path, "err", err)
		}
	}
	e.graphs.mu.Lock()
	e.graphs.entries[key] = gv
	e.graphs.mu.Unlock()
	return gv, nil
}

// ForgetGraphs drops the in-memory k-NN graphs (not the files), so that a
// benchmark times the next KNNGraph from its file or from scratch.
func (e *Engine) ForgetGraphs() {
	e.graphs.mu.Lock()
	clear(e.graphs.entries)
	e.graphs.mu.Unlock()
}

// GraphEf is the search breadth used for graph construction: generous,
// because every analysis inherits the graph's errors.
func GraphEf(k int) int { return max(2*k, 64) }

func (e *Engine) computeGraph(ctx context.Context, idx index.Index, rows *Rows, k int, progress func(done, total int)) (*analysis.Graph, error) {
	rowOf := rows.RowOf()
	search := func(i, kk int) ([]analysis.Neighbor, error) {
		hits, err := idx.Search(ctx, rows.Vectors[i], kk, index.SearchOptions{Ef: GraphEf(kk)})
		if err != nil {
			return nil, err
		}
		out := make([]analysis.Neighbor, 0, len(hits))
		for _, h := range hits {
			if r, ok := rowOf[h.ID]; ok {
				out = append(out, analysis.Neighbor{Index: r, Distance: h.Distance})
			}
		}
		return out, nil
	}
	return analysis.BuildGraph(ctx, len(rows.IIDs), k, search, analysis.Options{Workers: e.workers(), Progress: progress})
}

// Graph files hold the dataset sequence, the row IIDs and the encoded graph,
// so a file is only reused for exactly the rows it was built on.
func writeGraphFile(path string, gv *GraphView) error {
	enc, err := analysis.EncodeGraph(gv.Graph)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, 16+8*len(gv.IIDs)+len(enc))
	buf = binary.LittleEndian.AppendUint64(buf, gv.Seq)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(gv.IIDs)))
	for _, id := range gv.IIDs {
		buf = binary.LittleEndian.AppendUint64(buf, id)
	}
	buf = append(buf, enc...)
	return safefile.WriteBytes(path, 0o644, buf)
}

func readGraphFile(path string, rows *Rows) (*analysis.Graph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 16 {
		return nil, errors.New("graph file too short")
	}
	seq, n := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	if seq != rows.Seq || n != uint64(len(rows.IIDs)) || uint64(len(b)-16)/8 < n {
		return nil, errors.New("graph file is for another version of the data")
	}
	for i, id := range rows.IIDs {
		if binary.LittleEndian.Uint64(b[16+8*i:]) != id {
			return nil, errors.New("graph file rows differ")
		}
	}
	g, err := analysis.DecodeGraph(b[16+8*n:])
	if err != nil {
		return nil, err
	}
	if g.Len() != len(rows.IIDs) {
		return nil, errors.New("graph file size differs")
	}
	return g, nil
}
