package understand

import (
	"context"
	"errors"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
)

// DuplicatesRequest finds near-duplicates inside a dataset, or across two
// (train/test leakage) when Other is set.
type DuplicatesRequest struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"`
	// Threshold is an absolute distance; Relative (used when Threshold is
	// 0; default 0.1) is a factor of the median 1-NN distance.
	Threshold float64 `json:"threshold,omitempty"`
	Relative  float64 `json:"relative,omitempty"`
	Other     string  `json:"other,omitempty"`
	K         int     `json:"k,omitempty"`     // neighbours examined per point (default 10)
	Limit     int     `json:"limit,omitempty"` // groups per page (default 100)
	Cursor    string  `json:"cursor,omitempty"`
}

// DuplicateGroup is a connected set of near-duplicates.
type DuplicateGroup struct {
	Members     []RowRef `json:"members"`
	MaxDistance float32  `json:"max_distance"`
}

// DuplicatesResult lists groups, largest first.
type DuplicatesResult struct {
	Threshold float64          `json:"threshold"`
	Pairs     int              `json:"pairs"`
	Groups    []DuplicateGroup `json:"groups"`
	// NextCursor pages on; Total counts every group.
	NextCursor string  `json:"next_cursor,omitempty"`
	Total      int     `json:"total"`
	TookMs     float64 `json:"took_ms"`
}

// Duplicates finds pairs within the threshold on the k-NN graph and groups
// them transitively.
func (e *Analyzer) Duplicates(ctx context.Context, dataset string, req DuplicatesRequest) (DuplicatesResult, error) {
	start := time.Now()
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return DuplicatesResult{}, err
	}
	if req.K == 0 {
		req.K = 10
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	if err := checkDuplicates(req); err != nil {
		return DuplicatesResult{}, err
	}
	pg, err := parsePage(req.Limit, req.Cursor, e.eng.Limits().MaxK)
	if err != nil {
		return DuplicatesResult{}, err
	}
	var seq uint64
	if req.Threshold == 0 && req.Relative == 0 {
		req.Relative = 0.1
	}
	opts := analysis.DuplicateOptions{Threshold: req.Threshold, Relative: req.Relative}
	var (
		g       *analysis.Graph
		rowsA   *engine.Rows
		rowsB   *engine.Rows
		nA      int
		refOfIn func(i int32) (*engine.Rows, int, string)
	)
	if req.Other == "" {
		gv, err := e.KNNGraph(ctx, dataset, req.Space, req.Level, req.K, nil)
		if err != nil {
			return DuplicatesResult{}, err
		}
		g, rowsA, seq = gv.Graph, gv.Rows, gv.Seq
		refOfIn = func(i int32) (*engine.Rows, int, string) { return rowsA, int(i), dataset }
	} else {
		if err := e.eng.SameSpace(dataset, req.Other, req.Space); err != nil {
			return DuplicatesResult{}, err
		}
		if rowsA, err = e.eng.Rows(ctx, dataset, req.Space, lvl); err != nil {
			return DuplicatesResult{}, err
		}
		if rowsB, err = e.eng.Rows(ctx, req.Other, req.Space, lvl); err != nil {
			return DuplicatesResult{}, err
		}
		shA, errA := e.eng.Space(dataset, req.Space)
		shB, errB := e.eng.Space(req.Other, req.Space)
		if err := errors.Join(errA, errB); err != nil {
			return DuplicatesResult{}, err
		}
		idxA, idxB := shA.Index(lvl), shB.Index(lvl)
		if g, err = e.jointGraph(ctx, rowsA, rowsB, idxA, idxB, req.K); err != nil {
			return DuplicatesResult{}, err
		}
		nA = len(rowsA.IIDs)
		seq = rowsA.Seq ^ (rowsB.Seq * 0x9E3779B97F4A7C15)
		opts.IsB = make([]bool, g.Len())
		for i := nA; i < len(opts.IsB); i++ {
			opts.IsB[i] = true
		}
		refOfIn = func(i int32) (*engine.Rows, int, string) {
			if int(i) < nA {
				return rowsA, int(i), dataset
			}
			return rowsB, int(i) - nA, req.Other
		}
	}
	dr, err := analysis.Duplicates(g, opts)
	if err != nil {
		return DuplicatesResult{}, engine.FieldErr(engine.ErrInvalid, "threshold", "%v", err)
	}
	maxDist := map[int32]float32{}
	root := map[int32]int{}
	for gi, grp := range dr.Groups {
		for _, m := range grp {
			root[m] = gi
		}
	}
	for _, p := range dr.Pairs {
		gi := int32(root[p.A])
		maxDist[gi] = max(maxDist[gi], p.Distance)
	}
	if err := pg.check(seq); err != nil {
		return DuplicatesResult{}, err
	}
	lo, hi := pg.window(len(dr.Groups))
	res := DuplicatesResult{Threshold: dr.Threshold, Pairs: len(dr.Pairs), Groups: []DuplicateGroup{}, Total: len(dr.Groups),
		NextCursor: pg.next(hi, len(dr.Groups), seq)}
	for gi := lo; gi < hi; gi++ {
		grp := dr.Groups[gi]
		dg := DuplicateGroup{MaxDistance: maxDist[int32(gi)]}
		for _, m := range grp {
			rows, r, ds := refOfIn(m)
			ref, err := e.refs(rows, []int{r}, false)
			if err != nil {
				return res, err
			}
			ref[0].Dataset = ds
			dg.Members = append(dg.Members, ref[0])
		}
		res.Groups = append(res.Groups, dg)
	}
	res.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}
