package view

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/reef-ml/reef/engine"
)

func TestViewSimilarMaxDistance(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 900, 8) // 300 rows a cluster, 10 apart
	pos := []int{0, 3, 6}
	all, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: pos, K: 897})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Hits) != 897 {
		t.Fatalf("k=897: %d hits", len(all.Hits))
	}
	within := func(d float64) []int {
		var rows []int
		for _, h := range all.Hits {
			if float64(*h.Distance) <= d {
				rows = append(rows, h.Row)
			}
		}
		slices.Sort(rows)
		return rows
	}
	cut := float64(*all.Hits[150].Distance)
	tests := []struct {
		name   string
		k      int
		maxD   float64
		want   []int
		capped bool
	}{
		// The whole cluster is within 5: more than the default k (100) and
		// the first probe (256), so the search has to widen.
		{"cluster", 0, 5, within(5), false},
		{"half a cluster", 0, cut, within(cut), false},
		{"capped by k", 20, 5, nil, true},
		{"nothing that near", 0, -1, nil, false},
	}
	for _, tt := range tests {
		d := tt.maxD
		res, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: pos, K: tt.k, MaxDistance: &d})
		if err != nil {
			t.Fatal(err)
		}
		var rows []int
		for _, h := range res.Hits {
			if *h.Distance > float32(d) || slices.Contains(pos, h.Row) {
				t.Fatalf("%s: hit %+v (distance over %g or a positive)", tt.name, h, d)
			}
			rows = append(rows, h.Row)
		}
		slices.Sort(rows)
		if res.Capped != tt.capped {
			t.Errorf("%s: capped = %v", tt.name, res.Capped)
		}
		if tt.capped {
			if len(rows) != tt.k {
				t.Errorf("%s: %d hits, want k=%d", tt.name, len(rows), tt.k)
			}
			continue
		}
		if !slices.Equal(rows, tt.want) {
			t.Errorf("%s: %d hits, want the %d rows within %g", tt.name, len(rows), len(tt.want), d)
		}
	}
	if n := len(within(5)); n != 297 {
		t.Fatalf("cluster 0 has %d other rows within 5, want 297", n)
	}
}

func TestViewSimilarIncludeSelection(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 300, 8)
	pos := []int{0, 3, 6}
	res, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: pos, Negative: []int{1}, K: 10, IncludeSelection: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Selection != 3 || len(res.Hits) != 13 {
		t.Fatalf("selection %d, %d hits; want 3 and 3+10", res.Selection, len(res.Hits))
	}
	for i, h := range res.Hits {
		if i < 3 && h.Row != pos[i] {
			t.Fatalf("hit %d is row %d, want the selection first", i, h.Row)
		}
		if i >= 3 && (slices.Contains(pos, h.Row) || h.Row%3 != 0) {
			t.Fatalf("similar hit %+v", h)
		}
		// A positive's distance is its own to the query (the query lies
		// 5 off the cluster, away from the negative), not 0; hits are
		// nearest first after the selection.
		if h.Distance == nil || *h.Distance < 4 || *h.Distance > 7 || (i > 3 && *h.Distance < *res.Hits[i-1].Distance) {
			t.Fatalf("hit %d distance %v", i, *h.Distance)
		}
	}
	off, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: pos, Negative: []int{1}, K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if off.Selection != 0 || len(off.Hits) != 10 || off.Hits[0].Row != res.Hits[3].Row {
		t.Fatalf("without the selection: %d hits, selection %d", len(off.Hits), off.Selection)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		_, err := e.ViewSimilar(ctx, "ds", ViewSimilarRequest{ViewRef: ref, Positive: pos, MaxDistance: &bad})
		var fe *engine.FieldError
		if !errors.Is(err, engine.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "max_distance" {
			t.Errorf("max_distance %v: %v", bad, err)
		}
	}
}
