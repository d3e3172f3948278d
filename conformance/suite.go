package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/understand"
)

// Opener returns the options of a fresh engine on the store under test
// (engine.Options.Store set, or nil for the embedded store) and a data
// directory of the test's own.
type Opener func(t *testing.T) engine.Options

const (
	dim    = 8
	points = 200
	space  = "emb"
)

// Gap is a scenario a store is known to fail, with the reason, so that a
// run says what is missing instead of hiding it.
type Gap struct{ Scenario, Reason string }

// Run runs every scenario against the store that open plugs in; those
// named in gaps are skipped with their reason.
func Run(t *testing.T, open Opener, gaps ...Gap) {
	ctx := context.Background()
	eng, err := engine.Open(ctx, open(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *engine.Engine, string)
	}{
		{"create", testCreate},
		{"upsert", testUpsert},
		{"merge_metadata", testMergeMetadata},
		{"filtered_search", testFilteredSearch},
		{"multi_target", testMultiTarget},
		{"delete", testDelete},
		{"outliers", testOutliers},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for _, g := range gaps {
				if g.Scenario == sc.name {
					t.Skip("known gap: " + g.Reason)
				}
			}
			sc.run(t, eng, "conf_"+sc.name)
		})
	}
}

// fixture is what a scenario wrote, to compute expected answers from.
type fixture struct {
	vecs  map[string][]float32
	split map[string]string
	score map[string]float64
}

// seed creates dataset ds with one cosine space and points random points.
func seed(t *testing.T, e *engine.Engine, ds string) fixture {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, ds); err != nil {
		t.Fatalf("create dataset: %v", err)
	}
	if _, err := e.CreateSpace(ctx, ds, engine.SpaceSpec{Name: space, Dim: dim, Metric: "cosine", Provenance: "user"}); err != nil {
		t.Fatalf("create space: %v", err)
	}
	r := rand.New(rand.NewPCG(7, uint64(len(ds))))
	f := fixture{vecs: map[string][]float32{}, split: map[string]string{}, score: map[string]float64{}}
	batch := make([]engine.PointInput, points)
	for i := range batch {
		id := fmt.Sprintf("p%04d", i)
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		split := []string{"train", "test"}[i%2]
		score := float64(i) / points
		md, _ := json.Marshal(map[string]any{"split": split, "score": score, "label": fmt.Sprintf("c%d", i%5)})
		batch[i] = engine.PointInput{ID: id, Metadata: md, Vectors: map[string][]float32{space: v}}
		f.vecs[id], f.split[id], f.score[id] = v, split, score
	}
	if _, err := e.Upsert(ctx, ds, batch); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	return f
}

func testCreate(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateDataset(ctx, ds); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	if _, err := e.CreateSpace(ctx, ds, engine.SpaceSpec{Name: space, Dim: dim, Metric: "l2", Provenance: "model-x", ModelVersion: "3"}); err != nil {
		t.Fatal(err)
	}
	info, err := e.Dataset(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Spaces) != 1 || info.Spaces[0].Dim != dim || info.Spaces[0].Metric != "l2" ||
		info.Spaces[0].Provenance != "model-x" || info.Spaces[0].ModelVersion != "3" || info.Points != 0 {
		t.Fatalf("dataset = %+v", info)
	}
	list, err := e.Datasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list, func(d engine.DatasetInfo) bool { return d.Name == ds }) {
		t.Fatalf("Datasets lacks %q", ds)
	}
}

