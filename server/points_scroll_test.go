package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// scrollAll follows next_cursor to the end and returns every id seen.
func scrollAll(t *testing.T, ts *testServer, query url.Values) ([]string, []string) {
	t.Helper()
	var ids, warnings []string
	for page := 0; page < 100; page++ {
		var res engine.ScrollResult
		if code := ts.call("GET", "/v1/datasets/ds/points?"+query.Encode(), nil, &res); code != 200 {
			t.Fatalf("scroll %v: %d", query, code)
		}
		for _, p := range res.Points {
			ids = append(ids, p.ID)
			if len(p.Metadata) == 0 {
				t.Errorf("point %s came without metadata", p.ID)
			}
			if (len(p.Vectors) > 0) != (query.Get("vectors") == "true") {
				t.Errorf("point %s: vectors %v with vectors=%q", p.ID, p.Vectors, query.Get("vectors"))
			}
		}
		warnings = append(warnings, res.Warnings...)
		if res.NextCursor == "" {
			return ids, warnings
		}
		query.Set("cursor", res.NextCursor)
	}
	t.Fatal("scroll did not end")
	return nil, nil
}

func TestScrollPoints(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2"}, nil)
	var points []map[string]any
	for i := 24; i >= 0; i-- { // written out of order: pages must come in id order
		points = append(points, map[string]any{"id": fmt.Sprintf("p%02d", i), "vectors": map[string]any{"s": []float32{float32(i), 1}},
			"metadata": map[string]any{"n": i, "split": []string{"train", "test"}[i%2]}})
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", map[string]any{"points": points}, nil); code != 200 {
		t.Fatalf("upsert: %d", code)
	}
	want := func(keep func(i int) bool) []string {
		var out []string
		for i := range 25 {
			if keep(i) {
				out = append(out, fmt.Sprintf("p%02d", i))
			}
		}
		return out
	}
	tests := []struct {
		name, filter, limit, vectors string
		want                         []string
		warn                         int
	}{
		{"all in pages of 7", "", "7", "", want(func(int) bool { return true }), 0},
		{"one page", "", "", "true", want(func(int) bool { return true }), 0},
		{"range", `{"metadata.n":{"$gte":10,"$lt":20}}`, "3", "", want(func(i int) bool { return i >= 10 && i < 20 }), 0},
		{"and", `{"$and":[{"metadata.split":"test"},{"metadata.n":{"$gt":15}}]}`, "2", "", want(func(i int) bool { return i%2 == 1 && i > 15 }), 0},
		{"misspelt field", `{"metadata.spilt":"test"}`, "", "", nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range map[string]string{"filter": tc.filter, "limit": tc.limit, "vectors": tc.vectors} {
				if v != "" {
					q.Set(k, v)
				}
			}
			got, warnings := scrollAll(t, ts, q)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if len(warnings) != tc.warn {
				t.Errorf("warnings %q, want %d", warnings, tc.warn)
			}
		})
	}
}

func TestScrollPointsRefusesBadQueries(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	tests := []struct {
		query, field string
		status       int
	}{
		{"limit=0", "limit", 400},
		{"limit=ten", "limit", 400},
		{"limit=5000", "limit", 400},
		{"cursor=%25%25", "cursor", 400},
		{"filter=%7Bnope", "filter", 400},
		{"filter=%7B%22x%22%3A1%7D", "filter.x", 400},
		{"vectors=maybe", "vectors", 400},
	}
	for _, tc := range tests {
		var e errBody
		if code := ts.call("GET", "/v1/datasets/ds/points?"+tc.query, nil, &e); code != tc.status || e.Error.Field != tc.field {
			t.Errorf("%s: %d field %q, want %d %q (%s)", tc.query, code, e.Error.Field, tc.status, tc.field, e.Error.Message)
		}
	}
	var e errBody
	if code := ts.call("GET", "/v1/datasets/nope/points", nil, &e); code != 404 || e.Error.Field != "dataset" {
		t.Errorf("unknown dataset: %d %+v", code, e.Error)
	}
}

// FuzzScrollQuery sends arbitrary filter, cursor and limit values: the
// answer is a page or a 4xx naming a parameter, never a 5xx.
func FuzzScrollQuery(f *testing.F) {
	f.Add(`{"metadata.n":{"$gt":3}}`, "", "5")
	f.Add(`{"$or":[{"metadata.split":"a"},{"metadata.n":[1,2]}]}`, "cDAx", "1")
	f.Add(`[]`, "!!", "-1")
	f.Add(`{"metadata.":1}`, "", "99999")
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, filter, cursor, limit string) {
		q := url.Values{"filter": {filter}, "cursor": {cursor}, "limit": {limit}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/datasets/ds/points?"+q.Encode(), nil))
		if rec.Code >= 500 {
			t.Fatalf("%v: %d %s", q, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			var e errBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Field == "" {
				t.Fatalf("%v: %d without a field: %s", q, rec.Code, rec.Body.String())
			}
		}
	})
}

// A cursor is the last id returned, so writes between pages neither repeat
// nor skip points: one written after the cursor shows up, one before it
// does not, and deleting the cursor's own point does not break the walk.
func TestScrollCursorAcrossWrites(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	put := func(ids ...string) {
		var pts []map[string]any
		for _, id := range ids {
			pts = append(pts, map[string]any{"id": id, "metadata": map[string]any{"n": 1}})
		}
		if code := ts.call("POST", "/v1/datasets/ds/points", map[string]any{"points": pts}, nil); code != 200 {
			t.Fatalf("upsert %v: %d", ids, code)
		}
	}
	put("b", "d", "f")
	var page engine.ScrollResult
	ts.call("GET", "/v1/datasets/ds/points?limit=2", nil, &page)
	if len(page.Points) != 2 || page.Points[1].ID != "d" || page.NextCursor == "" {
		t.Fatalf("first page %+v", page)
	}
	put("a", "e")
	ts.call("DELETE", "/v1/datasets/ds/points/d", nil, nil)
	var next engine.ScrollResult
	ts.call("GET", "/v1/datasets/ds/points?limit=10&cursor="+page.NextCursor, nil, &next)
	var ids []string
	for _, p := range next.Points {
		ids = append(ids, p.ID)
	}
	if fmt.Sprint(ids) != "[e f]" || next.NextCursor != "" {
		t.Errorf("second page %v cursor %q, want [e f] and the end", ids, next.NextCursor)
	}
}
