package analysis

import (
	"cmp"
	"errors"
	"slices"
)

// Background is the confusion-matrix row and column for "no object": an
// inference matched to no label sits in row Background, a label no
// inference matched in column Background.
const Background = "(background)"

// ClassMetrics are one class's figures at the IoU threshold.
type ClassMetrics struct {
	Class      string `json:"class"`
	Labels     int    `json:"labels"`
	Inferences int    `json:"inferences"`
	TP         int    `json:"tp"`
	// Precision is TP / Inferences and Recall TP / Labels (0 when the
	// denominator is 0).
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// AP is the area under the interpolated precision–recall curve with
	// COCO's 101 recall points, ranking the class's inferences by score
	// over all datapoints; 0 when the class has no labels.
	AP float64 `json:"ap"`
}

// Confusion is a confusion matrix: Cells[r][c] counts objects whose label
// class is Classes[r] and whose predicted class is Classes[c]. Classes are
// sorted, with Background last when it occurs.
type Confusion struct {
	Classes []string `json:"classes"`
	Cells   [][]int  `json:"cells"`
}

// DetectionSummary aggregates a detection evaluation.
type DetectionSummary struct {
	Options  DetectionOptions `json:"options"`
	Counts   Counts           `json:"counts"`
	PerClass []ClassMetrics   `json:"per_class"`
	// MeanAP is the mean AP over classes that have labels.
	MeanAP    float64   `json:"mean_ap"`
	Confusion Confusion `json:"confusion"`
}

// DetectionResult is the evaluation of a whole set of datapoints.
type DetectionResult struct {
	Datapoints []DatapointEval  `json:"datapoints"`
	Summary    DetectionSummary `json:"summary"`
}

// EvaluateDetections matches labels[d] with inferences[d] for every
// datapoint d (see MatchDetections) and summarises. Every problem in the
// input is reported at once.
//
// The confusion matrix pairs TruePositive and ClassConfusion objects as
// (label class, inference class); every other label goes to column
// Background and every other inference to row Background, so a
// localisation error shows as one missed label plus one spurious
// inference of the same class.
func EvaluateDetections(labels, inferences [][]Object, opts DetectionOptions) (*DetectionResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(labels) != len(inferences) {
		return nil, invalid("%d datapoints of labels, %d of inferences", len(labels), len(inferences))
	}
	var errs []error
	for d := range labels {
		errs = append(errs, checkObjects("label", d, labels[d]), checkObjects("inference", d, inferences[d]))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := &DetectionResult{Datapoints: make([]DatapointEval, len(labels))}
	for d := range labels {
		res.Datapoints[d] = matchOne(labels[d], inferences[d], o)
		res.Summary.Counts.add(res.Datapoints[d].Counts)
	}
	res.Summary.Options = o
	res.Summary.PerClass, res.Summary.MeanAP = perClass(labels, inferences, res.Datapoints)
	res.Summary.Confusion = detectionConfusion(labels, inferences, res.Datapoints)
	return res, nil
}

type scoredHit struct {
	score float64
	tp    bool
}

func perClass(labels, infs [][]Object, evs []DatapointEval) ([]ClassMetrics, float64) {
	byClass := map[string]*ClassMetrics{}
	hits := map[string][]scoredHit{}
	get := func(c string) *ClassMetrics {
		m := byClass[c]
		if m == nil {
			m = &ClassMetrics{Class: c}
			byClass[c] = m
		}
		return m
	}
	for d := range labels {
		for _, l := range labels[d] {
			get(l.Class).Labels++
		}
		for j, inf := range infs[d] {
			m := get(inf.Class)
			m.Inferences++
			tp := evs[d].Inferences[j].Outcome == TruePositive
			if tp {
				m.TP++
			}
			hits[inf.Class] = append(hits[inf.Class], scoredHit{inf.Score, tp})
		}
	}
	out := make([]ClassMetrics, 0, len(byClass))
	var sumAP float64
	nAP := 0
	for c, m := range byClass {
		m.Precision, m.Recall = ratio(m.TP, m.Inferences), ratio(m.TP, m.Labels)
		if m.Labels > 0 {
			m.AP = averagePrecision(hits[c], m.Labels)
			sumAP += m.AP
			nAP++
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b ClassMetrics) int { return cmp.Compare(a.Class, b.Class) })
	return out, ratioF(sumAP, nAP)
}

func ratio(a, b int) float64 { return ratioF(float64(a), b) }

func ratioF(a float64, b int) float64 {
	if b == 0 {
		return 0
	}
	return a / float64(b)
}

// averagePrecision is COCO's 101-point interpolated AP of hits (ranked by
// score, ties in input order) against nPos positives.
func averagePrecision(hits []scoredHit, nPos int) float64 {
	hs := slices.Clone(hits)
	slices.SortStableFunc(hs, func(a, b scoredHit) int { return cmp.Compare(b.score, a.score) })
	prec, rec := make([]float64, len(hs)), make([]float64, len(hs))
	tp := 0
	for i, h := range hs {
		if h.tp {
			tp++
		}
		prec[i], rec[i] = float64(tp)/float64(i+1), float64(tp)/float64(nPos)
	}
	for i := len(prec) - 2; i >= 0; i-- {
		prec[i] = max(prec[i], prec[i+1])
	}
	var s float64
	p := 0
	for r := 0; r <= 100; r++ {
		t := float64(r) / 100
		for p < len(rec) && rec[p] < t-1e-12 {
			p++
		}
		if p < len(rec) {
			s += prec[p]
		}
	}
	return s / 101
}

func detectionConfusion(labels, infs [][]Object, evs []DatapointEval) Confusion {
	type cell struct{ r, c string }
	counts := map[cell]int{}
	for d := range labels {
		for i, l := range labels[d] {
			e := evs[d].Labels[i]
			if e.Outcome == TruePositive || e.Outcome == ClassConfusion {
				counts[cell{l.Class, infs[d][e.Match].Class}]++
			} else {
				counts[cell{l.Class, Background}]++
			}
		}
		for j, inf := range infs[d] {
			if o := evs[d].Inferences[j].Outcome; o != TruePositive && o != ClassConfusion {
				counts[cell{Background, inf.Class}]++
			}
		}
	}
	pairs := make([][2]string, 0, len(counts))
	for k := range counts {
		pairs = append(pairs, [2]string{k.r, k.c})
	}
	return buildConfusion(pairs, func(r, c string) int { return counts[cell{r, c}] })
}

// buildConfusion lays out a matrix over the classes named in pairs, sorted,
// Background last.
func buildConfusion(pairs [][2]string, count func(r, c string) int) Confusion {
	seen := map[string]bool{}
	var classes []string
	for _, p := range pairs {
		for _, c := range p {
			if !seen[c] {
				seen[c] = true
				classes = append(classes, c)
			}
		}
	}
	slices.SortFunc(classes, func(a, b string) int {
		if (a == Background) != (b == Background) {
			if a == Background {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	cells := make([][]int, len(classes))
	for r, rc := range classes {
		cells[r] = make([]int, len(classes))
		for c, cc := range classes {
			cells[r][c] = count(rc, cc)
		}
	}
	return Confusion{Classes: classes, Cells: cells}
}
