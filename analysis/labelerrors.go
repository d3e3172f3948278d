package analysis

import (
	"cmp"
	"context"
	"errors"
	"slices"
)

// LabelErrorOptions tune LabelErrors.
type LabelErrorOptions struct {
	Options
	// K is the number of neighbours that vote; 0 means the graph's K.
	K int
	// Smoothing is the Dirichlet pseudo-count added to each point's vote,
	// spread over the classes by their frequency; 0 means 1.
	Smoothing float64
	// Predictions optionally holds a model's predicted label per point (""
	// for none) and Confidence its confidence in [0, 1] (nil: 1 for every
	// prediction). The model's distribution (Confidence on the predicted
	// class, the rest spread evenly) is mixed into the neighbours' vote with
	// weight ModelWeight (0 means 0.5).
	Predictions []string
	Confidence  []float64
	ModelWeight float64
}

// DefaultLabelErrorOptions are the settings measured in docs/BENCHMARKS.md.
func DefaultLabelErrorOptions() LabelErrorOptions { return LabelErrorOptions{K: 20, Smoothing: 1} }

// LabelIssue is the verdict on one point's label.
type LabelIssue struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	// Score in [0, 1] grows with the evidence that the label is wrong: one
	// minus the calibrated probability of the given label (see LabelErrors).
	// Scores rank points across classes.
	Score float64 `json:"score"`
	// Agreement is the raw fraction of the K neighbours that share the
	// label (a description; Score is what ranks).
	Agreement float64 `json:"agreement"`
	// Suggested is the most probable other label under the calibrated
	// distribution and SuggestedProb its probability.
	Suggested     string  `json:"suggested"`
	SuggestedProb float64 `json:"suggested_prob"`
	// Flagged marks the points confident learning counts as label errors:
	// within each class, the highest-scoring points up to that class's
	// estimated number of errors.
	Flagged bool `json:"flagged"`
}

// LabelErrorResult holds one LabelIssue per labelled point, highest Score
// first, and the estimated number of label errors.
type LabelErrorResult struct {
	Issues          []LabelIssue `json:"issues"`
	EstimatedErrors int          `json:"estimated_errors"`
	// Thresholds[c] is the mean vote for class c among points labelled c:
	// the per-class calibration of confident learning.
	Thresholds map[string]float64 `json:"thresholds"`
}

// LabelErrors finds label-error candidates from a k-NN graph over the
// points and their labels (an empty label means unlabelled: it neither
// votes nor is scored). Works the same at object level with a graph over
// object embeddings.
//
// Method (confident learning, Northcutt et al. 2021, with a k-NN vote as
// the out-of-sample classifier): each point's class distribution p(c) is
// the smoothed vote of its K labelled neighbours (leave-one-out, since the
// graph excludes the point), optionally mixed with the model's prediction.
// Calibration divides p(c) by the threshold t_c = mean p(c) over points
// labelled c, and renormalises: q(c) ∝ p(c)/t_c, so a class whose members
// naturally agree less with their neighbours (a "shirt" among "tops") is not
// flagged wholesale. Score = 1 − q(label). The number of errors per class
// comes from the confident joint: points labelled y whose calibrated argmax
// is another class c with p(c) ≥ t_c.
//
// Caveats: the vote inherits the embedding's quality; systematic
// relabelling of a whole region cannot be seen by neighbours that carry the
// same wrong label (their vote agrees), so such errors need the model's
// predictions or a cleaner embedding.
func LabelErrors(ctx context.Context, g *Graph, labels []string, opts LabelErrorOptions) (*LabelErrorResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := g.Len()
	if err := opts.check(n, len(labels)); err != nil {
		return nil, err
	}
	classes, ids := classIndex(labels)
	C := len(classes)
	if C < 2 {
		return nil, invalid("label errors need at least two classes, have %d", C)
	}
	probs, agree, err := votes(ctx, g, ids, classes, opts)
	if err != nil {
		return nil, err
	}
	thr := make([]float64, C)
	cnt := make([]int, C)
	for i, y := range ids {
		if y >= 0 {
			thr[y] += probs[i*C+y]
			cnt[y]++
		}
	}
	res := &LabelErrorResult{Thresholds: map[string]float64{}}
	for c := range thr {
		thr[c] /= float64(cnt[c])
		res.Thresholds[classes[c]] = thr[c]
	}
	perClass := make([][]int, C) // issue positions whose label is c
	for i, y := range ids {
		if y < 0 {
			continue
		}
		p := probs[i*C : (i+1)*C]
		var z float64
		for c := range p {
			z += p[c] / thr[c]
		}
		is := LabelIssue{Index: i, Label: classes[y], Score: 1 - p[y]/thr[y]/z, Agreement: agree[i]}
		best := -1
		for c := range p {
			if c != y && (best < 0 || p[c]/thr[c] > p[best]/thr[best]) {
				best = c
			}
		}
		is.Suggested, is.SuggestedProb = classes[best], p[best]/thr[best]/z
		is.Flagged = confidentOff(p, thr, y, best) // provisional: flagByClass ranks within the class
		if is.Flagged {
			res.EstimatedErrors++
		}
		perClass[y] = append(perClass[y], len(res.Issues))
		res.Issues = append(res.Issues, is)
	}
	flagByClass(res.Issues, perClass)
	slices.SortStableFunc(res.Issues, func(a, b LabelIssue) int { return cmp.Compare(b.Score, a.Score) })
	return res, nil
}

