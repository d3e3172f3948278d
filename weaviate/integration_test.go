package weaviate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"
)

func testSpec(name string) CollectionSpec {
	return CollectionSpec{
		Name: name,
		Vectors: []VectorSpec{
			{Name: "pixels", Dim: 8, Metric: "l2", M: 16, EfConstruction: 64, Ef: 64},
			{Name: "clip", Dim: 4, Metric: "cosine"},
		},
		Properties: []PropertySpec{{Name: "split", Type: "text"}, {Name: "score", Type: "number"}},
		Shards:     3, Replicas: 3,
		Meta: map[string]string{"pixels": "user", "clip": "model clip-vit-b32 v1"},
	}
}

func randomObjects(n int, seed uint64) []Object {
	r := rand.New(rand.NewPCG(seed, 1))
	objs := make([]Object, n)
	for i := range objs {
		px, cl := make([]float32, 8), make([]float32, 4)
		for j := range px {
			px[j] = r.Float32()
		}
		for j := range cl {
			cl[j] = r.Float32() + 0.01
		}
		split := "train"
		if i%2 == 1 {
			split = "test"
		}
		objs[i] = Object{
			ID:         strconv.Itoa(i),
			Properties: map[string]any{"split": split, "score": float64(i) / float64(n)},
			Vectors:    map[string][]float32{"pixels": px, "clip": cl},
		}
	}
	return objs
}

func l2sq(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// exactIDs is the brute-force top k by l2 among objects that keep says.
func exactIDs(objs []Object, q []float32, k int, keep func(Object) bool) []string {
	var cand []Object
	for _, o := range objs {
		if keep(o) {
			cand = append(cand, o)
		}
	}
	sort.Slice(cand, func(i, j int) bool { return l2sq(cand[i].Vectors["pixels"], q) < l2sq(cand[j].Vectors["pixels"], q) })
	ids := []string{}
	for _, o := range cand[:min(k, len(cand))] {
		ids = append(ids, o.ID)
	}
	return ids
}

func hitIDs(hs []Hit) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return ids
}

