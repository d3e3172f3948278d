package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// fuzzServer is a server over a small dataset "ds" with a cosine HNSW space
// "s" (dim 3) and an exact l2 space "e" (dim 2), and a few points.
func fuzzServer(f *testing.F) http.Handler {
	f.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval = f.TempDir(), true, 0
	eo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { eng.Close() })
	so := DefaultOptions()
	so.MaxBodyBytes = 256 << 10
	so.Logger = eo.Logger
	srv, err := New(eng, so)
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	for _, req := range []struct{ path, body string }{
		{"/v1/datasets", `{"name":"ds"}`},
		{"/v1/datasets/ds/spaces", `{"name":"s","dim":3,"metric":"cosine"}`},
		{"/v1/datasets/ds/spaces", `{"name":"e","dim":2,"metric":"l2","index":{"backend":"exact"}}`},
		{"/v1/datasets/ds/points", `{"points":[{"id":"a","metadata":{"split":"train","n":1},"vectors":{"s":[1,0,0],"e":[0,1]},
			"objects":[{"id":"o1","class":"cat","bbox":[1,2,3,4],"vectors":{"s":[0,1,0]}}]},
			{"id":"b","metadata":{"split":"test"},"vectors":{"s":[0,0,1]}}]}`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", req.path, bytes.NewBufferString(req.body)))
		if rec.Code >= 300 {
			f.Fatalf("setup %s: %d %s", req.path, rec.Code, rec.Body)
		}
	}
	return h
}

// hostileJSON are seeds shared by the fuzz targets: huge numbers, deep
// nesting, NaN-like strings, wrong types, nulls, broken UTF-8, duplicates.
var hostileJSON = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1e309`, `{"points":null}`, `{"points":[null]}`, `{"points":{}}`,
	`{"points":[{"id":null,"vectors":null,"metadata":null,"objects":null}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1e39,0,0]}}]}`,
	`{"points":[{"id":"x","vectors":{"s":["NaN","Infinity","-Infinity"]}}]}`,
	`{"points":[{"id":"x","vectors":{"s":[NaN,0,0]}}]}`,
	`{"points":[{"id":"x","vectors":{"s":[0,0,0]}}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3,4]}}]}`,
	`{"points":[{"id":"x","vectors":{"e":[1,2],"nope":[1]}}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]},"metadata":[1,2]}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]},"metadata":"str"}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]},"metadata":{"a":{"b":{"c":{"d":[[[[[[[[1]]]]]]]]}}}}}]}`,
	`{"points":[{"id":"x\u0000y","vectors":{"s":[1,2,3]}}]}`,
	"{\"points\":[{\"id\":\"\xff\xfe\",\"vectors\":{\"s\":[1,2,3]}}]}",
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]}},{"id":"x","vectors":{"s":[1,2,3]}}]}`,
	`{"points":[{"id":"x","objects":[{"id":"o","kind":"weird","bbox":[1,2,-3,4]}]}]}`,
	`{"points":[{"id":"x","objects":[{"bbox":[1e39,2,3,4],"score":1e39}]}]}`,
	`{"points":[{"id":"x","objects":[{"bbox":[1,2,3]}]}]}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]}}],"extra":1}`,
	`{"points":[{"id":"x","vectors":{"s":[1,2,3]}}]} trailing`,
	`{"points":[{"id":123456789012345678901234567890}]}`,
	`{"space":"s","vector":[1,0,0],"k":5}`,
	`{"space":"s","vector":[1,0,0],"k":-1}`,
	`{"space":"s","vector":[1,0,0],"k":1e20}`,
	`{"space":"s","vector":[1,0,0],"k":9223372036854775807,"ef":-9223372036854775808}`,
	`{"space":"s","vector":[1,0,0],"ef":1e400}`,
	`{"space":"s","vector":[1,0,0],"k":"10"}`,
	`{"space":"s","id":"a","exact":true}`,
	`{"space":"s","id":"a","vector":[1,0,0]}`,
	`{"space":"s","level":"object","id":"a","object_id":"o1"}`,
	`{"space":"s","level":"object","id":"a"}`,
	`{"space":"s","level":"pixel","vector":[1,0,0]}`,
	`{"space":"s","vector":[1,0,0],"filter":{"metadata.split":"test"}}`,
	`{"space":"s","vector":[1,0,0],"filter":{"metadata.n":{"$gt":0}}}`,
	`{"space":"s","vector":[1,0,0],"filter":{"metadata.n":{"$in":[1,2,null]}}}`,
	`{"space":"s","vector":[1,0,0],"filter":{"$or":[{"metadata.a":1},{"$and":[{"$not":{"metadata.b":2}}]}]}}`,
	`{"space":"s","vector":[1,0,0],"filter":{"object.class":"cat"},"level":"object"}`,
	`{"space":"s","vector":[1,0,0],"filter":[1,2]}`,
	`{"space":"s","vector":[1,0,0],"filter":null}`,
	`{"space":"e","vector":[1e38,1e38],"k":3}`,
	`{"space":"e","vector":[-3.4e38,3.4e38],"exact":true}`,
	`{"space":"","vector":[]}`,
	`{"space":null,"vector":null,"id":null}`,
}

func deepJSON(depth int) string {
	var b bytes.Buffer
	b.WriteString(`{"space":"s","vector":[1,0,0],"filter":`)
	for range depth {
		b.WriteString(`{"$not":`)
	}
	b.WriteString(`{"metadata.a":1}`)
	for range depth {
		b.WriteString(`}`)
	}
	b.WriteString(`}`)
	return b.String()
}

func fuzzRoute(f *testing.F, path string) {
	h := fuzzServer(f)
	for _, s := range hostileJSON {
		f.Add([]byte(s))
	}
	f.Add([]byte(deepJSON(64)))
	f.Add([]byte(deepJSON(10000)))
	f.Add(bytes.Repeat([]byte("["), 100000))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("HTTP %d for %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code >= 300 {
			var e struct {
				Error apiError `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Fatalf("HTTP %d without an error body: %q", rec.Code, rec.Body)
			}
		}
	})
}

// FuzzUpsertJSON: any body POSTed to the upsert route is answered 2xx or
// 4xx with an error body; never 5xx, never a panic.
func FuzzUpsertJSON(f *testing.F) { fuzzRoute(f, "/v1/datasets/ds/points") }

// FuzzSearchJSON: the same for search bodies.
func FuzzSearchJSON(f *testing.F) { fuzzRoute(f, "/v1/datasets/ds/search") }
