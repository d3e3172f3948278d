package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/reef-ml/reef/engine"
)

func TestUpsertRefusesDroppingVectors(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2"}, nil)
	if code := ts.call("POST", "/v1/datasets/ds/points", `{"points":[{"id":"a","vectors":{"s":[1,2]},"metadata":{"k":1}}]}`, nil); code != 200 {
		t.Fatalf("seed: %d", code)
	}
	var e errBody
	code := ts.call("POST", "/v1/datasets/ds/points", `{"points":[{"id":"a","metadata":{"label":"cat"}}]}`, &e)
	if code != 400 || e.Error.Field != "points[0].vectors.s" {
		t.Fatalf("metadata-only upsert: %d %+v", code, e.Error)
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", `{"mode":"merge","points":[{"id":"a","metadata":{"label":"cat"}}]}`, nil); code != 200 {
		t.Fatalf("merge: %d", code)
	}
	var res engine.MetadataResult
	if code := ts.call("POST", "/v1/datasets/ds/points/metadata", `{"ids":["a"],"set":{"split":"test"},"unset":["nope"]}`, &res); code != 200 || res.Changed != 1 {
		t.Fatalf("metadata route: %d %+v", code, res)
	}
	if code := ts.call("POST", "/v1/datasets/ds/points/metadata", `{"ids":["zz"],"set":{"x":1}}`, &e); code != 404 {
		t.Fatalf("unknown id: %d %+v", code, e.Error)
	}
	if code := ts.call("POST", "/v1/datasets/ds/points/metadata", `{"filter":{"metadata.label":"cat"},"set":{"x":1},"ids":["a"]}`, &e); code != 400 || e.Error.Field != "filter" {
		t.Fatalf("ids and filter: %d %+v", code, e.Error)
	}
	var p engine.PointView
	ts.call("GET", "/v1/datasets/ds/points/a", nil, &p)
	var m map[string]any
	json.Unmarshal(p.Metadata, &m)
	if !slices.Equal(p.Vectors["s"], []float32{1, 2}) || m["label"] != "cat" || m["split"] != "test" {
		t.Fatalf("point after updates: %+v", p)
	}
	mustCheckServer(t, ts)
}

// TestConcurrentClientsLoseNoUpdate: 8 HTTP clients at once on the same
// points — metadata keys, view tags and vector rewrites — and every update
// is there at the end.
func TestConcurrentClientsLoseNoUpdate(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	const n, rounds = 16, 15
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 3, "metric": "l2"}, nil)
	ids := make([]string, n)
	rows := make([]int, n)
	var pts []map[string]any
	for i := range ids {
		ids[i], rows[i] = fmt.Sprintf("p%02d", i), i
		pts = append(pts, map[string]any{"id": ids[i], "vectors": map[string]any{"s": []float32{float32(i), 1, 2}}})
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", map[string]any{"points": pts}, nil); code != 200 {
		t.Fatal(code)
	}
	if code := ts.call("GET", "/v1/datasets/ds/view?space=s", nil, nil); code != 200 {
		t.Fatalf("view: %d", code)
	}
	hs := httptest.NewServer(ts.srv.Handler())
	defer hs.Close()
	post := func(path string, body any) error {
		b, _ := json.Marshal(body)
		resp, err := http.Post(hs.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			var e errBody
			json.NewDecoder(resp.Body).Decode(&e)
			return fmt.Errorf("%s: %d %+v", path, resp.StatusCode, e.Error)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*rounds)
	for g := range 4 {
		wg.Go(func() {
			for r := range rounds {
				errs <- post("/v1/datasets/ds/points/metadata", map[string]any{"ids": ids, "set": map[string]any{fmt.Sprint("k", g): r}})
			}
		})
	}
	for g := range 2 {
		wg.Go(func() {
			for r := range rounds {
				errs <- post("/v1/datasets/ds/view/tag", map[string]any{"space": "s", "rows": rows, "tag": fmt.Sprintf("t%d-%d", g, r)})
			}
		})
	}
	last := make([][][]float32, 2)
	for g := range 2 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 3))
			for range rounds {
				var batch []map[string]any
				var vs [][]float32
				for i := g; i < n; i += 2 {
					v := []float32{rnd.Float32(), rnd.Float32(), rnd.Float32()}
					vs = append(vs, v)
					batch = append(batch, map[string]any{"id": ids[i], "vectors": map[string]any{"s": v}})
				}
				errs <- post("/v1/datasets/ds/points", map[string]any{"mode": "merge", "points": batch})
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
	for i, id := range ids {
		var p engine.PointView
		ts.call("GET", "/v1/datasets/ds/points/"+id, nil, &p)
		var m struct {
			K0, K1, K2, K3 *int
			Tags           []string
		}
		json.Unmarshal(p.Metadata, &m)
		for g, k := range []*int{m.K0, m.K1, m.K2, m.K3} {
			if k == nil || *k != rounds-1 {
				t.Fatalf("%s: k%d lost its last update: %s", id, g, p.Metadata)
			}
		}
		if len(m.Tags) != 2*rounds {
			t.Fatalf("%s: %d tags, want %d: %s", id, len(m.Tags), 2*rounds, p.Metadata)
		}
		if !slices.Equal(p.Vectors["s"], last[i%2][i/2]) {
			t.Fatalf("%s: vector %v is not the last written", id, p.Vectors["s"])
		}
	}
	mustCheckServer(t, ts)
}

func mustCheckServer(t *testing.T, ts *testServer) {
	t.Helper()
	rep, err := ts.eng.Check(t.Context())
	if err != nil || !rep.OK() {
		t.Fatalf("consistency check: %v %v", err, rep.Problems)
	}
}