func TestClusterEndToEnd(t *testing.T) {
	cl := startCluster(t, 3, 21100)
	c := cl.client(1, "QUORUM", "QUORUM", 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const name = "Reef_it"
	spec := testSpec(name)
	if err := c.EnsureCollection(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureCollection(ctx, spec); err != nil {
		t.Fatalf("second EnsureCollection: %v", err)
	}
	other := testSpec(name)
	other.Vectors[0].Dim = 9
	if err := c.EnsureCollection(ctx, other); !errors.Is(err, ErrConflict) {
		t.Fatalf("EnsureCollection with another dim = %v, want ErrConflict", err)
	}

	objs := randomObjects(300, 7)
	for i := 0; i < len(objs); i += 100 {
		res, err := c.Upsert(ctx, name, objs[i:i+100])
		if err != nil {
			t.Fatalf("upsert: %v", err)
		}
		for j, r := range res {
			if r.ID != objs[i+j].ID || r.Err != nil {
				t.Fatalf("result %d = %+v", i+j, r)
			}
		}
	}
	count := func(f Filter) int64 {
		t.Helper()
		n, err := c.Count(ctx, name, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(nil); n != 300 {
		t.Fatalf("count = %d, want 300", n)
	}
	if n := count(Filter{Eq("split", "test")}); n != 150 {
		t.Fatalf("count split=test = %d, want 150", n)
	}

	got, err := c.Get(ctx, name, "17")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Vectors["pixels"], objs[17].Vectors["pixels"]) || !slices.Equal(got.Vectors["clip"], objs[17].Vectors["clip"]) ||
		got.Properties["split"] != "test" || got.ID != "17" {
		t.Fatalf("Get 17 = %+v, want %+v", got, objs[17])
	}
	if _, err := c.Get(ctx, name, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing = %v, want ErrNotFound", err)
	}

	t.Run("search", func(t *testing.T) { checkSearch(t, ctx, c, name, objs) })

	if _, err := c.Upsert(ctx, name, []Object{{ID: "x", Vectors: map[string][]float32{"pixels": {1}}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid upsert = %v, want ErrInvalid", err)
	}
	// A retry of acknowledged writes is an upsert, and a new property is
	// declared on the way.
	objs[5].Properties["fresh"] = true
	if _, err := c.Upsert(ctx, name, objs[:10]); err != nil {
		t.Fatal(err)
	}
	if n := count(nil); n != 300 {
		t.Fatalf("count after retry = %d, want 300", n)
	}
	if n := count(Filter{Eq("fresh", true)}); n != 1 {
		t.Fatalf("count fresh = %d, want 1", n)
	}

	// Merge sets some properties and keeps the others and the vectors.
	res, err := c.Merge(ctx, name, []Object{{ID: "20", Properties: map[string]any{"split": "val", "note": "checked"}}, {ID: "missing", Properties: map[string]any{"note": "x"}}})
	if len(res) != 2 || res[0].Err != nil || !errors.Is(res[1].Err, ErrNotFound) || err == nil {
		t.Fatalf("Merge = %+v, %v; want ok and ErrNotFound", res, err)
	}
	got, err = c.Get(ctx, name, "20")
	if err != nil || got.Properties["split"] != "val" || got.Properties["note"] != "checked" || got.Properties["score"] != objs[20].Properties["score"] ||
		!slices.Equal(got.Vectors["pixels"], objs[20].Vectors["pixels"]) || !slices.Equal(got.Vectors["clip"], objs[20].Vectors["clip"]) {
		t.Fatalf("after Merge, 20 = %+v, %v", got, err)
	}
	if n := count(Filter{Eq("split", "val")}); n != 1 {
		t.Fatalf("count split=val = %d, want 1", n)
	}
	// Only object 20 has a note: Not holds for the objects without one, as
	// reef's $ne does for a missing field.
	if n := count(Filter{Not(Filter{Eq("note", "checked")})}); n != 299 {
		t.Fatalf("count not note=checked = %d, want 299", n)
	}
	// Is-null true misses objects written before the property existed (they
	// have no null entry); "not (is-null false)" finds them.
	if n := count(Filter{{Property: "note", Op: OpIsNull, Value: false}}); n != 1 {
		t.Fatalf("count note present = %d, want 1", n)
	}
	if n := count(Filter{Not(Filter{{Property: "note", Op: OpIsNull, Value: false}})}); n != 299 {
		t.Fatalf("count note absent = %d, want 299", n)
	}
	if _, err := c.Merge(ctx, name, []Object{{ID: "20", Vectors: map[string][]float32{"clip": {1, 2, 3, 4}}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Merge with vectors = %v, want ErrInvalid", err)
	}
	objs[20].Properties["split"] = "val"

	ids := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if n, err := c.Delete(ctx, name, ids); err != nil || n != 10 {
		t.Fatalf("Delete = %d, %v; want 10", n, err)
	}
	if n, err := c.Delete(ctx, name, ids); err != nil || n != 0 {
		t.Fatalf("second Delete = %d, %v; want 0", n, err)
	}
	if _, err := c.Get(ctx, name, "3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted = %v, want ErrNotFound", err)
	}

	t.Run("scan", func(t *testing.T) { checkScan(t, ctx, c, name, objs[10:]) })

	if err := c.SetEf(ctx, name, "pixels", 128); err != nil {
		t.Fatal(err)
	}
	if err := c.SetEf(ctx, name, "nope", 128); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetEf unknown vector = %v", err)
	}
	// A second reef node, through another Weaviate node, sees the writes.
	c2 := cl.client(2, "QUORUM", "QUORUM", 30*time.Second)
	if n, err := c2.Count(ctx, name, nil); err != nil || n != 290 {
		t.Fatalf("count through node 2 = %d, %v; want 290", n, err)
	}
	if err := c.DropCollection(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Count(ctx, name, nil); err == nil {
		t.Fatal("count of a dropped collection succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func checkSearch(t *testing.T, ctx context.Context, c *Client, name string, objs []Object) {
	hits, err := c.Search(ctx, name, "pixels", objs[42].Vectors["pixels"], 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 5 || hits[0].ID != "42" || hits[0].Distance > 1e-5 {
		t.Fatalf("search near 42 = %+v", hits)
	}
	if want := exactIDs(objs, objs[42].Vectors["pixels"], 5, func(Object) bool { return true }); !slices.Equal(hitIDs(hits), want) {
		t.Errorf("search ids %v, exact %v", hitIDs(hits), want)
	}
	hits, err = c.Search(ctx, name, "clip", objs[9].Vectors["clip"], 3, nil)
	if err != nil || len(hits) != 3 || hits[0].ID != "9" {
		t.Fatalf("search clip near 9 = %+v, %v", hits, err)
	}
	// Below the flat-search cutoff a filtered search is exhaustive: it must
	// equal brute force exactly.
	q := objs[100].Vectors["pixels"]
	filters := []struct {
		f    Filter
		keep func(Object) bool
	}{
		{Filter{Eq("split", "test")}, func(o Object) bool { return o.Properties["split"] == "test" }},
		{Range("score", 0.2, 0.4), func(o Object) bool { s := o.Properties["score"].(float64); return s >= 0.2 && s < 0.4 }},
		{append(Range("score", 0.5, 1), AnyOf("split", "train", "other")), func(o Object) bool {
			return o.Properties["score"].(float64) >= 0.5 && o.Properties["split"] == "train"
		}},
		{Filter{Or(Filter{Eq("split", "test")}, Filter{{Property: "score", Op: OpLess, Value: 0.1}})}, func(o Object) bool {
			return o.Properties["split"] == "test" || o.Properties["score"].(float64) < 0.1
		}},
		{Filter{Not(Filter{Eq("split", "test")}), {Property: "split", Op: OpLike, Value: "tr*"}}, func(o Object) bool { return o.Properties["split"] == "train" }},
	}
	for i, tt := range filters {
		hits, err := c.Search(ctx, name, "pixels", q, 10, tt.f)
		if err != nil {
			t.Fatalf("filter %d: %v", i, err)
		}
		if want := exactIDs(objs, q, 10, tt.keep); !slices.Equal(hitIDs(hits), want) {
			t.Errorf("filter %d: ids %v, exact %v", i, hitIDs(hits), want)
		}
	}
	if _, err := c.Search(ctx, name, "pixels", []float32{1}, 5, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("short query = %v, want ErrInvalid", err)
	}
	if _, err := c.Search(ctx, "Reef_missing", "pixels", q, 5, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("search of a missing collection = %v, want ErrNotFound", err)
	}
}

func checkScan(t *testing.T, ctx context.Context, c *Client, name string, want []Object) {
	byID := map[string]Object{}
	for _, o := range want {
		byID[o.ID] = o
	}
	seen := map[string]bool{}
	err := c.Scan(ctx, name, ScanOptions{Batch: 64}, func(o Object) error {
		w, ok := byID[o.ID]
		if !ok || seen[o.ID] {
			return fmt.Errorf("scan returned %q (known %v, seen %v)", o.ID, ok, seen[o.ID])
		}
		seen[o.ID] = true
		if !slices.Equal(o.Vectors["pixels"], w.Vectors["pixels"]) || !slices.Equal(o.Vectors["clip"], w.Vectors["clip"]) {
			return fmt.Errorf("scan %s: vectors differ", o.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Fatalf("scan saw %d objects, want %d", len(seen), len(want))
	}
	n := 0
	stop := errors.New("stop")
	err = c.Scan(ctx, name, ScanOptions{Vectors: []string{}, Batch: 50}, func(o Object) error {
		if len(o.Vectors) != 0 {
			return fmt.Errorf("scan without vectors returned %v", o.Vectors)
		}
		if n++; n == 120 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 120 {
		t.Fatalf("scan stopped with %v after %d", err, n)
	}
}
