package analysis

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Object is one box of a datapoint: a ground-truth label or a model's
// inference. BBox is [x, y, width, height] in pixels, as reef stores boxes
// (the COCO convention). Score is the inference's confidence (higher is more
// confident) and is ignored for labels.
type Object struct {
	ID    string     `json:"id,omitempty"`
	Class string     `json:"class"`
	BBox  [4]float32 `json:"bbox"`
	Score float64    `json:"score,omitempty"`
}

// Outcome is what evaluation says about one object. It marshals to a
// snake_case string.
type Outcome uint8

// Outcomes. Every inference gets one of TruePositive, ClassConfusion,
// Localisation, Duplicate or Spurious; every label one of TruePositive,
// ClassConfusion, Localisation or Missed.
const (
	OutcomeNone Outcome = iota
	// TruePositive: same class, IoU >= threshold, matched one to one.
	TruePositive
	// Spurious: an inference that overlaps no label enough (a false
	// positive on background).
	Spurious
	// Missed: a label no inference found (a false negative).
	Missed
	// ClassConfusion: IoU >= threshold with an unmatched label of another
	// class.
	ClassConfusion
	// Localisation: right class, but IoU in [LocalisationIoU, IoUThreshold)
	// with an unmatched label.
	Localisation
	// Duplicate: right class and IoU >= threshold, but the label was already
	// matched by a higher-scoring inference (COCO counts it a false positive).
	Duplicate
)

var outcomeNames = [...]string{"none", "tp", "spurious", "missed", "class_confusion", "localisation", "duplicate"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return invalid("unknown outcome %q", b)
}

// DetectionOptions tune detection matching.
type DetectionOptions struct {
	// IoUThreshold is the IoU at which a same-class inference matches a
	// label; 0 means 0.5. Must be in (0, 1].
	IoUThreshold float64 `json:"iou_threshold"`
	// LocalisationIoU is the lowest IoU at which a same-class inference that
	// did not match counts as a localisation error rather than spurious; 0
	// means 0.1. Must be below IoUThreshold.
	LocalisationIoU float64 `json:"localisation_iou"`
}

// DefaultDetectionOptions are the COCO AP50 settings.
func DefaultDetectionOptions() DetectionOptions {
	return DetectionOptions{IoUThreshold: 0.5, LocalisationIoU: 0.1}
}

func (o DetectionOptions) withDefaults() (DetectionOptions, error) {
	d := DefaultDetectionOptions()
	if o.IoUThreshold == 0 {
		o.IoUThreshold = d.IoUThreshold
	}
	if o.LocalisationIoU == 0 {
		o.LocalisationIoU = d.LocalisationIoU
	}
	var errs []error
	if !(o.IoUThreshold > 0 && o.IoUThreshold <= 1) {
		errs = append(errs, invalid("iou_threshold %v not in (0, 1]", o.IoUThreshold))
	}
	if !(o.LocalisationIoU > 0 && o.LocalisationIoU < o.IoUThreshold) {
		errs = append(errs, invalid("localisation_iou %v not in (0, iou_threshold)", o.LocalisationIoU))
	}
	return o, errors.Join(errs...)
}

// ObjectEval is the outcome of one object. Match is the index of the paired
// object in the other list (labels for an inference, inferences for a
// label), or -1; MatchID is its ID and IoU the pair's overlap (for a
// Spurious inference or Missed label: the best overlap with any object of
// the other list, 0 if none).
type ObjectEval struct {
	Outcome Outcome `json:"outcome"`
	Match   int     `json:"match"`
	MatchID string  `json:"match_id,omitempty"`
	IoU     float64 `json:"iou"`
}

// Counts tallies outcomes. TP counts matched pairs once; the other fields
// count objects (a ClassConfusion pair counts once).
type Counts struct {
	TP             int `json:"tp"`
	Spurious       int `json:"spurious"`
	Missed         int `json:"missed"`
	ClassConfusion int `json:"class_confusion"`
	Localisation   int `json:"localisation"`
	Duplicate      int `json:"duplicate"`
}

// FalsePositives is every inference that is not a true positive.
func (c Counts) FalsePositives() int {
	return c.Spurious + c.ClassConfusion + c.Localisation + c.Duplicate
}

// FalseNegatives is every label that is not a true positive.
func (c Counts) FalseNegatives() int { return c.Missed + c.ClassConfusion + c.Localisation }

func (c *Counts) add(o Counts) {
	c.TP += o.TP
	c.Spurious += o.Spurious
	c.Missed += o.Missed
	c.ClassConfusion += o.ClassConfusion
	c.Localisation += o.Localisation
	c.Duplicate += o.Duplicate
}

// DatapointEval is one datapoint's evaluation: Labels[i] and Inferences[j]
// describe the input objects in their input order.
type DatapointEval struct {
	Labels     []ObjectEval `json:"labels"`
	Inferences []ObjectEval `json:"inferences"`
	Counts     Counts       `json:"counts"`
}

