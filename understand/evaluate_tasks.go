package understand

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
)

// The two tasks of Evaluate: each turns the points into analysis inputs,
// runs the analysis and returns one verdict per point, in point order.

// pointObjects splits a point's objects into labels and the inferences
// whose id starts with prefix.
func pointObjects(p engine.PointView, prefix string) (labels, infs []analysis.Object) {
	for _, o := range p.Objects {
		ao := analysis.Object{ID: o.ID, Class: o.Class, BBox: o.BBox}
		if o.Score != nil {
			ao.Score = float64(*o.Score)
		}
		switch o.Kind {
		case engine.KindLabel:
			labels = append(labels, ao)
		case engine.KindInference:
			if strings.HasPrefix(o.ID, prefix) {
				infs = append(infs, ao)
			}
		}
	}
	return labels, infs
}

func detectionInputs(pts []engine.PointView, prefix string) ([][]analysis.Object, [][]analysis.Object) {
	labels, infs := make([][]analysis.Object, len(pts)), make([][]analysis.Object, len(pts))
	for i, p := range pts {
		labels[i], infs[i] = pointObjects(p, prefix)
	}
	return labels, infs
}

func evaluateDetection(pts []engine.PointView, req EvaluateRequest, res *EvaluateResult) ([]pointVerdict, error) {
	labels, infs := detectionInputs(pts, req.InferencePrefix)
	dr, err := analysis.EvaluateDetections(labels, infs, req.detectionOptions())
	if err != nil {
		return nil, engine.FieldErr(engine.ErrInvalid, "objects", "%v", err)
	}
	res.Detection = &dr.Summary
	out := make([]pointVerdict, len(pts))
	for i, p := range pts {
		ev := dr.Datapoints[i]
		c := ev.Counts
		fp, fn := c.FalsePositives(), c.FalseNegatives()
		v := pointVerdict{evaluated: len(labels[i])+len(infs[i]) > 0, errors: fp + fn}
		outcome := outcomeCorrect
		switch {
		case !v.evaluated:
			outcome = outcomeEmpty
		case fp+fn > 0:
			outcome, v.failed = outcomeError, true
		}
		v.point = EvaluatedPoint{ID: p.ID, Outcome: outcome, Counts: &c,
			Labels: objectOutcomes(labels[i], ev.Labels), Inferences: objectOutcomes(infs[i], ev.Inferences)}
		v.meta = map[string]any{"outcome": outcome, "failed": v.failed, "tp": c.TP, "fp": fp, "fn": fn,
			"spurious": c.Spurious, "missed": c.Missed, "class_confusion": c.ClassConfusion,
			"localisation": c.Localisation, "duplicate": c.Duplicate}
		if objs := objectOutcomeMeta(labels[i], infs[i], ev); objs != nil {
			v.meta[objectsKey] = objs
		}
		out[i] = v
	}
	if req.CompareWith != "" {
		_, infsB := detectionInputs(pts, req.CompareWith)
		drB, err := analysis.EvaluateDetections(labels, infsB, req.detectionOptions())
		if err != nil {
			return nil, engine.FieldErr(engine.ErrInvalid, "compare_with", "%v", err)
		}
		diff, err := analysis.CompareDetections(dr, drB)
		if err != nil {
			return nil, engine.FieldErr(engine.ErrInvalid, "compare_with", "%v", err)
		}
		res.Comparison = comparison(req.CompareWith, diff, pts, req.Limit)
	}
	return out, nil
}

func objectOutcomes(objs []analysis.Object, evs []analysis.ObjectEval) []ObjectOutcome {
	out := make([]ObjectOutcome, len(objs))
	for i, o := range objs {
		out[i] = ObjectOutcome{ObjectID: o.ID, Class: o.Class, Outcome: evs[i].Outcome, MatchID: evs[i].MatchID, IoU: evs[i].IoU}
	}
	return out
}

func comparison(with string, d *analysis.EvalDiff, pts []engine.PointView, limit int) *EvalComparison {
	c := &EvalComparison{With: with, Both: d.Both, OnlyA: d.OnlyA, OnlyB: d.OnlyB, Neither: d.Neither, PValue: d.PValue, Points: []DiffPoint{}}
	for _, dp := range d.Datapoints[:min(limit, len(d.Datapoints))] {
		c.Points = append(c.Points, DiffPoint{ID: pts[dp.Datapoint].ID, OnlyA: len(dp.OnlyA), OnlyB: len(dp.OnlyB),
			FalsePositivesA: dp.FalsePositivesA, FalsePositivesB: dp.FalsePositivesB})
	}
	return c
}

