package understand

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// FailureRegionsRequest finds where in a space failures concentrate.
// Failures are given by exactly one of Field (a metadata path: true, a
// number above Threshold, or a string in FailValues) or Filter (points
// matching it failed, in the filter language of search). At object level
// each object takes its point's value.
type FailureRegionsRequest struct {
	Space      string        `json:"space"`
	Level      string        `json:"level,omitempty"`
	Field      string        `json:"field,omitempty"`
	Threshold  float64       `json:"threshold,omitempty"`
	FailValues []string      `json:"fail_values,omitempty"`
	Filter     engine.Filter `json:"filter,omitempty"`
	K          int           `json:"k,omitempty"` // neighbourhood of the scan (default 15)
	Alpha      float64       `json:"alpha,omitempty"`
	MinSize    int           `json:"min_size,omitempty"`
	MinCover   int           `json:"min_cover,omitempty"`
	Examples   int           `json:"examples,omitempty"`
	// SummaryFields are metadata paths whose dominant values each region
	// reports.
	SummaryFields []string `json:"summary_fields,omitempty"`
	Limit         int      `json:"limit,omitempty"` // regions (default 20)
}

// RegionRow is one failure region with its members' ids.
type RegionRow struct {
	Size     int                      `json:"size"`
	Failures int                      `json:"failures"`
	Rate     float64                  `json:"rate"`
	Lift     float64                  `json:"lift"`
	Excess   float64                  `json:"excess"`
	QValue   float64                  `json:"q_value"`
	PValue   float64                  `json:"p_value"`
	IDs      []string                 `json:"ids"`
	Objects  []string                 `json:"object_ids,omitempty"`
	Medoids  []RowRef                 `json:"medoids"`
	Dominant []analysis.DominantValue `json:"dominant"`
}

// FailureRegionsResult ranks the regions by excess failures.
type FailureRegionsResult struct {
	Points      int         `json:"points"`
	Failures    int         `json:"failures"`
	OverallRate float64     `json:"overall_rate"`
	Tests       int         `json:"tests"`
	K           int         `json:"k"`
	Regions     []RegionRow `json:"regions"`
	TookMs      float64     `json:"took_ms"`
}

func (r *FailureRegionsRequest) check() error {
	if r.K == 0 {
		r.K = 15
	}
	if r.Limit == 0 {
		r.Limit = 20
	}
	var errs []error
	switch {
	case r.Field == "" && r.Filter == nil:
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "field", "give field or filter to mark the failures"))
	case r.Field != "" && r.Filter != nil:
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "filter", "give field or filter, not both"))
	}
	if r.Limit < 0 || r.Limit > 10000 {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "limit", "must be between 1 and 10000"))
	}
	if !(r.Alpha >= 0 && r.Alpha < 1) {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "alpha", "must be in (0, 1)"))
	}
	if r.MinSize < 0 || r.MinCover < 0 || r.Examples < 0 {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "min_size", "min_size, min_cover and examples must not be negative"))
	}
	return errors.Join(errs...)
}

// FailureRegions runs analysis.FailureRegions over the space's k-NN graph.
func (e *Analyzer) FailureRegions(ctx context.Context, dataset string, req FailureRegionsRequest) (FailureRegionsResult, error) {
	start := time.Now()
	if err := req.check(); err != nil {
		return FailureRegionsResult{}, err
	}
	var failedIDs map[string]bool
	if req.Filter != nil {
		var err error
		if failedIDs, err = e.filterIDs(ctx, dataset, req.Filter); err != nil {
			return FailureRegionsResult{}, err
		}
	}
	gv, err := e.KNNGraph(ctx, dataset, req.Space, req.Level, req.K, nil)
	if err != nil {
		return FailureRegionsResult{}, err
	}
	res, err := e.eng.DB().Resolve(dataset, gv.IIDs)
	if err != nil {
		return FailureRegionsResult{}, engine.FromStorage(err)
	}
	failed := make([]bool, len(res))
	meta := map[string][]string{}
	for _, f := range req.SummaryFields {
		meta[f] = make([]string, len(res))
	}
	for i, r := range res {
		m := decodeMeta(r.Metadata)
		if failedIDs != nil {
			failed[i] = failedIDs[r.PointID]
		} else if failed[i], err = isFailure(metaPath(m, strings.TrimPrefix(req.Field, "metadata.")), req); err != nil {
			return FailureRegionsResult{}, engine.FieldErr(engine.ErrInvalid, "field", "point %q: %v", r.PointID, err)
		}
		for f, vs := range meta {
			if f == "object.class" && r.Object != nil {
				vs[i] = r.Object.Class
			} else {
				vs[i] = metaString(m, strings.TrimPrefix(f, "metadata."))
			}
		}
	}
	fr, err := analysis.FailureRegions(ctx, gv.Graph, failed, analysis.RegionOptions{Options: analysis.Options{Workers: e.eng.Workers()},
		K: req.K, Alpha: req.Alpha, MinSize: req.MinSize, MinCover: req.MinCover, Examples: req.Examples, Metadata: meta})
	if err != nil {
		if errors.Is(err, analysis.ErrInvalidInput) {
			return FailureRegionsResult{}, engine.FieldErr(engine.ErrInvalid, "alpha", "%v", err)
		}
		return FailureRegionsResult{}, err
	}
	out := FailureRegionsResult{Points: len(failed), OverallRate: fr.OverallRate, Tests: fr.Tests, K: req.K, Regions: []RegionRow{}}
	for _, f := range failed {
		if f {
			out.Failures++
		}
	}
	for _, rg := range fr.Regions[:min(req.Limit, len(fr.Regions))] {
		row := RegionRow{Size: len(rg.Members), Failures: rg.Failures, Rate: rg.Rate, Lift: rg.Lift, Excess: rg.Excess,
			QValue: rg.QValue, PValue: rg.PValue, Dominant: rg.Dominant}
		for _, m := range rg.Members {
			row.IDs = append(row.IDs, res[m].PointID)
			if gv.Level == storage.LevelObject {
				row.Objects = append(row.Objects, res[m].ObjectID)
			}
		}
		if row.Medoids, err = e.refs(gv.Rows, rg.Medoids, true); err != nil {
			return out, err
		}
		out.Regions = append(out.Regions, row)
	}
	out.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// isFailure reads one point's value of the failure field.
func isFailure(v any, req FailureRegionsRequest) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case float64:
		return x > req.Threshold, nil
	case string:
		if len(req.FailValues) == 0 {
			return false, fmt.Errorf("%q is a string; give fail_values to say which values are failures", req.Field)
		}
		return slices.Contains(req.FailValues, x), nil
	}
	return false, fmt.Errorf("%q is neither a boolean, a number nor a string", req.Field)
}

// filterIDs is the set of points matching a filter, read page by page
// through the engine's scroll (a read: no write lock, nothing written).
func (e *Analyzer) filterIDs(ctx context.Context, dataset string, f engine.Filter) (map[string]bool, error) {
	ids := map[string]bool{}
	req := engine.ScrollRequest{Filter: f, Limit: engine.MaxScrollLimit}
	for {
		page, err := e.eng.ScrollPoints(ctx, dataset, req)
		if err != nil {
			return nil, err
		}
		for _, p := range page.Points {
			ids[p.ID] = true
		}
		if page.NextCursor == "" {
			return ids, nil
		}
		req.Cursor = page.NextCursor
	}
}
