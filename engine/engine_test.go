package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/reef-ml/reef/storage"
)

func testOptions(dir string) Options {
	o := DefaultOptions()
	o.DataDir, o.NoSync, o.SnapshotInterval = dir, true, 0
	return o
}

// openEngine opens dir for a test and, when the test ends, runs the
// consistency check on the engine (if the test left it open) and again on
// the data directory reopened: every test that writes ends checked, on what
// it left in memory and on what it left on disk.
func openEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	e := openEngineUnchecked(t, dir)
	t.Cleanup(func() {
		if !e.isClosed() {
			mustCheck(t, e)
			if err := e.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
		re, err := Open(context.Background(), testOptions(dir))
		if err != nil {
			t.Errorf("reopening after the test: %v", err)
			return
		}
		defer re.Close()
		mustCheck(t, re)
	})
	return e
}

// openEngineUnchecked is openEngine for tests that damage the index on
// purpose.
func openEngineUnchecked(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(context.Background(), testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// isClosed is true after Close and after a test's simulated crash (its
// storage closed under it).
func (e *Engine) isClosed() bool {
	e.mu.RLock()
	closed := e.closed
	e.mu.RUnlock()
	_, err := e.db.Seq()
	return closed || errors.Is(err, storage.ErrClosed)
}

// mustCheck is the storage/index consistency check every writing test ends with.
func mustCheck(t *testing.T, e *Engine) {
	t.Helper()
	rep, err := e.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("consistency check: %v", rep.Problems)
	}
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func seed(t *testing.T, e *Engine, n, dim int, metric string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "emb", Dim: dim, Metric: metric}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]PointInput, n)
	for i := range pts {
		split := "train"
		if i%4 == 0 {
			split = "test"
		}
		pts[i] = PointInput{ID: fmt.Sprintf("p%04d", i), Metadata: json.RawMessage(fmt.Sprintf(`{"split":%q,"n":%d}`, split, i)),
			Vectors: map[string][]float32{"emb": randVec(r, dim)}}
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSearchMatchesExactAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir)
	seed(t, e, 2000, 16, "l2")
	ctx := context.Background()
	q := SearchRequest{Space: "emb", ID: "p0007", K: 10, Ef: 200}
	approx, err := e.Search(ctx, "ds", q)
	if err != nil {
		t.Fatal(err)
	}
	q.Exact = true
	exact, err := e.Search(ctx, "ds", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.Hits) != 10 || exact.Hits[0].ID == "p0007" {
		t.Fatalf("exact hits = %v (the query point must be left out)", ids(exact.Hits))
	}
	match := 0
	for _, a := range approx.Hits {
		for _, x := range exact.Hits {
			if a.ID == x.ID {
				match++
			}
		}
	}
	if match < 9 {
		t.Fatalf("approximate search found %d of 10 exact neighbours at ef=200", match)
	}
	mustCheck(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	e = openEngine(t, dir)
	defer e.Close()
	again, err := e.Search(ctx, "ds", SearchRequest{Space: "emb", ID: "p0007", K: 10, Ef: 200})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(again.Hits)) != fmt.Sprint(ids(approx.Hits)) {
		t.Fatalf("after reopen: %v, before: %v", ids(again.Hits), ids(approx.Hits))
	}
	mustCheck(t, e)
}

func TestCorruptSnapshotIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir)
	seed(t, e, 500, 8, "cosine")
	want, _ := e.Search(context.Background(), "ds", SearchRequest{Space: "emb", ID: "p0001", K: 5, Exact: true})
	e.Close()
	snaps, _ := filepath.Glob(filepath.Join(dir, "index", "*", "emb.point.idx"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots = %v", snaps)
	}
	data, _ := os.ReadFile(snaps[0])
	data[len(data)/2] ^= 0xff
	os.WriteFile(snaps[0], data, 0o644)

	e = openEngine(t, dir)
	defer e.Close()
	got, err := e.Search(context.Background(), "ds", SearchRequest{Space: "emb", ID: "p0001", K: 5, Ef: 100})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(got.Hits)) != fmt.Sprint(ids(want.Hits)) {
		t.Fatalf("after rebuild %v, want %v", ids(got.Hits), ids(want.Hits))
	}
	mustCheck(t, e)
}

