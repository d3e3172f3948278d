package understand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
)

// EvaluateRequest compares a model's inferences with the labels of every
// point of a dataset. Detection (the default) matches the point's label
// boxes with its inference boxes; classification (Task "classification")
// compares two metadata fields.
type EvaluateRequest struct {
	Task string `json:"task,omitempty"` // "detection" (default) or "classification"
	// Name is the metadata key the per-point outcome is written under (an
	// object: outcome, failed, counts); default "eval". Give each model its
	// own name to keep several evaluations side by side.
	Name string `json:"name,omitempty"`
	// DryRun computes and returns without writing metadata.
	DryRun bool `json:"dry_run,omitempty"`

	// Detection: IoU settings and, to keep several models' boxes on one
	// point, the id prefix that selects one model's inference objects
	// (empty: every inference object).
	IoUThreshold    float64 `json:"iou_threshold,omitempty"`
	LocalisationIoU float64 `json:"localisation_iou,omitempty"`
	InferencePrefix string  `json:"inference_prefix,omitempty"`

	// Classification: metadata fields (dotted paths reach nested values).
	LabelField      string `json:"label_field,omitempty"`
	PredictionField string `json:"prediction_field,omitempty"`
	ConfidenceField string `json:"confidence_field,omitempty"`

	// CompareWith evaluates a second model the same way (an inference
	// prefix for detection, a prediction field for classification) and
	// reports where one is right and the other is not.
	CompareWith string `json:"compare_with,omitempty"`
	// Limit is how many of the worst points to list (default 20).
	Limit int `json:"limit,omitempty"`
}

// EvaluateResult is the summary of an evaluation and its worst points.
type EvaluateResult struct {
	Task      string `json:"task"`
	Name      string `json:"name"`
	Points    int    `json:"points"`
	Evaluated int    `json:"evaluated"` // points with labels or inferences (detection) or a label (classification)
	Failed    int    `json:"failed"`
	Written   int    `json:"written"` // points whose metadata changed
	// Detection or Classification holds the summary (confusion matrix,
	// per-class precision, recall and AP).
	Detection      *analysis.DetectionSummary `json:"detection,omitempty"`
	Classification *ClassificationSummary     `json:"classification,omitempty"`
	Worst          []EvaluatedPoint           `json:"worst"`
	Comparison     *EvalComparison            `json:"comparison,omitempty"`
	TookMs         float64                    `json:"took_ms"`
}

// ClassificationSummary is analysis.ClassificationResult without the
// per-point list (that goes to metadata).
type ClassificationSummary struct {
	Counts    analysis.Counts         `json:"counts"`
	Accuracy  float64                 `json:"accuracy"`
	PerClass  []analysis.ClassMetrics `json:"per_class"`
	MeanAP    float64                 `json:"mean_ap"`
	Confusion analysis.Confusion      `json:"confusion"`
}

// EvaluatedPoint is one point's verdict, with its objects' outcomes for
// detection.
type EvaluatedPoint struct {
	ID         string           `json:"id"`
	Outcome    string           `json:"outcome"`
	Counts     *analysis.Counts `json:"counts,omitempty"`
	Labels     []ObjectOutcome  `json:"labels,omitempty"`
	Inferences []ObjectOutcome  `json:"inferences,omitempty"`
	Label      string           `json:"label,omitempty"`
	Predicted  string           `json:"predicted,omitempty"`
}

// ObjectOutcome is one object's outcome and the object it was paired with.
type ObjectOutcome struct {
	ObjectID string           `json:"object_id"`
	Class    string           `json:"class"`
	Outcome  analysis.Outcome `json:"outcome"`
	MatchID  string           `json:"match_id,omitempty"`
	IoU      float64          `json:"iou"`
}

// EvalComparison is analysis.EvalDiff with point ids.
type EvalComparison struct {
	With    string  `json:"with"`
	Both    int     `json:"both"`
	OnlyA   int     `json:"only_a"`
	OnlyB   int     `json:"only_b"`
	Neither int     `json:"neither"`
	PValue  float64 `json:"p_value"`
	// Points lists where the two differ, largest difference first (capped
	// at Limit): only_a counts units the evaluated model gets right and
	// CompareWith does not.
	Points []DiffPoint `json:"points"`
}

// DiffPoint is one point where two models differ.
type DiffPoint struct {
	ID              string `json:"id"`
	OnlyA           int    `json:"only_a"`
	OnlyB           int    `json:"only_b"`
	FalsePositivesA int    `json:"false_positives_a"`
	FalsePositivesB int    `json:"false_positives_b"`
}