// classificationInputs reads label, prediction and confidence fields. A
// point with a prediction but no numeric confidence is an error when a
// confidence field is named.
func classificationInputs(pts []engine.PointView, labelF, predF, confF string) (labels, preds []string, conf []float64, err error) {
	labels, preds = make([]string, len(pts)), make([]string, len(pts))
	if confF != "" {
		conf = make([]float64, len(pts))
	}
	var bad []string
	for i, p := range pts {
		m := decodeMeta(p.Metadata)
		labels[i], preds[i] = metaString(m, labelF), metaString(m, predF)
		if confF == "" || preds[i] == "" {
			continue
		}
		v, ok := metaPath(m, confF).(float64)
		if !ok {
			bad = append(bad, p.ID)
			continue
		}
		conf[i] = v
	}
	if len(bad) > 0 {
		return nil, nil, nil, engine.FieldErr(engine.ErrInvalid, "confidence_field", "%d points with a prediction have no numeric %q (first: %q)", len(bad), confF, bad[0])
	}
	return labels, preds, conf, nil
}

func evaluateClassification(pts []engine.PointView, req EvaluateRequest, res *EvaluateResult) ([]pointVerdict, error) {
	labels, preds, conf, err := classificationInputs(pts, req.LabelField, req.PredictionField, req.ConfidenceField)
	if err != nil {
		return nil, err
	}
	cr, err := analysis.EvaluateClassification(labels, preds, conf)
	if err != nil {
		return nil, engine.FieldErr(engine.ErrInvalid, "confidence_field", "%v", err)
	}
	res.Classification = &ClassificationSummary{Counts: cr.Counts, Accuracy: cr.Accuracy, PerClass: cr.PerClass, MeanAP: cr.MeanAP, Confusion: cr.Confusion}
	out := make([]pointVerdict, len(pts))
	for i, p := range pts {
		pe := cr.Points[i]
		v := pointVerdict{evaluated: pe.Outcome != analysis.OutcomeNone}
		outcome := outcomeCorrect
		switch {
		case !v.evaluated:
			outcome = outcomeEmpty
		case pe.Outcome != analysis.TruePositive:
			outcome, v.failed, v.errors = outcomeError, true, 1
		}
		v.point = EvaluatedPoint{ID: p.ID, Outcome: outcome, Label: pe.Label, Predicted: pe.Predicted}
		v.meta = map[string]any{"outcome": outcome, "failed": v.failed, "result": pe.Outcome.String(),
			"label": pe.Label, "predicted": pe.Predicted}
		if conf != nil {
			v.meta["confidence"] = pe.Confidence
		}
		out[i] = v
	}
	if req.CompareWith != "" {
		_, predsB, _, err := classificationInputs(pts, req.LabelField, req.CompareWith, "")
		if err != nil {
			return nil, err
		}
		crB, err := analysis.EvaluateClassification(labels, predsB, nil)
		if err != nil {
			return nil, engine.FieldErr(engine.ErrInvalid, "compare_with", "%v", err)
		}
		diff, err := analysis.CompareClassifications(cr, crB)
		if err != nil {
			return nil, engine.FieldErr(engine.ErrInvalid, "compare_with", "%v", err)
		}
		res.Comparison = comparison(req.CompareWith, diff, pts, req.Limit)
	}
	return out, nil
}

// worstPoints lists the failed points with the most errors first (ties in
// point order).
func worstPoints(vs []pointVerdict, limit int) []EvaluatedPoint {
	var failed []pointVerdict
	for _, v := range vs {
		if v.failed {
			failed = append(failed, v)
		}
	}
	slices.SortStableFunc(failed, func(a, b pointVerdict) int { return cmp.Compare(b.errors, a.errors) })
	out := make([]EvaluatedPoint, 0, min(limit, len(failed)))
	for _, v := range failed[:min(limit, len(failed))] {
		out = append(out, v.point)
	}
	return out
}

// decodeMeta reads a point's metadata object; invalid or absent metadata
// is empty (the engine stores only valid JSON objects).
func decodeMeta(raw json.RawMessage) map[string]any {
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) == nil {
		return m
	}
	return nil
}

// metaPath follows a dotted path, as filters do.
func metaPath(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// metaString is a field's value as a class name ("" when absent or null).
func metaString(m map[string]any, path string) string {
	switch v := metaPath(m, path).(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}
