package understand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// LabelErrorsRequest ranks the points (or label objects) whose label
// disagrees with their neighbourhood in a space.
type LabelErrorsRequest struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"`
	// LabelField is the metadata path of the label at point level; at
	// object level the label objects' class is the label (and inference
	// objects are unlabelled), so it must be empty.
	LabelField string `json:"label_field,omitempty"`
	K          int    `json:"k,omitempty"` // voting neighbours (default 20)
	// PredictionField and ConfidenceField (point level) mix a model's
	// prediction into the vote, with weight ModelWeight (default 0.5).
	PredictionField string  `json:"prediction_field,omitempty"`
	ConfidenceField string  `json:"confidence_field,omitempty"`
	ModelWeight     float64 `json:"model_weight,omitempty"`
	Limit           int     `json:"limit,omitempty"` // page size (default 50)
	Cursor          string  `json:"cursor,omitempty"`
	// WriteMetadata stores label_error {score, suggested, flagged} in
	// every labelled point's metadata (point level).
	WriteMetadata bool `json:"write_metadata,omitempty"`
}

// LabelErrorRow is one candidate: the row, and the verdict on its label.
type LabelErrorRow struct {
	RowRef
	Label         string  `json:"label"`
	Score         float64 `json:"score"`
	Agreement     float64 `json:"agreement"`
	Suggested     string  `json:"suggested"`
	SuggestedProb float64 `json:"suggested_prob"`
	Flagged       bool    `json:"flagged"`
}

// LabelErrorsResult ranks the labelled rows, most suspicious first.
type LabelErrorsResult struct {
	Points          int                `json:"points"`
	Labelled        int                `json:"labelled"`
	K               int                `json:"k"`
	EstimatedErrors int                `json:"estimated_errors"`
	Thresholds      map[string]float64 `json:"thresholds"`
	Issues          []LabelErrorRow    `json:"issues"`
	NextCursor      string             `json:"next_cursor,omitempty"`
	Written         int                `json:"written,omitempty"`
	TookMs          float64            `json:"took_ms"`
}