func TestReplayAfterCrash(t *testing.T) {
	// Writes after the last snapshot live only in storage's change log; a
	// reopen that skips Close (as a crash would) must replay them.
	dir := t.TempDir()
	e := openEngine(t, dir)
	seed(t, e, 300, 8, "l2")
	if err := e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	if _, err := e.Upsert(context.Background(), "ds", []PointInput{{ID: "late", Vectors: map[string][]float32{"emb": randVec(r, 8)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeletePoints(context.Background(), "ds", []string{"p0003"}); err != nil {
		t.Fatal(err)
	}
	// Simulate the crash: close storage without writing snapshots.
	e.closeOnce.Do(func() { close(e.stop); e.db.Close() })

	e = openEngine(t, dir)
	defer e.Close()
	res, err := e.Search(context.Background(), "ds", SearchRequest{Space: "emb", ID: "late", K: 300, Ef: 400})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.ID == "p0003" {
			t.Fatal("a deleted point came back after replay")
		}
	}
	if len(res.Hits) != 299 {
		t.Fatalf("got %d hits, want all 299 other points", len(res.Hits))
	}
	mustCheck(t, e)
}

func TestFilteredSearch(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 1000, 8, "cosine")
	res, err := e.Search(context.Background(), "ds", SearchRequest{Space: "emb", ID: "p0001", K: 20,
		Filter: Filter{"metadata.split": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 20 {
		t.Fatalf("got %d hits", len(res.Hits))
	}
	for _, h := range res.Hits {
		var m struct{ Split string }
		json.Unmarshal(h.Metadata, &m)
		if m.Split != "test" {
			t.Fatalf("hit %s has split %q", h.ID, m.Split)
		}
	}
	res, _ = e.Search(context.Background(), "ds", SearchRequest{Space: "emb", ID: "p0001", K: 5,
		Filter: Filter{"metadata.n": []any{float64(10), float64(20)}}})
	if got := ids(res.Hits); len(got) != 2 {
		t.Fatalf("any-of filter got %v", got)
	}
	mustCheck(t, e)
}

func TestValidationRejectsWholeBatch(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ctx := context.Background()
	e.CreateDataset(ctx, "ds")
	e.CreateSpace(ctx, "ds", SpaceSpec{Name: "c", Dim: 3, Metric: "cosine"})
	good := PointInput{ID: "good", Vectors: map[string][]float32{"c": {1, 2, 3}}}
	nan := float32(math.NaN())
	tests := []struct {
		name  string
		pt    PointInput
		field string
		want  error
	}{
		{"wrong dim", PointInput{ID: "b", Vectors: map[string][]float32{"c": {1, 2}}}, "points[1].vectors.c", ErrDimensionMismatch},
		{"NaN", PointInput{ID: "b", Vectors: map[string][]float32{"c": {1, nan, 3}}}, "points[1].vectors.c[1]", ErrInvalid},
		{"zero under cosine", PointInput{ID: "b", Vectors: map[string][]float32{"c": {0, 0, 0}}}, "points[1].vectors.c", ErrInvalid},
		{"unknown space", PointInput{ID: "b", Vectors: map[string][]float32{"x": {1}}}, "points[1].vectors.x", ErrNotFound},
		{"duplicate id", PointInput{ID: "good"}, "points[1].id", ErrInvalid},
		{"empty id", PointInput{ID: ""}, "points[1].id", ErrInvalid},
		{"metadata not an object", PointInput{ID: "b", Metadata: json.RawMessage(`[1]`)}, "points[1].metadata", ErrInvalid},
		{"bad object kind", PointInput{ID: "b", Objects: []ObjectInput{{Kind: "guess"}}}, "points[1].objects[0].kind", ErrInvalid},
		{"negative box", PointInput{ID: "b", Objects: []ObjectInput{{BBox: [4]float32{0, 0, -1, 2}}}}, "points[1].objects[0].bbox[2]", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Upsert(ctx, "ds", []PointInput{good, tt.pt})
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want field %s (%v)", err, tt.field, tt.want)
			}
			if _, err := e.Point(ctx, "ds", "good"); !errors.Is(err, ErrNotFound) {
				t.Fatal("part of a rejected batch was written")
			}
		})
	}
	if _, err := e.Upsert(ctx, "nope", []PointInput{good}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown dataset: %v", err)
	}
	if _, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "../x", Dim: 0, Metric: "manhattan"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad space: %v", err)
	}
	mustCheck(t, e)
}

func TestObjectsAndImport(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ctx := context.Background()
	e.CreateDataset(ctx, "ds")
	e.CreateSpace(ctx, "ds", SpaceSpec{Name: "s", Dim: 2, Metric: "l2"})
	_, err := e.Upsert(ctx, "ds", []PointInput{{ID: "img1", Metadata: json.RawMessage(`{"camera":"a"}`),
		Objects: []ObjectInput{
			{ID: "cat", Kind: KindLabel, Class: "cat", BBox: [4]float32{0, 0, 10, 10}, Vectors: map[string][]float32{"s": {0, 0}}},
			{ID: "dog", Kind: KindInference, Class: "dog", BBox: [4]float32{5, 5, 10, 10}, Vectors: map[string][]float32{"s": {10, 10}}},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(ctx, "ds", SearchRequest{Space: "s", Level: "object", Vector: []float32{9, 9}, K: 1})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].ObjectID != "dog" || res.Hits[0].Class != "dog" {
		t.Fatalf("object search = %+v, %v", res.Hits, err)
	}
	res, _ = e.Search(ctx, "ds", SearchRequest{Space: "s", Level: "object", Vector: []float32{9, 9}, K: 2, Filter: Filter{"object.kind": "label"}})
	if len(res.Hits) != 1 || res.Hits[0].ObjectID != "cat" {
		t.Fatalf("object filter = %+v", res.Hits)
	}
	// Import adds a point-level vector without touching the objects.
	n, err := e.Import(ctx, "ds", ImportBatch{Space: "s", IDs: []string{"img1", "img2"}, Data: []float32{1, 1, 2, 2}, Dim: 2}, nil)
	if err != nil || n.Upserted != 2 {
		t.Fatalf("import = %+v, %v", n, err)
	}
	p, _ := e.Point(ctx, "ds", "img1")
	if len(p.Objects) != 2 || p.Vectors["s"][0] != 1 || string(p.Metadata) != `{"camera":"a"}` {
		t.Fatalf("after import: %+v", p)
	}
	if _, err := e.Import(ctx, "ds", ImportBatch{Space: "s", IDs: []string{"a", "a"}, Data: []float32{1, 1, 2, 2}, Dim: 2}, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("duplicate import ids: %v", err)
	}
	mustCheck(t, e)
}
