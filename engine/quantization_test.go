package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSpaceQuantizationAndDefaultEf: "quantization":"sq8" reaches the index
// (exact distances come back) and survives a reopen; a bad one is a 400
// naming index.quantization; the self-tuned default ef is reported.
func TestSpaceQuantizationAndDefaultEf(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir)
	ctx := context.Background()
	e.CreateDataset(ctx, "ds")
	_, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "bad", Dim: 8, Metric: "l2", Index: IndexSpec{Quantization: "sq4"}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "index.quantization" {
		t.Fatalf("bad quantization: %v", err)
	}
	if _, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "q", Dim: 8, Metric: "l2", Index: IndexSpec{Quantization: "sq8"}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	var pts []PointInput
	for i := range 3000 {
		pts = append(pts, PointInput{ID: fmt.Sprint(i), Vectors: map[string][]float32{"q": randVec(r, 8)}})
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
	q := randVec(r, 8)
	approx, err := e.Search(ctx, "ds", SearchRequest{Space: "q", Vector: q, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := e.Search(ctx, "ds", SearchRequest{Space: "q", Vector: q, K: 5, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if approx.Hits[0].ID != exact.Hits[0].ID || approx.Hits[0].Distance != exact.Hits[0].Distance {
		t.Fatalf("sq8 top hit %+v, exact %+v: the re-rank must give exact distances", approx.Hits[0], exact.Hits[0])
	}
	info, _ := e.Dataset(ctx, "ds")
	if info.Spaces[0].Index.Quantization != "sq8" || info.Spaces[0].Index.DefaultEf <= 0 {
		t.Fatalf("space info %+v", info.Spaces[0].Index)
	}
	e.Close()
	e2 := openEngine(t, dir)
	defer e2.Close()
	info, _ = e2.Dataset(ctx, "ds")
	if info.Spaces[0].Index.Quantization != "sq8" {
		t.Fatalf("after reopen %+v", info.Spaces[0].Index)
	}
}
