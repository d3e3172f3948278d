package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/reef-ml/reef/engine"
)

func f32Body(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// TestSearchBinaryMatchesJSON: a float32 body answers exactly what the
// same query in JSON answers; bad bodies and parameters are 400s naming
// what is wrong.
func TestSearchBinaryMatchesJSON(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 60)
	q := []float32{0.3, -1.25, 2, 0.5}
	var viaJSON, viaBin engine.SearchResult
	if code := ts.call("POST", "/v1/datasets/ds/search", map[string]any{"space": "s", "vector": q, "k": 7,
		"filter": map[string]any{"metadata.label": "a"}}, &viaJSON); code != 200 {
		t.Fatalf("json search: %d", code)
	}
	rec := ts.raw("POST", `/v1/datasets/ds/search.f32?space=s&k=7&filter={"metadata.label":"a"}`, "application/octet-stream", f32Body(q))
	if rec.Code != 200 {
		t.Fatalf("binary search: %d %s", rec.Code, rec.Body.String())
	}
	json.Unmarshal(rec.Body.Bytes(), &viaBin)
	if len(viaBin.Hits) != 7 || !slices.EqualFunc(viaBin.Hits, viaJSON.Hits, func(a, b engine.Hit) bool { return a.ID == b.ID && a.Distance == b.Distance }) {
		t.Fatalf("binary hits %+v, JSON hits %+v", viaBin.Hits, viaJSON.Hits)
	}
	tests := []struct {
		name, query string
		body        []byte
		field       string
	}{
		{"ragged body", "?space=s", []byte{1, 2, 3}, "body"},
		{"empty body", "?space=s", nil, "body"},
		{"wrong dim", "?space=s", f32Body([]float32{1, 2}), "vector"},
		{"bad k", "?space=s&k=ten", f32Body(q), "k"},
		{"bad filter", "?space=s&filter={", f32Body(q), "filter"},
		{"NaN", "?space=s", f32Body([]float32{1, float32(math.NaN()), 0, 0}), "vector[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.raw("POST", "/v1/datasets/ds/search.f32"+tt.query, "application/octet-stream", tt.body)
			var e errBody
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != 400 || e.Error.Field != tt.field {
				t.Fatalf("%d %+v, want 400 naming %s", rec.Code, e.Error, tt.field)
			}
		})
	}
}

// BenchmarkSearchJSONvsBinary: the same k=10 query on 5k × 784-d vectors,
// in process, through the router as JSON, and through the router as a
// float32 body, from parallel goroutines. Compare the three ns/op.
//
//	go test -run '^$' -bench SearchJSONvsBinary -benchtime 2000x ./server/
func BenchmarkSearchJSONvsBinary(b *testing.B) {
	eng, srv := benchSearchServer(b)
	ctx := context.Background()
	q := benchQuery(b, eng)
	jsonBody, _ := json.Marshal(map[string]any{"space": "s", "vector": q, "k": 10})
	binBody := f32Body(q)
	h := srv.Handler()
	b.Run("in-process", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := eng.Search(ctx, "ds", engine.SearchRequest{Space: "s", Vector: q, K: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	for _, c := range []struct {
		name, path string
		body       []byte
	}{{"json", "/v1/datasets/ds/search", jsonBody}, {"float32", "/v1/datasets/ds/search.f32?space=s&k=10", binBody}} {
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("POST", c.path, bytes.NewReader(c.body)))
					if rec.Code != 200 {
						b.Fatal(rec.Code, rec.Body.String())
					}
				}
			})
		})
	}
}
