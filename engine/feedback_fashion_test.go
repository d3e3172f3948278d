package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/reef-ml/reef/fashionmnist"
)

// TestFeedbackFashionMNIST is the issue-15 case on real data: three
// sandals and three sneakers, as positives/negatives and as feedback,
// ranking 6,000 Fashion-MNIST training images (cosine on raw pixels).
// make test runs it in the non-race pass.
func TestFeedbackFashionMNIST(t *testing.T) {
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("dataset-fashion-mnist not installed (make setup installs it)")
	}
	if raceEnabled {
		t.Skip("real-data figure: make test's non-race pass runs it")
	}
	set, err := fashionmnist.Load(fashionmnist.DefaultDir, "train")
	if err != nil {
		t.Fatal(err)
	}
	const n, sandal, sneaker = 6000, 5, 7
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ctx := context.Background()
	e.CreateDataset(ctx, "fm")
	e.CreateSpace(ctx, "fm", SpaceSpec{Name: "px", Dim: 784, Metric: "cosine"})
	b := ImportBatch{Space: "px", Dim: 784, IDs: make([]string, n), Data: make([]float32, 0, n*784)}
	var sandals, sneakers []Target
	for i := range n {
		b.IDs[i] = fmt.Sprintf("%d-%05d", set.Labels[i], i)
		for _, px := range set.Images[i] {
			b.Data = append(b.Data, float32(px))
		}
		switch {
		case set.Labels[i] == sandal && len(sandals) < 3:
			sandals = append(sandals, Target{ID: b.IDs[i]})
		case set.Labels[i] == sneaker && len(sneakers) < 3:
			sneakers = append(sneakers, Target{ID: b.IDs[i]})
		}
	}
	if _, err := e.Import(ctx, "fm", b, nil); err != nil {
		t.Fatal(err)
	}
	precision := func(req SearchRequest) float64 {
		res, err := e.Search(ctx, "fm", req)
		if err != nil {
			t.Fatal(err)
		}
		hit := 0
		for _, h := range res.Hits {
			if strings.HasPrefix(h.ID, fmt.Sprintf("%d-", sandal)) {
				hit++
			}
		}
		return float64(hit) / float64(req.K)
	}
	examples := precision(SearchRequest{Space: "px", K: 100, Positive: sandals, Negative: sneakers})
	feedback := precision(SearchRequest{Space: "px", K: 100, Positive: sandals[:1],
		Feedback: &Feedback{Accept: sandals[1:], Reject: sneakers}})
	t.Logf("sandals vs sneakers, precision@100: as examples %.2f, as feedback %.2f", examples, feedback)
	if feedback < examples-0.02 {
		t.Fatalf("feedback ranks worse than the same examples: %.2f < %.2f", feedback, examples)
	}
}
