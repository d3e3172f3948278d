package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func metaOf(t *testing.T, e *Engine, id string) map[string]any {
	t.Helper()
	p, err := e.Point(context.Background(), "ds", id)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if len(p.Metadata) > 0 {
		if err := json.Unmarshal(p.Metadata, &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestUpdateMetadataKeepsVectors(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 50, 4, "l2")
	ctx := context.Background()
	before, _ := e.Point(ctx, "ds", "p0003")
	res, err := e.UpdateMetadata(ctx, "ds", MetadataUpdate{IDs: []string{"p0003", "p0004"},
		Set: map[string]json.RawMessage{"label": json.RawMessage(`"cat"`)}, Unset: []string{"split"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 2 || res.Changed != 2 || res.Seq == 0 {
		t.Fatalf("result %+v", res)
	}
	after, _ := e.Point(ctx, "ds", "p0003")
	if !slices.Equal(before.Vectors["emb"], after.Vectors["emb"]) {
		t.Fatal("a metadata update changed the vector")
	}
	m := metaOf(t, e, "p0003")
	if m["label"] != "cat" || m["n"] != 3.0 || m["split"] != nil {
		t.Fatalf("metadata %v", m)
	}
	// The same update again changes nothing and takes no sequence number.
	res, err = e.UpdateMetadata(ctx, "ds", MetadataUpdate{IDs: []string{"p0003"}, Set: map[string]json.RawMessage{"label": json.RawMessage(`"cat"`)}})
	if err != nil || res.Changed != 0 || res.Seq != 0 {
		t.Fatalf("repeat: %+v, %v", res, err)
	}
	// One missing id fails the whole update.
	_, err = e.UpdateMetadata(ctx, "ds", MetadataUpdate{IDs: []string{"p0005", "nope"}, Set: map[string]json.RawMessage{"x": json.RawMessage(`1`)}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing id: %v", err)
	}
	if _, ok := metaOf(t, e, "p0005")["x"]; ok {
		t.Fatal("part of a failed update was written")
	}
	mustCheck(t, e)
}

func TestUpdateMetadataByFilter(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 100, 4, "l2")
	ctx := context.Background()
	res, err := e.UpdateMetadata(ctx, "ds", MetadataUpdate{Filter: Filter{"metadata.n": map[string]any{"$lt": 10.0}},
		Set: map[string]json.RawMessage{"early": json.RawMessage(`true`)}})
	if err != nil || res.Matched != 10 || res.Changed != 10 {
		t.Fatalf("%+v %v", res, err)
	}
	s, err := e.Search(ctx, "ds", SearchRequest{Space: "emb", ID: "p0050", K: 100, Filter: Filter{"metadata.early": true}})
	if err != nil || len(s.Hits) != 10 {
		t.Fatalf("search after update: %d hits, %v", len(s.Hits), err)
	}
	res, err = e.UpdateMetadata(ctx, "ds", MetadataUpdate{Filter: Filter{"metadata.nn": 1.0}, Set: map[string]json.RawMessage{"x": json.RawMessage(`1`)}})
	if err != nil || res.Matched != 0 || len(res.Warnings) != 1 {
		t.Fatalf("misspelt filter: %+v %v", res, err)
	}
	mustCheck(t, e)
}

func TestUpdateMetadataValidation(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 5, 4, "l2")
	big := json.RawMessage(`"` + fmt.Sprintf("%070000d", 0) + `"`)
	tests := []struct {
		name  string
		u     MetadataUpdate
		field string
	}{
		{"no selector", MetadataUpdate{Set: map[string]json.RawMessage{"a": json.RawMessage(`1`)}}, "ids"},
		{"both selectors", MetadataUpdate{IDs: []string{"p0001"}, Filter: Filter{}, Set: map[string]json.RawMessage{"a": json.RawMessage(`1`)}}, "filter"},
		{"nothing to do", MetadataUpdate{IDs: []string{"p0001"}}, "set"},
		{"bad json", MetadataUpdate{IDs: []string{"p0001"}, Set: map[string]json.RawMessage{"a": json.RawMessage(`{`)}}, "set.a"},
		{"set and unset", MetadataUpdate{IDs: []string{"p0001"}, Set: map[string]json.RawMessage{"a": json.RawMessage(`1`)}, Unset: []string{"a"}}, "unset[0]"},
		{"empty id", MetadataUpdate{IDs: []string{""}, Set: map[string]json.RawMessage{"a": json.RawMessage(`1`)}}, "ids[0]"},
		{"too big", MetadataUpdate{IDs: []string{"p0001"}, Set: map[string]json.RawMessage{"a": big}}, "set.a"},
		{"bad filter", MetadataUpdate{Filter: Filter{"x": 1.0}, Set: map[string]json.RawMessage{"a": json.RawMessage(`1`)}}, "filter.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.UpdateMetadata(context.Background(), "ds", tt.u)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want field %s", err, tt.field)
			}
		})
	}
	mustCheck(t, e)
}

func TestUpsertNeverDropsVectorsImplicitly(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 5, 4, "l2")
	ctx := context.Background()
	before, _ := e.Point(ctx, "ds", "p0001")
	_, err := e.Upsert(ctx, "ds", []PointInput{{ID: "p0001", Metadata: json.RawMessage(`{"label":"cat"}`)}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "points[0].vectors.emb" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("metadata-only replace: %v", err)
	}
	res, err := e.UpsertMode(ctx, "ds", []PointInput{{ID: "p0001", Metadata: json.RawMessage(`{"label":"cat"}`)}}, ModeMerge)
	if err != nil || res.Upserted != 1 {
		t.Fatalf("merge: %+v %v", res, err)
	}
	after, _ := e.Point(ctx, "ds", "p0001")
	if !slices.Equal(before.Vectors["emb"], after.Vectors["emb"]) || metaOf(t, e, "p0001")["label"] != "cat" {
		t.Fatalf("merge lost the vector or ignored metadata: %+v", after)
	}
	// A new point without vectors is fine; so is a replace that sends them.
	if _, err := e.Upsert(ctx, "ds", []PointInput{{ID: "fresh"}, {ID: "p0002", Vectors: map[string][]float32{"emb": {1, 2, 3, 4}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpsertMode(ctx, "ds", []PointInput{{ID: "p0003"}}, "upsert"); !errors.As(err, &fe) || fe.Field != "mode" {
		t.Fatalf("bad mode: %v", err)
	}
	mustCheck(t, e)
}

// TestConcurrentUpdatesLoseNothing runs metadata updates of distinct keys,
// tag toggles and vector rewrites on the same points at once: every update
// must survive and every vector must be the last one written.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	const n, rounds = 20, 30
	seed(t, e, n, 4, "l2")
	ctx := context.Background()
	pids := make([]string, n)
	for i := range pids {
		pids[i] = fmt.Sprintf("p%04d", i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*rounds)
	for g := range 4 { // metadata writers, one key each
		wg.Go(func() {
			for r := range rounds {
				_, err := e.UpdateMetadata(ctx, "ds", MetadataUpdate{IDs: pids,
					Set: map[string]json.RawMessage{fmt.Sprintf("k%d", g): json.RawMessage(fmt.Sprint(r))}})
				errs <- err
			}
		})
	}
	for g := range 2 { // taggers: each adds its own tags, one per round
		wg.Go(func() {
			for r := range rounds {
				tag := fmt.Sprintf("t%d-%d", g, r)
				_, err := e.UpdateMetadata(ctx, "ds", MetadataUpdate{IDs: pids, Edit: func(_ string, m map[string]json.RawMessage) (bool, error) {
					var tags []string
					json.Unmarshal(m["tags"], &tags)
					m["tags"], _ = json.Marshal(append(tags, tag))
					return true, nil
				}})
				errs <- err
			}
		})
	}
	last := make([][][]float32, 2) // per vector writer, per round
	for g := range 2 {             // vector writers on disjoint halves
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for range rounds {
				var pts []PointInput
				var vs [][]float32
				for i := g; i < n; i += 2 {
					v := randVec(r, 4)
					vs = append(vs, v)
					pts = append(pts, PointInput{ID: pids[i], Vectors: map[string][]float32{"emb": v}})
				}
				_, err := e.UpsertMode(ctx, "ds", pts, ModeMerge)
				errs <- err
				last[g] = vs
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range pids {
		m := metaOf(t, e, id)
		for g := range 4 {
			if m[fmt.Sprintf("k%d", g)] != float64(rounds-1) {
				t.Fatalf("%s: k%d = %v, want %d", id, g, m[fmt.Sprintf("k%d", g)], rounds-1)
			}
		}
		tags, _ := m["tags"].([]any)
		if len(tags) != 2*rounds {
			t.Fatalf("%s: %d tags, want %d", id, len(tags), 2*rounds)
		}
		if m["split"] == nil || m["n"] != float64(i) {
			t.Fatalf("%s: seeded metadata lost: %v", id, m)
		}
		p, _ := e.Point(ctx, "ds", id)
		if want := last[i%2][i/2]; !slices.Equal(p.Vectors["emb"], want) {
			t.Fatalf("%s: vector %v, want last written %v", id, p.Vectors["emb"], want)
		}
	}
	mustCheck(t, e)
}
