package understand

import (
	"context"
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
	Limit int    `json:"limit,omitempty"` // how many to return (default 50)
	// Method is "knn" (mean distance to the k nearest; default), "kth"
	// (distance to the k-th) or "lof" (local outlier factor).
	Method string `json:"method,omitempty"`
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
	Points    int       `json:"points"`
	K         int       `json:"k"`
	Method    string    `json:"method"`
	Reference string    `json:"reference,omitempty"`
	Outliers  []Outlier `json:"outliers"`
	TookMs    float64   `json:"took_ms"`
}

func parseOutlierMethod(s string) (analysis.OutlierMethod, string, error) {
	switch s {
	case "", "knn":
		return analysis.MeanDistance, "knn", nil
	case "kth":
		return analysis.KthDistance, "kth", nil
	case "lof":
		return analysis.LOF, "lof", nil
	}
	return 0, "", engine.FieldErr(engine.ErrInvalid, "method", "must be knn, kth or lof, got %q", s)
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
	if req.Limit == 0 {
		req.Limit = 50
	}
	if req.Limit < 0 || req.Limit > e.eng.Limits().MaxK {
		return OutliersResult{}, engine.FieldErr(engine.ErrInvalid, "limit", "must be between 1 and %d", e.eng.Limits().MaxK)
	}
	level := req.Level
	opts := analysis.OutlierOptions{Options: analysis.Options{Workers: e.eng.Workers()}, K: req.K, Method: method}
	var (
		scores []analysis.OutlierScore
		rows   *engine.Rows
		nbRows *engine.Rows // rows the neighbour indices refer to
	)
	if req.Reference == "" {
		gv, err := e.KNNGraph(ctx, dataset, req.Space, level, req.K, nil)
		if err != nil {
			return OutliersResult{}, err
		}
		rows, nbRows = gv.Rows, gv.Rows
		if scores, err = analysis.Outliers(ctx, gv.Graph, opts); err != nil {
			return OutliersResult{}, engine.FieldErr(engine.ErrInvalid, "k", "%v", err)
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
					queries[i] = append(queries[i], analysis.Neighbor{Index: r, Distance: h.Distance})
				}
			}
			return err
		})
		if err != nil {
			return OutliersResult{}, err
		}
		nbRows = ref.Rows
		if scores, err = analysis.OutliersAgainst(ctx, ref.Graph, queries, opts); err != nil {
			return OutliersResult{}, engine.FieldErr(engine.ErrInvalid, "k", "%v", err)
		}
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]].Score > scores[order[b]].Score })
	top := order[:min(req.Limit, len(order))]
	refs, err := e.refs(rows, top, true)
	if err != nil {
		return OutliersResult{}, err
	}
	res := OutliersResult{Points: len(scores), K: req.K, Method: mname, Reference: req.Reference, Outliers: make([]Outlier, len(top))}
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
