package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/vecio"
)

type testServer struct {
	t   *testing.T
	eng *engine.Engine
	srv *Server
	key string
}

func newTestServer(t *testing.T, dir string, mutate func(*Options)) *testServer {
	t.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval = dir, true, 0
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	so := DefaultOptions()
	if mutate != nil {
		mutate(&so)
	}
	srv, err := New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, eng: eng, srv: srv, key: so.AdminKey}
	t.Cleanup(func() { closeChecked(t, eng) })
	return ts
}

// closeChecked ends a test that wrote: the storage/index consistency check,
// then Close.
func closeChecked(t testing.TB, eng *engine.Engine) {
	t.Helper()
	if rep, err := eng.Check(context.Background()); err != nil || !rep.OK() {
		t.Errorf("consistency check after the test: %v %v", err, rep.Problems)
	}
	if err := eng.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// call sends a request through the router and decodes the JSON answer.
func (ts *testServer) call(method, path string, body any, out any) int {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if ts.key != "" {
		req.Header.Set("Authorization", "Bearer "+ts.key)
	}
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			ts.t.Fatalf("%s %s: %d %q: %v", method, path, rec.Code, rec.Body.String(), err)
		}
	}
	return rec.Code
}

type errBody struct {
	Error apiError `json:"error"`
}

func TestErrorsNameTheField(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.MaxBodyBytes = 4096 })
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 3, "metric": "cosine"}, nil)
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantField  string
	}{
		{"wrong dim", "POST", "/v1/datasets/ds/points", `{"points":[{"id":"a","vectors":{"s":[1,2]}}]}`, 400, "points[0].vectors.s"},
		{"zero under cosine", "POST", "/v1/datasets/ds/points", `{"points":[{"id":"a","vectors":{"s":[0,0,0]}}]}`, 400, "points[0].vectors.s"},
		{"unknown dataset", "POST", "/v1/datasets/nope/points", `{"points":[{"id":"a"}]}`, 404, "dataset"},
		{"unknown space", "POST", "/v1/datasets/ds/search", `{"space":"x","vector":[1,2,3]}`, 404, "space"},
		{"unknown field", "POST", "/v1/datasets/ds/search", `{"space":"s","vectr":[1,2,3]}`, 400, "body"},
		{"wrong type", "POST", "/v1/datasets/ds/search", `{"space":"s","k":"ten"}`, 400, "k"},
		{"not json", "POST", "/v1/datasets", `{name:`, 400, "body"},
		{"oversized body", "POST", "/v1/datasets/ds/points", `{"points":[` + strings.Repeat(`{"id":"x"},`, 1000) + `{"id":"y"}]}`, 413, "body"},
		{"bad k", "POST", "/v1/datasets/ds/search", `{"space":"s","vector":[1,2,3],"k":-1}`, 400, "k"},
		{"bad dataset name", "POST", "/v1/datasets", `{"name":"../etc"}`, 400, "name"},
		{"duplicate dataset", "POST", "/v1/datasets", `{"name":"ds"}`, 409, ""},
		{"missing point", "GET", "/v1/datasets/ds/points/zzz", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			status := ts.call(tt.method, tt.path, tt.body, &e)
			if status != tt.wantStatus || e.Error.Field != tt.wantField || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d field %q", status, e.Error, tt.wantStatus, tt.wantField)
			}
		})
	}
}

func TestAuthGuardsEveryRoute(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.AdminKey, o.ReadKey = "admin-secret", "read-secret" })
	for _, rt := range ts.srv.routes {
		path := strings.NewReplacer(":ds", "ds", ":id", "p").Replace(rt.path)
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			for _, key := range []string{"", "wrong"} {
				req := httptest.NewRequest(rt.method, path, strings.NewReader(`{}`))
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				rec := httptest.NewRecorder()
				ts.srv.Handler().ServeHTTP(rec, req)
				if rt.access == public {
					if rec.Code == http.StatusUnauthorized {
						t.Fatalf("public route refused")
					}
					continue
				}
				if rec.Code != http.StatusUnauthorized {
					t.Fatalf("key %q: status %d, want 401", key, rec.Code)
				}
			}
			req := httptest.NewRequest(rt.method, path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer read-secret")
			rec := httptest.NewRecorder()
			ts.srv.Handler().ServeHTTP(rec, req)
			switch {
			case rt.access == admin && rec.Code != http.StatusForbidden:
				t.Fatalf("read key on admin route: %d, want 403", rec.Code)
			case rt.access != admin && (rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized):
				t.Fatalf("read key on read route: %d", rec.Code)
			}
		})
	}
}

func TestPermissionBeforeBody(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.AdminKey = "k" })
	body := &countingReader{r: strings.NewReader(`{"name":"x"}`)}
	req := httptest.NewRequest("POST", "/v1/datasets", body)
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || body.n != 0 {
		t.Fatalf("status %d after reading %d body bytes", rec.Code, body.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestImportExportRoundTrip(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2"}, nil)
	var npy bytes.Buffer
	vecio.WriteNPY(&npy, &vecio.Matrix{Rows: 3, Cols: 2, Data: []float32{0, 0, 1, 1, 5, 5}})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("space", "s")
	w, _ := mw.CreateFormFile("vectors", "v.npy")
	w.Write(npy.Bytes())
	w, _ = mw.CreateFormFile("ids", "ids.json")
	w.Write([]byte(`["a","b","c"]`))
	mw.Close()
	req := httptest.NewRequest("POST", "/v1/datasets/ds/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"upserted":3`) {
		t.Fatalf("import: %d %s", rec.Code, rec.Body.String())
	}
	var res engine.SearchResult
	ts.call("POST", "/v1/datasets/ds/search", map[string]any{"space": "s", "vector": []float32{4, 4}, "k": 1}, &res)
	if len(res.Hits) != 1 || res.Hits[0].ID != "c" {
		t.Fatalf("search after import: %+v", res.Hits)
	}
	req = httptest.NewRequest("GET", "/v1/datasets/ds/export?space=s&format=parquet", nil)
	rec = httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	ids, m, _, err := vecio.ReadParquet(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()), vecio.ParquetOptions{Limits: vecio.DefaultLimits()})
	if err != nil || fmt.Sprint(ids) != "[a b c]" || m.Row(2)[0] != 5 {
		t.Fatalf("export: %v %v %v", ids, m, err)
	}
	rep, _ := ts.eng.Check(context.Background())
	if !rep.OK() {
		t.Fatal(rep.Problems)
	}
}
