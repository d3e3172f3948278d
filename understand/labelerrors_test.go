package understand

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// TestLabelErrorsObjectLevel scores label objects by their class; inference
// objects in the same space are neighbours but never scored.
func TestLabelErrorsObjectLevel(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ctx := context.Background()
	e.CreateDataset(ctx, "ds")
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: 6, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 3))
	vec := func(c int) []float32 {
		v := make([]float32, 6)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		v[c] += 8
		return v
	}
	var pts []engine.PointInput
	flipped := map[string]bool{}
	for i := range 80 {
		c := i % 2
		class := []string{"a", "b"}[c]
		if i%20 == 0 {
			class = "b" // i%20 == 0 is in cluster 0
			flipped[fmt.Sprintf("p%02d/l", i)] = true
		}
		pts = append(pts, engine.PointInput{ID: fmt.Sprintf("p%02d", i), Objects: []engine.ObjectInput{
			{ID: "l", Kind: engine.KindLabel, Class: class, BBox: [4]float32{0, 0, 1, 1}, Vectors: map[string][]float32{"emb": vec(c)}},
			{ID: "i", Kind: engine.KindInference, Class: "a", BBox: [4]float32{0, 0, 1, 1}, Vectors: map[string][]float32{"emb": vec(c)}},
		}})
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
	res, err := e.LabelErrors(ctx, "ds", LabelErrorsRequest{Space: "emb", Level: "object", K: 10, Limit: 80})
	if err != nil {
		t.Fatal(err)
	}
	if res.Points != 160 || res.Labelled != 80 || len(res.Issues) != 80 {
		t.Fatalf("points %d labelled %d issues %d, want 160 80 80", res.Points, res.Labelled, len(res.Issues))
	}
	for _, is := range res.Issues[:len(flipped)] {
		if !flipped[is.ID+"/"+is.ObjectID] || is.Suggested != "a" {
			t.Errorf("top issue %s/%s (label %s, suggested %s) is not a flipped label", is.ID, is.ObjectID, is.Label, is.Suggested)
		}
	}
	for _, is := range res.Issues {
		if is.ObjectID != "l" {
			t.Fatalf("inference object %s/%s scored", is.ID, is.ObjectID)
		}
	}
	if _, err := e.LabelErrors(ctx, "ds", LabelErrorsRequest{Space: "emb", Level: "object", LabelField: "y"}); err == nil {
		t.Error("label_field accepted at object level")
	}
	mustCheck(t, e)
}
