package understand

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/safefile"
	"github.com/reef-ml/reef/storage"
)

// graphCache keeps the latest graph per (dataset uid, space, level, k).
type graphCache struct {
	mu      sync.Mutex
	entries map[string]*engine.GraphView // guarded by mu
	// building serialises computations of the same key.
	building map[string]*sync.Mutex // guarded by mu
}

func graphKey(uid, space string, l storage.Level, k int) string {
	return fmt.Sprintf("%s/%s/%s/k%d", uid, space, l, k)
}

// KNNGraph returns the all-points k-NN graph of a space level, computed from
// the index in parallel and cached in memory and on disk. It is recomputed
// when the dataset changed since (a stale graph is never returned).
func (e *Analyzer) KNNGraph(ctx context.Context, dataset, space, level string, k int, progress func(done, total int)) (*engine.GraphView, error) {
	lvl, err := engine.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > MaxGraphK {
		return nil, engine.FieldErr(engine.ErrInvalid, "k", "must be between 1 and %d, got %d", MaxGraphK, k)
	}
	sh, err := e.eng.Space(dataset, space)
	if err != nil {
		return nil, err
	}
	info, err := e.eng.DB().Dataset(dataset)
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	key := graphKey(sh.DatasetUID, space, lvl, k)
	e.graphs.mu.Lock()
	if e.graphs.entries == nil {
		e.graphs.entries, e.graphs.building = map[string]*engine.GraphView{}, map[string]*sync.Mutex{}
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
	path := filepath.Join(e.eng.DataDir(), "graphs", sh.DatasetUID, fmt.Sprintf("%s.%s.k%d.graph", space, lvl, k))
	rows, err := e.eng.Rows(ctx, dataset, space, lvl)
	if err != nil {
		return nil, err
	}
	if g, err := readGraphFile(path, rows); err == nil {
		gv = &engine.GraphView{Rows: rows, Graph: g}
	} else {
		if !errors.Is(err, os.ErrNotExist) {
			e.log.Info("recomputing k-NN graph", "dataset", dataset, "space", space, "reason", err)
		}
		g, err := e.computeGraph(ctx, sh.Index(lvl), rows, k, progress)
		if err != nil {
			return nil, err
		}
		gv = &engine.GraphView{Rows: rows, Graph: g}
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
func (e *Analyzer) ForgetGraphs() {
	e.graphs.mu.Lock()
	clear(e.graphs.entries)
	e.graphs.mu.Unlock()
}

// finiteDistance ranks a non-finite distance last instead of letting it
// into the analyses, where a NaN fails the graph check (a 500) and an Inf
// turns means and ratios into NaN. Validation keeps new vectors within
// engine.MaxVectorNorm; this guards data stored before that bound.
func finiteDistance(d float32) float32 {
	if d != d || d > math.MaxFloat32 || d < -math.MaxFloat32 {
		return math.MaxFloat32
	}
	return d
}

// graphEf is the search breadth used for graph construction: generous,
// because every analysis inherits the graph's errors.
func graphEf(k int) int { return max(2*k, 64) }

func (e *Analyzer) computeGraph(ctx context.Context, idx index.Index, rows *engine.Rows, k int, progress func(done, total int)) (*analysis.Graph, error) {
	rowOf := rows.RowOf()
	search := func(i, kk int) ([]analysis.Neighbor, error) {
		hits, err := idx.Search(ctx, rows.Vectors[i], kk, index.SearchOptions{Ef: graphEf(kk)})
		if err != nil {
			return nil, err
		}
		out := make([]analysis.Neighbor, 0, len(hits))
		for _, h := range hits {
			if r, ok := rowOf[h.ID]; ok {
				out = append(out, analysis.Neighbor{Index: r, Distance: finiteDistance(h.Distance)})
			}
		}
		return out, nil
	}
	return analysis.BuildGraph(ctx, len(rows.IIDs), k, search, analysis.Options{Workers: e.eng.Workers(), Progress: progress})
}

// Graph files hold the dataset sequence, the row IIDs and the encoded graph,
// so a file is only reused for exactly the rows it was built on.
func writeGraphFile(path string, gv *engine.GraphView) error {
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

func readGraphFile(path string, rows *engine.Rows) (*analysis.Graph, error) {
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