func testUpsert(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	f := seed(t, e, ds)
	info, err := e.Dataset(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	if info.Points != points || info.Spaces[0].PointVectors != points {
		t.Fatalf("after upsert: %d points, %d vectors, want %d", info.Points, info.Spaces[0].PointVectors, points)
	}
	p, err := e.Point(ctx, ds, "p0007")
	if err != nil {
		t.Fatal(err)
	}
	if !close32(p.Vectors[space], f.vecs["p0007"]) {
		t.Fatalf("vector of p0007 = %v, want %v", p.Vectors[space], f.vecs["p0007"])
	}
	var md map[string]any
	if err := json.Unmarshal(p.Metadata, &md); err != nil || md["split"] != f.split["p0007"] || md["label"] != "c2" {
		t.Fatalf("metadata of p0007 = %s (%v)", p.Metadata, err)
	}
	// A replace that would drop the stored vector is refused, and changes nothing.
	_, err = e.Upsert(ctx, ds, []engine.PointInput{{ID: "p0007", Metadata: json.RawMessage(`{"x":1}`)}})
	if !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("replace without the vector: got %v, want ErrInvalid", err)
	}
	if _, err := e.Point(ctx, ds, "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("missing point: got %v, want ErrNotFound", err)
	}
}

func testMergeMetadata(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	f := seed(t, e, ds)
	res, err := e.UpdateMetadata(ctx, ds, engine.MetadataUpdate{IDs: []string{"p0001", "p0002"}, Set: map[string]json.RawMessage{"reviewed": json.RawMessage(`true`)}})
	if err != nil || res.Matched != 2 || res.Changed != 2 {
		t.Fatalf("update by ids: %+v %v", res, err)
	}
	res, err = e.UpdateMetadata(ctx, ds, engine.MetadataUpdate{Filter: engine.Filter{"metadata.split": "test"}, Set: map[string]json.RawMessage{"tag": json.RawMessage(`"x"`)}, Unset: []string{"label"}})
	if err != nil || res.Matched != points/2 || res.Changed != points/2 {
		t.Fatalf("update by filter: %+v %v", res, err)
	}
	for _, id := range []string{"p0001", "p0002"} {
		p, err := e.Point(ctx, ds, id)
		if err != nil {
			t.Fatal(err)
		}
		var md map[string]any
		if err := json.Unmarshal(p.Metadata, &md); err != nil {
			t.Fatal(err)
		}
		_, hasLabel := md["label"]
		test := f.split[id] == "test"
		if md["reviewed"] != true || md["split"] != f.split[id] || (md["tag"] == "x") != test || hasLabel == test {
			t.Fatalf("metadata of %s = %s", id, p.Metadata)
		}
		if !close32(p.Vectors[space], f.vecs[id]) {
			t.Fatalf("a metadata update changed the vector of %s", id)
		}
	}
}

func testFilteredSearch(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	f := seed(t, e, ds)
	q := f.vecs["p0010"]
	for _, tc := range []struct {
		filter engine.Filter
		keep   func(id string) bool
	}{
		{engine.Filter{"metadata.split": "test"}, func(id string) bool { return f.split[id] == "test" }},
		{engine.Filter{"metadata.score": map[string]any{"$gte": 0.5}}, func(id string) bool { return f.score[id] >= 0.5 }},
		{engine.Filter{"$or": []any{map[string]any{"metadata.label": "c1"}, map[string]any{"metadata.label": "c3"}}},
			func(id string) bool { n := 0; fmt.Sscanf(id, "p%d", &n); return n%5 == 1 || n%5 == 3 }},
	} {
		res, err := e.Search(ctx, ds, engine.SearchRequest{Space: space, Vector: q, K: 10, Filter: tc.filter})
		if err != nil {
			t.Fatalf("filter %v: %v", tc.filter, err)
		}
		want := exactTop(f, q, 10, tc.keep)
		if got := hitIDs(res.Hits); !slices.Equal(got, want) {
			t.Fatalf("filter %v: hits %v, exact %v", tc.filter, got, want)
		}
	}
	res, err := e.Search(ctx, ds, engine.SearchRequest{Space: space, Vector: q, K: 5, Filter: engine.Filter{"metadata.nosuch": "x"}})
	if err != nil || len(res.Hits) != 0 || len(res.Warnings) == 0 {
		t.Fatalf("filter on a missing field: %d hits, warnings %v, %v", len(res.Hits), res.Warnings, err)
	}
}

