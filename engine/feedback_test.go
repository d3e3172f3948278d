package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFeedbackNoWorseThanExamples: accepting and rejecting the query's own
// examples ranks at least as well as sending them as positives and
// negatives (issue 15: 3 sandals / 3 sneakers gave precision@100 0.89 as
// examples and 0.17 as feedback). Two neighbouring classes among others,
// in 64 dimensions.
func TestFeedbackNoWorseThanExamples(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ctx := context.Background()
	e.CreateDataset(ctx, "ds")
	if _, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "s", Dim: 64, Metric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	const classes, per, dim = 8, 150, 64
	centre := make([][]float32, classes)
	for c := range centre {
		centre[c] = randVec(r, dim)
	}
	for i := range dim { // class 1 is class 0's close neighbour (sandal vs sneaker)
		centre[1][i] = centre[0][i] + 0.35*float32(r.NormFloat64())
	}
	var pts []PointInput
	for c := range classes {
		for i := range per {
			v := make([]float32, dim)
			for j := range v {
				v[j] = centre[c][j] + 0.45*float32(r.NormFloat64())
			}
			pts = append(pts, PointInput{ID: fmt.Sprintf("c%d-%03d", c, i), Vectors: map[string][]float32{"s": v}})
		}
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
	ids := func(c int, n ...int) []Target {
		var out []Target
		for _, i := range n {
			out = append(out, Target{ID: fmt.Sprintf("c%d-%03d", c, i)})
		}
		return out
	}
	precision := func(req SearchRequest) float64 {
		res, err := e.Search(ctx, "ds", req)
		if err != nil {
			t.Fatal(err)
		}
		hit := 0
		for _, h := range res.Hits {
			if strings.HasPrefix(h.ID, "c0-") {
				hit++
			}
		}
		return float64(hit) / float64(req.K)
	}
	examples := precision(SearchRequest{Space: "s", K: 100, Positive: ids(0, 0, 1, 2), Negative: ids(1, 0, 1, 2)})
	feedback := precision(SearchRequest{Space: "s", K: 100, Positive: ids(0, 0),
		Feedback: &Feedback{Accept: ids(0, 1, 2), Reject: ids(1, 0, 1, 2)}})
	t.Logf("precision@100: as examples %.2f, as feedback %.2f", examples, feedback)
	if examples < 0.6 {
		t.Fatalf("the setup is too hard to compare: examples reach only %.2f", examples)
	}
	if feedback < examples-0.02 {
		t.Fatalf("feedback ranks worse than the same examples: %.2f < %.2f", feedback, examples)
	}
}
