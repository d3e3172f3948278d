package analysis

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// PointEval is one datapoint's classification outcome: TruePositive when
// the prediction equals the label, ClassConfusion when it differs, Missed
// when there is no prediction, OutcomeNone when the point has no label (it
// is left out of every figure).
type PointEval struct {
	Outcome    Outcome `json:"outcome"`
	Label      string  `json:"label"`
	Predicted  string  `json:"predicted"`
	Confidence float64 `json:"confidence,omitempty"`
}

// ClassificationResult is a classification evaluation. PerClass AP is
// filled only when confidences were given: for class c, the points
// predicted c ranked by confidence, a hit when their label is c, against
// all points labelled c.
type ClassificationResult struct {
	Points    []PointEval    `json:"points"`
	Counts    Counts         `json:"counts"`
	Accuracy  float64        `json:"accuracy"`
	PerClass  []ClassMetrics `json:"per_class"`
	MeanAP    float64        `json:"mean_ap"`
	Confusion Confusion      `json:"confusion"`
}

// EvaluateClassification compares labels[i] with predictions[i]; an empty
// label means unlabelled and an empty prediction means none. confidence is
// nil or one finite value per point (the prediction's confidence).
func EvaluateClassification(labels, predictions []string, confidence []float64) (*ClassificationResult, error) {
	var errs []error
	if len(predictions) != len(labels) {
		errs = append(errs, invalid("%d labels, %d predictions", len(labels), len(predictions)))
	}
	if confidence != nil && len(confidence) != len(labels) {
		errs = append(errs, invalid("%d labels, %d confidences", len(labels), len(confidence)))
	}
	for i, c := range confidence {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			errs = append(errs, invalid("confidence %d is %v", i, c))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &ClassificationResult{Points: make([]PointEval, len(labels))}
	type cell struct{ r, c string }
	cells := map[cell]int{}
	byClass := map[string]*ClassMetrics{}
	hits := map[string][]scoredHit{}
	get := func(c string) *ClassMetrics {
		if byClass[c] == nil {
			byClass[c] = &ClassMetrics{Class: c}
		}
		return byClass[c]
	}
	labelled := 0
	for i, l := range labels {
		p := predictions[i]
		pe := PointEval{Label: l, Predicted: p}
		if confidence != nil {
			pe.Confidence = confidence[i]
		}
		switch {
		case l == "":
		case p == "":
			pe.Outcome = Missed
			r.Counts.Missed++
			cells[cell{l, Background}]++
		case p == l:
			pe.Outcome = TruePositive
			r.Counts.TP++
		default:
			pe.Outcome = ClassConfusion
			r.Counts.ClassConfusion++
		}
		r.Points[i] = pe
		if l == "" {
			continue
		}
		labelled++
		get(l).Labels++
		if p == "" {
			continue
		}
		cells[cell{l, p}]++
		m := get(p)
		m.Inferences++
		if p == l {
			m.TP++
		}
		hits[p] = append(hits[p], scoredHit{pe.Confidence, p == l})
	}
	r.Accuracy = ratio(r.Counts.TP, labelled)
	var sumAP float64
	nAP := 0
	for c, m := range byClass {
		m.Precision, m.Recall = ratio(m.TP, m.Inferences), ratio(m.TP, m.Labels)
		if confidence != nil && m.Labels > 0 {
			m.AP = averagePrecision(hits[c], m.Labels)
			sumAP += m.AP
			nAP++
		}
		r.PerClass = append(r.PerClass, *m)
	}
	slices.SortFunc(r.PerClass, func(a, b ClassMetrics) int { return cmp.Compare(a.Class, b.Class) })
	r.MeanAP = ratioF(sumAP, nAP)
	pairs := make([][2]string, 0, len(cells))
	for k := range cells {
		pairs = append(pairs, [2]string{k.r, k.c})
	}
	r.Confusion = buildConfusion(pairs, func(a, b string) int { return cells[cell{a, b}] })
	return r, nil
}

// EvalDiff compares two evaluations of the same labels (two models, or two
// versions of one). A unit is a label object (detection) or a labelled
// datapoint (classification); it is correct when its outcome is
// TruePositive.
type EvalDiff struct {
	Both    int `json:"both"`
	OnlyA   int `json:"only_a"`
	OnlyB   int `json:"only_b"`
	Neither int `json:"neither"`
	// PValue is the exact two-sided McNemar test of OnlyA against OnlyB:
	// small when one set is correct where the other fails more often than
	// chance allows.
	PValue float64 `json:"p_value"`
	// Datapoints lists every datapoint where the two differ (in correct
	// units or in false positives), largest difference first.
	Datapoints []DatapointDiff `json:"datapoints"`
}

// DatapointDiff is one datapoint where the sets differ: OnlyA lists the
// label indices A gets right and B does not, OnlyB the reverse, and
// FalsePositivesA/B count each set's non-TP inferences.
type DatapointDiff struct {
	Datapoint       int   `json:"datapoint"`
	OnlyA           []int `json:"only_a"`
	OnlyB           []int `json:"only_b"`
	FalsePositivesA int   `json:"false_positives_a"`
	FalsePositivesB int   `json:"false_positives_b"`
}

// CompareDetections compares two detection evaluations of the same labels.
func CompareDetections(a, b *DetectionResult) (*EvalDiff, error) {
	if a == nil || b == nil || len(a.Datapoints) != len(b.Datapoints) {
		return nil, invalid("both evaluations must cover the same datapoints")
	}
	units := func(r *DetectionResult) [][]Outcome {
		out := make([][]Outcome, len(r.Datapoints))
		for d, dp := range r.Datapoints {
			for _, l := range dp.Labels {
				out[d] = append(out[d], l.Outcome)
			}
		}
		return out
	}
	ua, ub := units(a), units(b)
	fp := func(r *DetectionResult, d int) int { return r.Datapoints[d].Counts.FalsePositives() }
	return diffUnits(ua, ub, func(d int) (int, int) { return fp(a, d), fp(b, d) })
}

// CompareClassifications compares two classification evaluations of the
// same labels.
func CompareClassifications(a, b *ClassificationResult) (*EvalDiff, error) {
	if a == nil || b == nil || len(a.Points) != len(b.Points) {
		return nil, invalid("both evaluations must cover the same datapoints")
	}
	ua, ub := make([][]Outcome, len(a.Points)), make([][]Outcome, len(b.Points))
	for i := range a.Points {
		if a.Points[i].Label != b.Points[i].Label {
			return nil, invalid("datapoint %d has label %q in one evaluation and %q in the other", i, a.Points[i].Label, b.Points[i].Label)
		}
		if a.Points[i].Label != "" {
			ua[i], ub[i] = []Outcome{a.Points[i].Outcome}, []Outcome{b.Points[i].Outcome}
		}
	}
	return diffUnits(ua, ub, func(int) (int, int) { return 0, 0 })
}

func diffUnits(ua, ub [][]Outcome, fps func(d int) (int, int)) (*EvalDiff, error) {
	r := &EvalDiff{}
	for d := range ua {
		if len(ua[d]) != len(ub[d]) {
			return nil, invalid("datapoint %d has %d labels in one evaluation and %d in the other", d, len(ua[d]), len(ub[d]))
		}
		dd := DatapointDiff{Datapoint: d}
		dd.FalsePositivesA, dd.FalsePositivesB = fps(d)
		for i := range ua[d] {
			okA, okB := ua[d][i] == TruePositive, ub[d][i] == TruePositive
			switch {
			case okA && okB:
				r.Both++
			case okA:
				r.OnlyA++
				dd.OnlyA = append(dd.OnlyA, i)
			case okB:
				r.OnlyB++
				dd.OnlyB = append(dd.OnlyB, i)
			default:
				r.Neither++
			}
		}
		if len(dd.OnlyA)+len(dd.OnlyB) > 0 || dd.FalsePositivesA != dd.FalsePositivesB {
			r.Datapoints = append(r.Datapoints, dd)
		}
	}
	r.PValue = mcnemarExact(r.OnlyA, r.OnlyB)
	size := func(x DatapointDiff) int {
		return len(x.OnlyA) + len(x.OnlyB) + max(x.FalsePositivesA-x.FalsePositivesB, x.FalsePositivesB-x.FalsePositivesA)
	}
	slices.SortStableFunc(r.Datapoints, func(x, y DatapointDiff) int { return cmp.Compare(size(y), size(x)) })
	return r, nil
}
