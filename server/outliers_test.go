package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
)

// maskedGroup stores 970 points of a 16-d standard normal and a tight group
// of 30 foreign ones (ids "foreign-…") off to the side: each foreign point's
// nearest neighbours are the other foreign points, which masks them at
// small k.
func maskedGroup(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	ts.eng.CreateDataset(ctx, "mg")
	if _, err := ts.eng.CreateSpace(ctx, "mg", engine.SpaceSpec{Name: "s", Dim: 16, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	var pts []engine.PointInput
	for i := range 1000 {
		v := make([]float32, 16)
		id := fmt.Sprintf("clean-%04d", i)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		if i >= 970 {
			id = fmt.Sprintf("foreign-%02d", i-970)
			for j := range v {
				v[j] *= 0.3
			}
			v[0], v[1] = v[0]+4, v[1]+4
		}
		pts = append(pts, engine.PointInput{ID: id, Vectors: map[string][]float32{"s": v}})
	}
	if _, err := ts.eng.Upsert(ctx, "mg", pts); err != nil {
		t.Fatal(err)
	}
}

type outlierPage struct {
	Points     int
	GraphK     int    `json:"graph_k"`
	NextCursor string `json:"next_cursor"`
	Outliers   []struct {
		ID    string
		Score float64
	}
}

// allOutliers pages through a whole ranking and returns its AUROC for the
// foreign group.
func allOutliers(t *testing.T, ts *testServer, body map[string]any) (float64, outlierPage) {
	t.Helper()
	var scores []float64
	var foreign []bool
	seen := map[string]bool{}
	var first outlierPage
	for cursor := ""; ; {
		body["cursor"] = cursor
		var pg outlierPage
		if code := ts.call("POST", "/v1/datasets/mg/outliers", body, &pg); code != 200 {
			t.Fatalf("outliers %v: %d", body, code)
		}
		if first.Points == 0 {
			first = pg
		}
		for _, o := range pg.Outliers {
			if seen[o.ID] {
				t.Fatalf("%s on two pages", o.ID)
			}
			seen[o.ID] = true
			scores, foreign = append(scores, o.Score), append(foreign, strings.HasPrefix(o.ID, "foreign"))
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(scores) != 1000 {
		t.Fatalf("pages held %d points, want 1000", len(scores))
	}
	auc, err := analysis.AUROC(scores, foreign)
	if err != nil {
		t.Fatal(err)
	}
	return auc, first
}

func TestOutliersMultiScaleFindsMaskedGroup(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	maskedGroup(t, ts)
	knn, _ := allOutliers(t, ts, map[string]any{"space": "s", "k": 10, "limit": 300})
	ms, first := allOutliers(t, ts, map[string]any{"space": "s", "k": 10, "limit": 300, "method": "multiscale"})
	t.Logf("30 foreign in 1000: AUROC knn(k=10) %.3f, multiscale %.3f (graph k %d)", knn, ms, first.GraphK)
	if ms < 0.95 || ms <= knn {
		t.Errorf("multiscale AUROC %.3f (knn %.3f), want >= 0.95 and above knn", ms, knn)
	}
	if first.GraphK != 50 {
		t.Errorf("graph k %d, want 5%% of 1000", first.GraphK)
	}
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"space": "s", "method": "multiscale", "reference": "mg"}, "reference"},
		{map[string]any{"space": "s", "method": "multiscale", "scales": []float64{2}}, "scales"},
		{map[string]any{"space": "s", "scales": []float64{0.1}}, "scales"},
		{map[string]any{"space": "s", "cursor": "zz"}, "cursor"},
		{map[string]any{"space": "s", "limit": 10001}, "limit"},
		{map[string]any{"space": "s", "k": 1001}, "k"},
	} {
		var e errBody
		if code := ts.call("POST", "/v1/datasets/mg/outliers", tt.body, &e); code != 400 || e.Error.Field != tt.field {
			t.Errorf("%v: %d %+v, want field %q", tt.body, code, e.Error, tt.field)
		}
	}
}

func TestDuplicatesPageWithCursor(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ctx := context.Background()
	ts.eng.CreateDataset(ctx, "dup")
	ts.eng.CreateSpace(ctx, "dup", engine.SpaceSpec{Name: "s", Dim: 4, Metric: "l2"})
	r := rand.New(rand.NewPCG(1, 1))
	var pts []engine.PointInput
	for i := range 25 {
		v := []float32{float32(r.NormFloat64() * 10), float32(r.NormFloat64() * 10), float32(r.NormFloat64() * 10), float32(i * 10)}
		w := append([]float32(nil), v...)
		w[0] += 1e-4
		pts = append(pts, engine.PointInput{ID: fmt.Sprintf("a%02d", i), Vectors: map[string][]float32{"s": v}},
			engine.PointInput{ID: fmt.Sprintf("b%02d", i), Vectors: map[string][]float32{"s": w}})
	}
	if _, err := ts.eng.Upsert(ctx, "dup", pts); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	pages := 0
	for cursor := ""; ; pages++ {
		var pg struct {
			Total      int
			NextCursor string `json:"next_cursor"`
			Groups     []struct{ Members []struct{ ID string } }
		}
		if code := ts.call("POST", "/v1/datasets/dup/duplicates", map[string]any{"space": "s", "threshold": 0.01, "limit": 10, "cursor": cursor}, &pg); code != 200 {
			t.Fatalf("%d", code)
		}
		for _, g := range pg.Groups {
			if len(g.Members) != 2 || g.Members[0].ID[1:] != g.Members[1].ID[1:] || seen[g.Members[0].ID] {
				t.Fatalf("group %+v", g)
			}
			seen[g.Members[0].ID] = true
		}
		if pg.Total != 25 {
			t.Fatalf("total %d", pg.Total)
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 25 || pages != 2 {
		t.Errorf("%d groups over %d pages, want 25 over 3", len(seen), pages+1)
	}
}
