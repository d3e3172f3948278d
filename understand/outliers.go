package understand

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
)

// OutliersRequest asks for the most outlying points of a dataset.
type OutliersRequest struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"`
	K     int    `json:"k,omitempty"`     // neighbours per score (default 10)
	Limit int    `json:"limit,omitempty"` // page size (default 50)
	// Cursor is the previous page's next_cursor.
	Cursor string `json:"cursor,omitempty"`
	// Method is "knn" (mean distance to the k nearest; default), "kth"
	// (distance to the k-th), "lof" (local outlier factor) or "multiscale"
	// (analysis.MultiScaleOutliers: k-NN distance at k plus LOF at each of
	// Scales·n neighbours, which still sees a group of similar foreign
	// items; self mode only).
	Method string `json:"method,omitempty"`
	// Scales are multiscale's neighbourhood sizes as fractions of the
	// dataset (default 0.02 and 0.05); the graph is built to the largest,
	// bounded by MaxGraphK.
	Scales []float64 `json:"scales,omitempty"`
	// Reference, when set, scores this dataset's points against another
	// dataset (e.g. production against train): percentiles come from the
	// reference's own leave-one-out scores.
	Reference string `json:"reference,omitempty"`
	// WriteMetadata stores outlier_score and outlier_percentile in every
	// point's metadata, for filters and colouring.
	WriteMetadata bool `json:"write_metadata,omitempty"`
}

// Outlier is one scored point.
type Outlier struct {
	RowRef
	Score      float64  `json:"score"`
	Percentile float64  `json:"percentile"`
	Neighbors  []RowRef `json:"neighbors"`
}

// OutliersResult lists the top outliers, most outlying first.
type OutliersResult struct {
	Points    int    `json:"points"`
	K         int    `json:"k"`
	Method    string `json:"method"`
	Reference string `json:"reference,omitempty"`
	// GraphK is the k-NN graph's k when it exceeds K (multiscale).
	GraphK     int       `json:"graph_k,omitempty"`
	Outliers   []Outlier `json:"outliers"`
	NextCursor string    `json:"next_cursor,omitempty"`
	TookMs     float64   `json:"took_ms"`
}

const methodMultiScale = "multiscale"

func parseOutlierMethod(s string) (analysis.OutlierMethod, string, error) {
	switch s {
	case "", "knn":
		return analysis.MeanDistance, "knn", nil
	case "kth":
		return analysis.KthDistance, "kth", nil
	case "lof":
		return analysis.LOF, "lof", nil
	case methodMultiScale:
		return 0, methodMultiScale, nil
	}
	return 0, "", engine.FieldErr(engine.ErrInvalid, "method", "must be knn, kth, lof or multiscale, got %q", s)
}