// confidentOff is confident learning's count rule: the point's calibrated
// argmax is another class c whose vote reaches c's threshold.
func confidentOff(p, thr []float64, y, c int) bool {
	return p[c] >= thr[c] && p[c]/thr[c] > p[y]/thr[y]
}

// flagByClass flags, within each class, the highest-scoring points up to
// the number the confident joint counts there (the provisional flags).
func flagByClass(issues []LabelIssue, perClass [][]int) {
	for _, members := range perClass {
		off := 0
		for _, k := range members {
			if issues[k].Flagged {
				off++
			}
			issues[k].Flagged = false
		}
		slices.SortFunc(members, func(a, b int) int { return cmp.Compare(issues[b].Score, issues[a].Score) })
		for _, k := range members[:off] {
			issues[k].Flagged = true
		}
	}
}

func (o LabelErrorOptions) check(n, nLabels int) error {
	var errs []error
	if nLabels != n {
		errs = append(errs, invalid("%d labels for %d points", nLabels, n))
	}
	if o.Predictions != nil && len(o.Predictions) != n {
		errs = append(errs, invalid("%d predictions for %d points", len(o.Predictions), n))
	}
	if o.Confidence != nil && (o.Predictions == nil || len(o.Confidence) != n) {
		errs = append(errs, invalid("confidence needs predictions and one value per point"))
	}
	for i, c := range o.Confidence {
		if !(c >= 0 && c <= 1) {
			errs = append(errs, invalid("confidence %d is %v, not in [0, 1]", i, c))
			break
		}
	}
	if o.Smoothing < 0 || o.ModelWeight < 0 || o.ModelWeight > 1 {
		errs = append(errs, invalid("smoothing %v must be >= 0 and model_weight %v in [0, 1]", o.Smoothing, o.ModelWeight))
	}
	return errors.Join(errs...)
}

// classIndex maps labels to dense ids in sorted class order; "" is -1.
func classIndex(labels []string) ([]string, []int) {
	set := map[string]int{}
	for _, l := range labels {
		if l != "" {
			set[l] = 0
		}
	}
	classes := make([]string, 0, len(set))
	for c := range set {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for i, c := range classes {
		set[c] = i
	}
	ids := make([]int, len(labels))
	for i, l := range labels {
		ids[i] = -1
		if l != "" {
			ids[i] = set[l]
		}
	}
	return classes, ids
}

// votes returns each point's smoothed class distribution (row-major n×C)
// and its raw label agreement. A prediction of a class no point is labelled
// with is ignored.
func votes(ctx context.Context, g *Graph, ids []int, classes []string, o LabelErrorOptions) ([]float64, []float64, error) {
	n, C := g.Len(), len(classes)
	k := o.K
	if k <= 0 {
		k = g.K
	}
	alpha := o.Smoothing
	if alpha == 0 {
		alpha = 1
	}
	prior := make([]float64, C)
	tot := 0
	for _, y := range ids {
		if y >= 0 {
			prior[y]++
			tot++
		}
	}
	for c := range prior {
		prior[c] /= float64(tot)
	}
	w := o.ModelWeight
	if w == 0 {
		w = 0.5
	}
	var predIDs []int
	if o.Predictions != nil {
		predIDs = make([]int, n)
		for i, p := range o.Predictions {
			predIDs[i] = -1
			if c, ok := slices.BinarySearch(classes, p); ok {
				predIDs[i] = c
			}
		}
	}
	probs := make([]float64, n*C)
	agree := make([]float64, n)
	err := parallelFor(ctx, n, o.Options, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			p := probs[i*C : (i+1)*C]
			got, same := 0, 0
			for _, nb := range g.Neighbors[i] {
				if got == k {
					break
				}
				if y := ids[nb]; y >= 0 {
					p[y]++
					got++
					if y == ids[i] {
						same++
					}
				}
			}
			if got > 0 {
				agree[i] = float64(same) / float64(got)
			}
			for c := range p {
				p[c] = (p[c] + alpha*prior[c]) / (float64(got) + alpha)
			}
			if predIDs != nil && predIDs[i] >= 0 {
				conf := 1.0
				if o.Confidence != nil {
					conf = o.Confidence[i]
				}
				for c := range p {
					m := (1 - conf) / float64(C-1)
					if c == predIDs[i] {
						m = conf
					}
					p[c] = (1-w)*p[c] + w*m
				}
			}
		}
		return nil
	})
	return probs, agree, err
}