func testMultiTarget(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	seed(t, e, ds)
	res, err := e.Search(ctx, ds, engine.SearchRequest{Space: space, K: 10,
		Positive: []engine.Target{{ID: "p0003"}, {ID: "p0004"}}, Negative: []engine.Target{{ID: "p0005"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 10 {
		t.Fatalf("%d hits, want 10", len(res.Hits))
	}
	for i, h := range res.Hits {
		if h.ID == "p0003" || h.ID == "p0004" || h.ID == "p0005" {
			t.Fatalf("an example came back as a result: %s", h.ID)
		}
		if h.Score == nil || (i > 0 && *h.Score > *res.Hits[i-1].Score) {
			t.Fatalf("hits not ordered by score: %v", res.Hits)
		}
	}
}

func testDelete(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	f := seed(t, e, ds)
	q := f.vecs["p0020"]
	before, err := e.Search(ctx, ds, engine.SearchRequest{Space: space, Vector: q, K: 5, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	gone := hitIDs(before.Hits)
	if _, err := e.DeletePoints(ctx, ds, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeletePoints(ctx, ds, []string{"p0100", "nope"}); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("delete with a missing id: got %v, want ErrNotFound", err)
	}
	if _, err := e.Point(ctx, ds, "p0100"); err != nil {
		t.Fatalf("a refused delete removed p0100: %v", err)
	}
	after, err := e.Search(ctx, ds, engine.SearchRequest{Space: space, Vector: q, K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range after.Hits {
		if slices.Contains(gone, h.ID) {
			t.Fatalf("deleted %s is still found", h.ID)
		}
	}
	info, err := e.Dataset(ctx, ds)
	if err != nil || info.Points != points-len(gone) {
		t.Fatalf("after delete: %+v %v", info, err)
	}
}

func testOutliers(t *testing.T, e *engine.Engine, ds string) {
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, ds, engine.SpaceSpec{Name: space, Dim: dim, Metric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	// A tight bundle around one direction, and one point pointing away.
	r := rand.New(rand.NewPCG(1, 2))
	batch := make([]engine.PointInput, points)
	for i := range batch {
		v := make([]float32, dim)
		v[0] = 1
		for j := range v {
			v[j] += 0.1 * float32(r.NormFloat64())
		}
		batch[i] = engine.PointInput{ID: fmt.Sprintf("p%04d", i), Vectors: map[string][]float32{space: v}}
	}
	far := make([]float32, dim)
	far[0], far[1] = -1, 0.5
	batch = append(batch, engine.PointInput{ID: "far", Vectors: map[string][]float32{space: far}})
	if _, err := e.Upsert(ctx, ds, batch); err != nil {
		t.Fatal(err)
	}
	res, err := understand.New(e).Outliers(ctx, ds, understand.OutliersRequest{Space: space, K: 5, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Points != points+1 || len(res.Outliers) == 0 || res.Outliers[0].ID != "far" {
		t.Fatalf("outliers of %d points: %+v", res.Points, res.Outliers)
	}
}

// exactTop is the k nearest ids by cosine distance among those keep accepts.
func exactTop(f fixture, q []float32, k int, keep func(string) bool) []string {
	type scored struct {
		id string
		d  float64
	}
	var all []scored
	for id, v := range f.vecs {
		if keep(id) {
			all = append(all, scored{id, cosineDistance(q, v)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d < all[j].d })
	var out []string
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.id)
	}
	return out
}

func cosineDistance(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return 1 - dot/math.Sqrt(na*nb)
}

func hitIDs(hs []engine.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

// close32 compares vectors up to float32 rounding (a store may normalise).
func close32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5*max(1, math.Abs(float64(b[i]))) {
			return false
		}
	}
	return true
}
