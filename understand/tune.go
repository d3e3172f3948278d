package understand

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/reef-ml/reef/bench"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// TuneRequest asks for the smallest ef reaching a recall target.
type TuneRequest struct {
	Level        string  `json:"level,omitempty"`
	TargetRecall float64 `json:"target_recall"`
	K            int     `json:"k,omitempty"`       // default 10
	Queries      int     `json:"queries,omitempty"` // sampled from the data (default 200)
	// Save stores the ef as the space's default, so searches that do not
	// set ef meet the target (hnswlib does not even persist ef).
	Save bool `json:"save,omitempty"`
}

// TuneResult reports the ef found and the recall measured with it.
type TuneResult struct {
	Ef      int     `json:"ef"`
	Recall  float64 `json:"recall"`
	K       int     `json:"k"`
	Queries int     `json:"queries"`
	Reached bool    `json:"reached"`
	Saved   bool    `json:"saved"`
}

// Tune measures recall@k of the space's live index against exact search on
// queries sampled from its own vectors (each query finds itself, in both),
// and returns the smallest ef reaching the target.
func (e *Analyzer) Tune(ctx context.Context, dataset, space string, req TuneRequest) (TuneResult, error) {
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return TuneResult{}, err
	}
	if req.TargetRecall <= 0 || req.TargetRecall > 1 {
		return TuneResult{}, engine.FieldErr(engine.ErrInvalid, "target_recall", "must be in (0, 1], got %v", req.TargetRecall)
	}
	if req.K == 0 {
		req.K = 10
	}
	if req.Queries == 0 {
		req.Queries = 200
	}
	if req.K < 1 || req.K > 1000 || req.Queries < 1 || req.Queries > 10000 {
		return TuneResult{}, engine.FieldErr(engine.ErrInvalid, "queries", "k must be in 1..1000 and queries in 1..10000")
	}
	sh, err := e.eng.Space(dataset, space)
	if err != nil {
		return TuneResult{}, err
	}
	idx := sh.Index(lvl)
	rows, err := e.eng.Rows(ctx, dataset, space, lvl)
	if err != nil {
		return TuneResult{}, err
	}
	if len(rows.IIDs) <= req.K {
		return TuneResult{}, engine.FieldErr(engine.ErrInvalid, "space", "%d vectors are too few to tune k=%d", len(rows.IIDs), req.K)
	}
	r := rand.New(rand.NewPCG(uint64(len(rows.IIDs)), 7))
	nq := min(req.Queries, len(rows.IIDs))
	queries := make([][]float32, nq)
	for i, p := range r.Perm(len(rows.IIDs))[:nq] {
		queries[i] = rows.Vectors[p]
	}
	truth, err := bench.GroundTruth(ctx, rows.Metric, rows.Vectors, queries, req.K, e.eng.Workers(), nil)
	if err != nil {
		return TuneResult{}, err
	}
	for _, t := range truth { // rows → the index's ids
		for j, row := range t {
			t[j] = rows.IIDs[row]
		}
	}
	ef, recall, err := bench.Tune(ctx, idx, queries, truth, req.K, req.TargetRecall)
	res := TuneResult{Ef: ef, Recall: recall, K: req.K, Queries: nq, Reached: err == nil}
	if errors.Is(err, bench.ErrTargetNotReached) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if req.Save {
		if err := e.eng.SetEfSearch(dataset, space, ef); err != nil {
			return res, err
		}
		res.Saved = true
	}
	return res, nil
}

// BenchRequest runs a small recall/latency sweep on a space's vectors.
type BenchRequest struct {
	Level   string   `json:"level,omitempty"`
	Backend []string `json:"backends,omitempty"` // default hnsw and exact
	M       []int    `json:"m,omitempty"`
	EfC     []int    `json:"ef_construction,omitempty"`
	Ef      []int    `json:"ef,omitempty"`
	K       int      `json:"k,omitempty"`
	Queries int      `json:"queries,omitempty"`
	// MaxVectors caps the sample of the space that is indexed (default and
	// limit 50,000): the sweep builds fresh indexes, which costs CPU.
	MaxVectors int `json:"max_vectors,omitempty"`
}

// Bench builds fresh indexes over (a sample of) the space's vectors for each
// setting and measures recall, QPS and latency, bounded so that one request
// cannot occupy the server for long.
func (e *Analyzer) Bench(ctx context.Context, dataset, space string, req BenchRequest) (*bench.Report, error) {
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return nil, err
	}
	g := bench.DefaultGrid()
	g.Backends = []string{"hnsw", "exact"}
	g.Repeats = 1
	if len(req.Backend) > 0 {
		g.Backends = req.Backend
	}
	if len(req.M) > 0 {
		g.M = req.M
	}
	if len(req.EfC) > 0 {
		g.EfConstruction = req.EfC
	}
	if len(req.Ef) > 0 {
		g.Ef = req.Ef
	}
	if req.K != 0 {
		g.K = req.K
	}
	if req.Queries == 0 {
		req.Queries = 200
	}
	if req.MaxVectors == 0 {
		req.MaxVectors = 50_000
	}
	if err := checkBench(g.Backends, g.M, g.EfConstruction, g.Ef, g.K, req.Queries, req.MaxVectors); err != nil {
		return nil, err
	}
	rows, err := e.eng.Rows(ctx, dataset, space, lvl)
	if err != nil {
		return nil, err
	}
	vecs := rows.Vectors
	if len(vecs) > req.MaxVectors {
		r := rand.New(rand.NewPCG(1, 1))
		r.Shuffle(len(vecs), func(i, j int) { vecs[i], vecs[j] = vecs[j], vecs[i] })
		vecs = vecs[:req.MaxVectors]
	}
	if len(vecs) <= req.Queries {
		return nil, engine.FieldErr(engine.ErrInvalid, "queries", "%d vectors are too few for %d queries", len(vecs), req.Queries)
	}
	w, err := bench.Sampled(vecs, rows.Metric, req.Queries, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", engine.ErrInvalid, err)
	}
	w.Name = fmt.Sprintf("%s/%s/%s (%d vectors, %d sampled queries)", dataset, space, storage.Level(lvl), len(vecs), req.Queries)
	return bench.Run(ctx, w, g, nil)
}