// Outliers scores every point by its k-NN distances and returns the top.
func (e *Analyzer) Outliers(ctx context.Context, dataset string, req OutliersRequest) (OutliersResult, error) {
	start := time.Now()
	method, mname, err := parseOutlierMethod(req.Method)
	if err != nil {
		return OutliersResult{}, err
	}
	if req.K == 0 {
		req.K = 10
	}
	pg, err := parsePage(req.Limit, req.Cursor, e.eng.Limits().MaxK)
	if err != nil {
		return OutliersResult{}, err
	}
	if err := inRange("k", req.K, 1, MaxGraphK); err != nil {
		return OutliersResult{}, err
	}
	if mname == methodMultiScale && req.Reference != "" {
		return OutliersResult{}, engine.FieldErr(engine.ErrInvalid, "reference", "multiscale is a self-mode method; reference mode uses knn, kth or lof")
	}
	if req.Scales != nil && mname != methodMultiScale {
		return OutliersResult{}, engine.FieldErr(engine.ErrInvalid, "scales", "only multiscale uses scales")
	}
	level := req.Level
	var seq uint64
	graphK := 0
	opts := analysis.OutlierOptions{Options: analysis.Options{Workers: e.eng.Workers()}, K: req.K, Method: method}
	var (
		scores []analysis.OutlierScore
		rows   *engine.Rows
		nbRows *engine.Rows // rows the neighbour indices refer to
	)
	if mname == methodMultiScale {
		if scores, rows, graphK, err = e.multiScale(ctx, dataset, req); err != nil {
			return OutliersResult{}, err
		}
		nbRows, seq = rows, rows.Seq
	} else if req.Reference == "" {
		gv, err := e.KNNGraph(ctx, dataset, req.Space, level, req.K, nil)
		if err != nil {
			return OutliersResult{}, err
		}
		rows, nbRows, seq = gv.Rows, gv.Rows, gv.Seq
		if scores, err = analysis.Outliers(ctx, gv.Graph, opts); err != nil {
			return OutliersResult{}, kErr(err)
		}
	} else {
		if err := e.eng.SameSpace(req.Reference, dataset, req.Space); err != nil {
			return OutliersResult{}, err
		}
		ref, err := e.KNNGraph(ctx, req.Reference, req.Space, level, req.K, nil)
		if err != nil {
			return OutliersResult{}, err
		}
		lvl, _ := engine.ParseLevel(level)
		if rows, err = e.eng.Rows(ctx, dataset, req.Space, lvl); err != nil {
			return OutliersResult{}, err
		}
		refSh, err := e.eng.Space(req.Reference, req.Space)
		if err != nil {
			return OutliersResult{}, err
		}
		refIdx := refSh.Index(lvl)
		refRow := ref.RowOf()
		queries := make([][]analysis.Neighbor, len(rows.IIDs))
		err = e.parallel(ctx, len(rows.IIDs), func(i int) error {
			hits, err := refIdx.Search(ctx, rows.Vectors[i], req.K, index.SearchOptions{Ef: graphEf(req.K)})
			for _, h := range hits {
				if r, ok := refRow[h.ID]; ok {
					queries[i] = append(queries[i], analysis.Neighbor{Index: r, Distance: finiteDistance(h.Distance)})
				}
			}
			return err
		})
		if err != nil {
			return OutliersResult{}, err
		}
		nbRows = ref.Rows
		// Either side's vectors changing invalidates a cursor.
		seq = rows.Seq ^ (ref.Seq * 0x9E3779B97F4A7C15)
		if scores, err = analysis.OutliersAgainst(ctx, ref.Graph, queries, opts); err != nil {
			return OutliersResult{}, kErr(err)
		}
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]].Score > scores[order[b]].Score })
	if err := pg.check(seq); err != nil {
		return OutliersResult{}, err
	}
	lo, hi := pg.window(len(order))
	top := order[lo:hi]
	refs, err := e.refs(rows, top, true)
	if err != nil {
		return OutliersResult{}, err
	}
	res := OutliersResult{Points: len(scores), K: req.K, Method: mname, Reference: req.Reference, Outliers: make([]Outlier, len(top)),
		NextCursor: pg.next(hi, len(order), seq)}
	if graphK > req.K {
		res.GraphK = graphK
	}
	for i, r := range top {
		nbs := make([]int, len(scores[r].Neighbors))
		for j, nb := range scores[r].Neighbors {
			nbs[j] = int(nb)
		}
		nrefs, err := e.refs(nbRows, nbs, false)
		if err != nil {
			return OutliersResult{}, err
		}
		if req.Reference != "" {
			for j := range nrefs {
				nrefs[j].Dataset = req.Reference
			}
		}
		res.Outliers[i] = Outlier{RowRef: refs[i], Score: finiteOr(scores[r].Score, math.MaxFloat64), Percentile: scores[r].Percentile, Neighbors: nrefs}
	}
	if req.WriteMetadata {
		err := e.writeMetadataFields(ctx, rows, func(r int) map[string]any {
			return map[string]any{"outlier_score": finiteOr(scores[r].Score, math.MaxFloat64), "outlier_percentile": scores[r].Percentile}
		})
		if err != nil {
			return res, fmt.Errorf("writing scores to metadata: %w", err)
		}
	}
	res.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// finiteOr keeps JSON encodable: a point with no neighbours scores +Inf.
func finiteOr(x, alt float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return alt
	}
	return x
}

// parallel runs fn(0..n-1) on the engine's workers and returns the first error.
func (e *Analyzer) parallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		err1 error
	)
	for range min(e.eng.Workers(), max(n, 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if err1 == nil {
						err1 = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if err1 != nil {
		return err1
	}
	return ctx.Err()
}

// multiScale scores a space with analysis.MultiScaleOutliers on a graph
// reaching its largest scale (≈5% of n by default), capped by MaxGraphK.
func (e *Analyzer) multiScale(ctx context.Context, dataset string, req OutliersRequest) ([]analysis.OutlierScore, *engine.Rows, int, error) {
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return nil, nil, 0, err
	}
	opts := analysis.DefaultMultiScaleOptions()
	opts.Options, opts.SmallK = analysis.Options{Workers: e.eng.Workers()}, req.K
	if req.Scales != nil {
		opts.Scales = req.Scales
	}
	for _, sc := range opts.Scales {
		if !(sc > 0 && sc <= 1) {
			return nil, nil, 0, engine.FieldErr(engine.ErrInvalid, "scales", "each scale must be in (0, 1], got %v", sc)
		}
	}
	sh, err := e.eng.Space(dataset, req.Space)
	if err != nil {
		return nil, nil, 0, err
	}
	n := sh.Index(lvl).Len()
	if n < 3 {
		return nil, nil, 0, engine.FieldErr(engine.ErrInvalid, "space", "multiscale needs at least 3 vectors, have %d", n)
	}
	k := req.K
	for _, sc := range opts.Scales {
		k = max(k, int(math.Ceil(sc*float64(n))))
	}
	k = min(k, MaxGraphK, n-1)
	gv, err := e.KNNGraph(ctx, dataset, req.Space, req.Level, k, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	ms, err := analysis.MultiScaleOutliers(ctx, gv.Graph, opts)
	if err != nil {
		return nil, nil, 0, kErr(err)
	}
	return ms.Scores, gv.Rows, k, nil
}

// kErr reports an analysis failure as a bad k, except that a deadline or a
// cancellation stays what it is (a 504, or nothing for a client gone).
func kErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return engine.FieldErr(engine.ErrInvalid, "k", "%v", err)
}