// LabelErrors scores every labelled row with analysis.LabelErrors over the
// space's k-NN graph and returns a page of the ranking.
func (e *Analyzer) LabelErrors(ctx context.Context, dataset string, req LabelErrorsRequest) (LabelErrorsResult, error) {
	start := time.Now()
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return LabelErrorsResult{}, err
	}
	if req.K == 0 {
		req.K = 20
	}
	var errs []error
	if lvl == storage.LevelPoint && req.LabelField == "" {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "label_field", "is required at point level"))
	}
	if lvl == storage.LevelObject && (req.LabelField != "" || req.PredictionField != "" || req.ConfidenceField != "") {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "label_field", "at object level the label objects' class is the label; label, prediction and confidence fields are point-level"))
	}
	if req.ConfidenceField != "" && req.PredictionField == "" {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "confidence_field", "needs prediction_field"))
	}
	if req.WriteMetadata && lvl != storage.LevelPoint {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "write_metadata", "only point-level results can be written to metadata"))
	}
	pg, err := parsePage(req.Limit, req.Cursor, e.eng.Limits().MaxK)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return LabelErrorsResult{}, err
	}
	gv, err := e.KNNGraph(ctx, dataset, req.Space, req.Level, req.K, nil)
	if err != nil {
		return LabelErrorsResult{}, err
	}
	if err := pg.check(gv.Seq); err != nil {
		return LabelErrorsResult{}, err
	}
	res, err := e.eng.DB().Resolve(dataset, gv.IIDs)
	if err != nil {
		return LabelErrorsResult{}, engine.FromStorage(err)
	}
	labels := make([]string, len(res))
	opts := analysis.LabelErrorOptions{Options: analysis.Options{Workers: e.eng.Workers()}, K: req.K, ModelWeight: req.ModelWeight}
	if req.PredictionField != "" {
		opts.Predictions = make([]string, len(res))
	}
	if req.ConfidenceField != "" {
		opts.Confidence = make([]float64, len(res))
	}
	for i, r := range res {
		if lvl == storage.LevelObject {
			if r.Object != nil && r.Object.Kind == engine.KindLabel {
				labels[i] = r.Object.Class
			}
			continue
		}
		m := decodeMeta(r.Metadata)
		labels[i] = metaString(m, req.LabelField)
		if opts.Predictions != nil {
			opts.Predictions[i] = metaString(m, req.PredictionField)
		}
		if opts.Confidence != nil {
			c, ok := metaPath(m, req.ConfidenceField).(float64)
			if !ok && opts.Predictions[i] != "" {
				return LabelErrorsResult{}, engine.FieldErr(engine.ErrInvalid, "confidence_field", "point %q has a prediction and no numeric %q", r.PointID, req.ConfidenceField)
			}
			opts.Confidence[i] = c
		}
	}
	le, err := analysis.LabelErrors(ctx, gv.Graph, labels, opts)
	if err != nil {
		if errors.Is(err, analysis.ErrInvalidInput) {
			return LabelErrorsResult{}, engine.FieldErr(engine.ErrInvalid, "label_field", "%v", err)
		}
		return LabelErrorsResult{}, err
	}
	out := LabelErrorsResult{Points: len(labels), Labelled: len(le.Issues), K: req.K, EstimatedErrors: le.EstimatedErrors,
		Thresholds: le.Thresholds, Issues: []LabelErrorRow{}}
	lo, hi := pg.window(len(le.Issues))
	which := make([]int, 0, hi-lo)
	for _, is := range le.Issues[lo:hi] {
		which = append(which, is.Index)
	}
	refs, err := e.refs(gv.Rows, which, true)
	if err != nil {
		return out, err
	}
	for t, is := range le.Issues[lo:hi] {
		out.Issues = append(out.Issues, LabelErrorRow{RowRef: refs[t], Label: is.Label, Score: is.Score, Agreement: is.Agreement,
			Suggested: is.Suggested, SuggestedProb: is.SuggestedProb, Flagged: is.Flagged})
	}
	out.NextCursor = pg.next(hi, len(le.Issues), gv.Seq)
	if req.WriteMetadata {
		byRow := make(map[int]analysis.LabelIssue, len(le.Issues))
		for _, is := range le.Issues {
			byRow[is.Index] = is
		}
		n, err := e.writeRowFields(ctx, gv.Rows, func(r int) map[string]any {
			is, ok := byRow[r]
			if !ok {
				return nil
			}
			return map[string]any{"label_error": map[string]any{"score": is.Score, "suggested": is.Suggested, "flagged": is.Flagged}}
		})
		if err != nil {
			return out, fmt.Errorf("writing label errors to metadata: %w", err)
		}
		out.Written = n
	}
	out.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// writeRowFields is writeMetadataFields for callers that write only some
// rows (fields returns nil to skip one) and want the changed count.
func (e *Analyzer) writeRowFields(ctx context.Context, rows *engine.Rows, fields func(row int) map[string]any) (int, error) {
	if rows.Level != storage.LevelPoint {
		return 0, engine.FieldErr(engine.ErrInvalid, "write_metadata", "only point-level results can be written to metadata")
	}
	res, err := e.eng.DB().Resolve(rows.Dataset, rows.IIDs)
	if err != nil {
		return 0, engine.FromStorage(err)
	}
	byID := map[string]map[string]json.RawMessage{}
	var ids []string
	for r, ref := range res {
		f := fields(r)
		if ref.PointID == "" || f == nil {
			continue
		}
		set := map[string]json.RawMessage{}
		for k, v := range f {
			if set[k], err = json.Marshal(v); err != nil {
				return 0, fmt.Errorf("write_metadata %q: %w", k, err)
			}
		}
		byID[ref.PointID] = set
		ids = append(ids, ref.PointID)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	u, err := e.eng.UpdateMetadata(ctx, rows.Dataset, engine.MetadataUpdate{IDs: ids, SkipMissing: true,
		Edit: func(id string, m map[string]json.RawMessage) (bool, error) {
			changed := false
			for k, v := range byID[id] {
				if string(m[k]) != string(v) {
					m[k], changed = v, true
				}
			}
			return changed, nil
		}})
	return u.Changed, err
}