// IoU is the intersection over union of two [x, y, w, h] boxes; 0 when
// either is empty.
func IoU(a, b [4]float32) float64 {
	ax2, ay2 := float64(a[0])+float64(a[2]), float64(a[1])+float64(a[3])
	bx2, by2 := float64(b[0])+float64(b[2]), float64(b[1])+float64(b[3])
	iw := min(ax2, bx2) - max(float64(a[0]), float64(b[0]))
	ih := min(ay2, by2) - max(float64(a[1]), float64(b[1]))
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := float64(a[2])*float64(a[3]) + float64(b[2])*float64(b[3]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

func checkObjects(kind string, dp int, objs []Object) error {
	var errs []error
	for i, o := range objs {
		bad := o.BBox[2] < 0 || o.BBox[3] < 0
		for _, v := range o.BBox {
			bad = bad || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)
		}
		if bad {
			errs = append(errs, invalid("datapoint %d %s %d: bbox %v needs finite values and width, height >= 0", dp, kind, i, o.BBox))
		}
		if math.IsNaN(o.Score) || math.IsInf(o.Score, 0) {
			errs = append(errs, invalid("datapoint %d %s %d: score %v not finite", dp, kind, i, o.Score))
		}
	}
	return errors.Join(errs...)
}

// MatchDetections evaluates one datapoint. The primary pass is COCO's:
// inferences in decreasing score (ties: input order) each take the
// unmatched same-class label of highest IoU >= IoUThreshold (a true
// positive). A second pass, in the same order, explains every other
// inference: Duplicate if a same-class label it overlaps >= IoUThreshold is
// already matched; else ClassConfusion with the best still-unexplained label
// of another class at IoU >= IoUThreshold; else Localisation with the best
// still-unexplained same-class label at IoU >= LocalisationIoU; else
// Spurious. A label takes part in at most one pair; unpaired labels are
// Missed. Class names compare exactly.
func MatchDetections(labels, inferences []Object, opts DetectionOptions) (DatapointEval, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return DatapointEval{}, err
	}
	if err := errors.Join(checkObjects("label", 0, labels), checkObjects("inference", 0, inferences)); err != nil {
		return DatapointEval{}, err
	}
	return matchOne(labels, inferences, o), nil
}

func matchOne(labels, infs []Object, o DetectionOptions) DatapointEval {
	ev := DatapointEval{Labels: make([]ObjectEval, len(labels)), Inferences: make([]ObjectEval, len(infs))}
	iou := make([][]float64, len(infs))
	for j, inf := range infs {
		iou[j] = make([]float64, len(labels))
		for i, l := range labels {
			iou[j][i] = IoU(inf.BBox, l.BBox)
		}
	}
	order := make([]int, len(infs))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(infs[b].Score, infs[a].Score) })
	for i := range ev.Labels {
		ev.Labels[i] = ObjectEval{Match: -1}
	}
	for j := range ev.Inferences {
		ev.Inferences[j] = ObjectEval{Match: -1}
	}
	pair := func(j, i int, out Outcome) {
		ev.Inferences[j] = ObjectEval{Outcome: out, Match: i, MatchID: labels[i].ID, IoU: iou[j][i]}
		ev.Labels[i] = ObjectEval{Outcome: out, Match: j, MatchID: infs[j].ID, IoU: iou[j][i]}
	}
	// best returns the free label of highest IoU >= lo that ok accepts.
	best := func(j int, lo float64, ok func(i int) bool) int {
		bi, bv := -1, lo
		for i := range labels {
			if ev.Labels[i].Outcome == OutcomeNone && ok(i) && iou[j][i] >= bv && (bi < 0 || iou[j][i] > bv) {
				bi, bv = i, iou[j][i]
			}
		}
		return bi
	}
	for _, j := range order {
		if i := best(j, o.IoUThreshold, func(i int) bool { return labels[i].Class == infs[j].Class }); i >= 0 {
			pair(j, i, TruePositive)
			ev.Counts.TP++
		}
	}
	for _, j := range order {
		if ev.Inferences[j].Outcome != OutcomeNone {
			continue
		}
		same := func(i int) bool { return labels[i].Class == infs[j].Class }
		dup, dupIoU := -1, 0.0
		for i := range labels {
			if same(i) && ev.Labels[i].Outcome == TruePositive && iou[j][i] >= o.IoUThreshold && iou[j][i] > dupIoU {
				dup, dupIoU = i, iou[j][i]
			}
		}
		if dup >= 0 {
			ev.Inferences[j] = ObjectEval{Outcome: Duplicate, Match: dup, MatchID: labels[dup].ID, IoU: dupIoU}
			ev.Counts.Duplicate++
		} else if i := best(j, o.IoUThreshold, func(i int) bool { return !same(i) }); i >= 0 {
			pair(j, i, ClassConfusion)
			ev.Counts.ClassConfusion++
		} else if i := best(j, o.LocalisationIoU, same); i >= 0 {
			pair(j, i, Localisation)
			ev.Counts.Localisation++
		} else {
			ev.Inferences[j] = ObjectEval{Outcome: Spurious, Match: -1, IoU: slices.Max(append([]float64{0}, iou[j]...))}
			ev.Counts.Spurious++
		}
	}
	for i := range ev.Labels {
		if ev.Labels[i].Outcome == OutcomeNone {
			bestIoU := 0.0
			for j := range infs {
				bestIoU = max(bestIoU, iou[j][i])
			}
			ev.Labels[i] = ObjectEval{Outcome: Missed, Match: -1, IoU: bestIoU}
			ev.Counts.Missed++
		}
	}
	return ev
}