// Point outcomes written to metadata.
const (
	outcomeCorrect = "correct"
	outcomeError   = "error"
	outcomeEmpty   = "empty"
)

func (r *EvaluateRequest) check() error {
	var errs []error
	if r.Task == "" {
		r.Task = "detection"
	}
	if r.Name == "" {
		r.Name = "eval"
	}
	if r.Limit == 0 {
		r.Limit = 20
	}
	if r.Limit < 0 || r.Limit > 10000 {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "limit", "must be between 1 and 10000"))
	}
	if strings.Contains(r.Name, ".") {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "name", "must not contain '.' (filters read %q as a path)", r.Name))
	}
	switch r.Task {
	case "detection":
		if r.LabelField != "" || r.PredictionField != "" || r.ConfidenceField != "" {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "task", "label_field, prediction_field and confidence_field need task classification"))
		}
		// Matching nothing validates the options the same way the real run does.
		if _, err := analysis.MatchDetections(nil, nil, r.detectionOptions()); err != nil {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "iou_threshold", "%v", err))
		}
	case "classification":
		if r.LabelField == "" {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "label_field", "is required for classification"))
		}
		if r.PredictionField == "" {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "prediction_field", "is required for classification"))
		}
		if r.IoUThreshold != 0 || r.LocalisationIoU != 0 || r.InferencePrefix != "" {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "task", "iou settings and inference_prefix need task detection"))
		}
	default:
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "task", "must be detection or classification, got %q", r.Task))
	}
	return errors.Join(errs...)
}

// Evaluate compares inferences with labels, writes each point's outcome to
// metadata key Name in one engine.UpdateMetadata transaction (unless
// DryRun) and returns the summary.
func (e *Analyzer) Evaluate(ctx context.Context, dataset string, req EvaluateRequest) (EvaluateResult, error) {
	start := time.Now()
	if err := req.check(); err != nil {
		return EvaluateResult{}, err
	}
	var pts []engine.PointView
	if err := e.eng.ScanPoints(ctx, dataset, nil, func(p engine.PointView) error {
		p.Vectors = nil
		pts = append(pts, p)
		return nil
	}); err != nil {
		return EvaluateResult{}, err
	}
	res := EvaluateResult{Task: req.Task, Name: req.Name, Points: len(pts), Worst: []EvaluatedPoint{}}
	var (
		verdicts []pointVerdict
		err      error
	)
	if req.Task == "detection" {
		verdicts, err = evaluateDetection(pts, req, &res)
	} else {
		verdicts, err = evaluateClassification(pts, req, &res)
	}
	if err != nil {
		return res, err
	}
	for _, v := range verdicts {
		if v.evaluated {
			res.Evaluated++
		}
		if v.failed {
			res.Failed++
		}
	}
	res.Worst = worstPoints(verdicts, req.Limit)
	if !req.DryRun && len(pts) > 0 {
		if res.Written, err = e.writeVerdicts(ctx, dataset, req.Name, pts, verdicts); err != nil {
			return res, fmt.Errorf("writing outcomes to metadata: %w", err)
		}
	}
	res.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// pointVerdict is one point's evaluation, as listed and as written.
type pointVerdict struct {
	point     EvaluatedPoint
	evaluated bool
	failed    bool
	errors    int // how bad: the ranking key of Worst
	meta      map[string]any
}

func (e *Analyzer) writeVerdicts(ctx context.Context, dataset, name string, pts []engine.PointView, vs []pointVerdict) (int, error) {
	ids := make([]string, len(pts))
	byID := make(map[string]json.RawMessage, len(pts))
	for i, p := range pts {
		raw, err := json.Marshal(vs[i].meta)
		if err != nil {
			return 0, err
		}
		ids[i], byID[p.ID] = p.ID, raw
	}
	r, err := e.eng.UpdateMetadata(ctx, dataset, engine.MetadataUpdate{IDs: ids, SkipMissing: true,
		Edit: func(id string, m map[string]json.RawMessage) (bool, error) {
			v := byID[id]
			if string(m[name]) == string(v) {
				return false, nil
			}
			m[name] = v
			return true, nil
		}})
	return r.Changed, err
}

func (r *EvaluateRequest) detectionOptions() analysis.DetectionOptions {
	return analysis.DetectionOptions{IoUThreshold: r.IoUThreshold, LocalisationIoU: r.LocalisationIoU}
}
