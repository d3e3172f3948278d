package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/vecio"
)

// liveServer runs the real HTTP server on a loopback port.
type liveServer struct {
	base   string
	eng    *engine.Engine
	srv    *Server // its ingest and view, for tests that call them directly
	cancel context.CancelFunc
	done   chan error
}

func startLive(t *testing.T, dir string) *liveServer {
	t.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.SnapshotInterval = dir, 0
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	so := DefaultOptions()
	so.Addr = "127.0.0.1:0"
	srv, err := New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ls := &liveServer{eng: eng, srv: srv, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { ls.done <- srv.Serve(ctx, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		ls.base = "http://" + addr
	case err := <-ls.done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return ls
}

func (ls *liveServer) stop(t *testing.T) {
	t.Helper()
	ls.cancel()
	if err := <-ls.done; err != nil {
		t.Fatal(err)
	}
	closeChecked(t, ls.eng)
}

func (ls *liveServer) post(t *testing.T, path, contentType string, body []byte, out any) {
	t.Helper()
	resp, err := http.Post(ls.base+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e errBody
		json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("POST %s: %d %+v", path, resp.StatusCode, e.Error)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEndToEndFashionMNIST(t *testing.T) {
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("dataset-fashion-mnist not installed (make setup installs it)")
	}
	set, err := fashionmnist.Load(fashionmnist.DefaultDir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	n := 10000
	if raceEnabled {
		n = 3000 // the race detector makes HNSW inserts ~10x slower
	}
	data := make([]float32, 0, n*784)
	ids := make([]string, n)
	for i := range n {
		data = append(data, set.Images[i]...)
		ids[i] = fmt.Sprintf("t10k-%05d", i)
	}
	dir := t.TempDir()
	ls := startLive(t, dir)
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	ls.post(t, "/v1/datasets", "application/json", js(map[string]any{"name": "fmnist"}), nil)
	ls.post(t, "/v1/datasets/fmnist/spaces", "application/json", js(map[string]any{"name": "pixels", "dim": 784, "metric": "l2"}), nil)

	var npy bytes.Buffer
	if err := vecio.WriteNPY(&npy, &vecio.Matrix{Rows: n, Cols: 784, Data: data}); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("space", "pixels")
	w, _ := mw.CreateFormFile("vectors", "x.npy")
	w.Write(npy.Bytes())
	w, _ = mw.CreateFormFile("ids", "ids.json")
	w.Write(js(ids))
	mw.Close()
	var imp engine.WriteResult
	ls.post(t, "/v1/datasets/fmnist/import", mw.FormDataContentType(), body.Bytes(), &imp)
	if imp.Upserted != n {
		t.Fatalf("imported %d, want %d", imp.Upserted, n)
	}

	queries := []string{"t10k-00000", "t10k-00001", "t10k-00042", "t10k-00999"}
	search := func(ls *liveServer) []string {
		var out []string
		for _, q := range queries {
			var res engine.SearchResult
			ls.post(t, "/v1/datasets/fmnist/search", "application/json", js(map[string]any{"space": "pixels", "id": q, "k": 10, "ef": 128}), &res)
			if len(res.Hits) != 10 {
				t.Fatalf("query %s: %d hits", q, len(res.Hits))
			}
			for _, h := range res.Hits {
				out = append(out, fmt.Sprintf("%s:%.3f", h.ID, h.Distance))
			}
		}
		return out
	}
	before := search(ls)
	// The answers must be right, not only stable: compare with exact search.
	agree := 0
	for qi, q := range queries {
		var ex engine.SearchResult
		ls.post(t, "/v1/datasets/fmnist/search", "application/json", js(map[string]any{"space": "pixels", "id": q, "k": 10, "exact": true}), &ex)
		for _, h := range ex.Hits {
			for _, b := range before[qi*10 : qi*10+10] {
				if b == fmt.Sprintf("%s:%.3f", h.ID, h.Distance) {
					agree++
				}
			}
		}
	}
	if agree < 38 {
		t.Fatalf("HNSW agreed with exact search on %d of 40 neighbours", agree)
	}
	ls.stop(t)

	ls = startLive(t, dir)
	defer ls.stop(t)
	after := search(ls)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("answers changed across restart:\nbefore %v\nafter  %v", before, after)
	}
	rep, err := ls.eng.Check(context.Background())
	if err != nil || !rep.OK() || rep.Vectors != n {
		t.Fatalf("check after restart: %+v %v", rep, err)
	}
}
