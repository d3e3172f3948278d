package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
)

var testLimits = engine.Limits{MaxBatch: 5, MaxDim: 8, MaxK: 20, MaxEf: 50, MaxIDLen: 16, MaxMetadataBytes: 64, MaxObjects: 2}

// limitServer opens an engine with small limits and a server over it.
func limitServer(t *testing.T, mutate func(*Options)) (*engine.Engine, *Server) {
	return limitServerWith(t, testLimits, mutate)
}

func limitServerWith(t testing.TB, limits engine.Limits, mutate func(*Options)) (*engine.Engine, *Server) {
	t.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval, eo.Limits = t.TempDir(), true, 0, limits
	eo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeChecked(t, eng) })
	so := DefaultOptions()
	so.Logger = eo.Logger
	if mutate != nil {
		mutate(&so)
	}
	srv, err := New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	return eng, srv
}

func send(t *testing.T, h http.Handler, method, path, body string) (int, apiError) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	var e struct {
		Error apiError `json:"error"`
	}
	if rec.Code >= 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s %s: HTTP %d body %q is not an error object", method, path, rec.Code, rec.Body)
		}
	}
	return rec.Code, e.Error
}

func mustSend(t *testing.T, h http.Handler, path, body string) {
	t.Helper()
	if code, e := send(t, h, "POST", path, body); code >= 300 {
		t.Fatalf("POST %s: %d %+v", path, code, e)
	}
}

// Every limit answers 4xx and names the field that broke it.
func TestLimitsNameTheField(t *testing.T) {
	_, srv := limitServer(t, func(o *Options) { o.MaxBodyBytes = 8192 })
	h := srv.Handler()
	mustSend(t, h, "/v1/datasets", `{"name":"ds"}`)
	mustSend(t, h, "/v1/datasets/ds/spaces", `{"name":"s","dim":4,"metric":"l2"}`)
	mustSend(t, h, "/v1/datasets/ds/points", `{"points":[{"id":"a","vectors":{"s":[1,2,3,4]}}]}`)
	pts := func(n int) string {
		var b []string
		for i := range n {
			b = append(b, fmt.Sprintf(`{"id":"p%d","vectors":{"s":[1,2,3,4]}}`, i))
		}
		return `{"points":[` + strings.Join(b, ",") + `]}`
	}
	cases := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"body", "/v1/datasets/ds/points", `{"points":[{"id":"a","metadata":{"x":"` + strings.Repeat("y", 9000) + `"}}]}`, 413, "body"},
		{"batch", "/v1/datasets/ds/points", pts(6), 413, "points"},
		{"delete-batch", "/v1/datasets/ds/points/delete", `{"ids":["a","b","c","d","e","f"]}`, 400, "ids"},
		{"dim-space", "/v1/datasets/ds/spaces", `{"name":"big","dim":9}`, 400, "dim"},
		{"dim-vector", "/v1/datasets/ds/points", `{"points":[{"id":"a","vectors":{"s":[1,2,3,4,5,6,7,8,9]}}]}`, 400, "points[0].vectors.s"},
		{"id-length", "/v1/datasets/ds/points", `{"points":[{"id":"` + strings.Repeat("i", 17) + `","vectors":{"s":[1,2,3,4]}}]}`, 413, "points[0].id"},
		{"object-id-length", "/v1/datasets/ds/points", `{"points":[{"id":"a","objects":[{"id":"` + strings.Repeat("o", 17) + `"}]}]}`, 413, "points[0].objects[0].id"},
		{"objects", "/v1/datasets/ds/points", `{"points":[{"id":"a","objects":[{},{},{}]}]}`, 413, "points[0].objects"},
		{"metadata", "/v1/datasets/ds/points", `{"points":[{"id":"a","metadata":{"k":"` + strings.Repeat("m", 64) + `"}}]}`, 413, "points[0].metadata"},
		{"uri", "/v1/datasets/ds/points", `{"points":[{"id":"a","uri":"` + strings.Repeat("u", 4097) + `"}]}`, 413, "points[0].uri"},
		{"k", "/v1/datasets/ds/search", `{"space":"s","vector":[1,2,3,4],"k":21}`, 400, "k"},
		{"k-negative", "/v1/datasets/ds/search", `{"space":"s","vector":[1,2,3,4],"k":-1}`, 400, "k"},
		{"ef", "/v1/datasets/ds/search", `{"space":"s","vector":[1,2,3,4],"ef":51}`, 400, "ef"},
		{"ef-space", "/v1/datasets/ds/spaces", `{"name":"e","dim":4,"index":{"ef_search":51}}`, 400, "index.ef_search"},
		{"k-type", "/v1/datasets/ds/search", `{"space":"s","vector":[1,2,3,4],"k":1e30}`, 400, "k"},
		{"name", "/v1/datasets", `{"name":"../../etc"}`, 400, "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e := send(t, h, "POST", c.path, c.body)
			if code != c.status || e.Field != c.field {
				t.Fatalf("HTTP %d field %q (%s), want %d naming %q", code, e.Field, e.Message, c.status, c.field)
			}
		})
	}
	// Nothing of the rejected writes is stored.
	code, _ := send(t, h, "GET", "/v1/datasets/ds/points/p0", "")
	if code != 404 {
		t.Fatalf("a point of a rejected batch: HTTP %d", code)
	}
}

// A client that sends its headers a byte at a time is cut off by
// ReadHeaderTimeout, and the server keeps serving others.
func TestSlowlorisCutByReadHeaderTimeout(t *testing.T) {
	_, srv := limitServer(t, func(o *Options) {
		o.Addr = "127.0.0.1:0"
		o.ReadHeaderTimeout = 300 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, func(a string) { addrc <- a }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	addr := <-addrc
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	header := "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n"
	start := time.Now()
	cut := false
	// Bounded: at most 200 bytes at 20 ms each (4 s); the cut should come
	// after about 300 ms.
	for i := 0; i < len(header) && time.Since(start) < 4*time.Second; i++ {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			cut = true
			break
		}
		// A closed connection shows up as a read that returns at once.
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		var b [512]byte
		if n, err := conn.Read(b[:]); n > 0 || (err != nil && !isTimeout(err)) {
			cut = true
			break
		}
	}
	elapsed := time.Since(start)
	if !cut {
		t.Fatalf("a client sending headers byte by byte for %v was not cut off", elapsed)
	}
	if elapsed > 2*time.Second {
		t.Fatalf("cut after %v with ReadHeaderTimeout 300ms", elapsed)
	}
	// Others are still served.
	resp, err := http.Get("http://" + addr + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health after slowloris: %d", resp.StatusCode)
	}
	t.Logf("slow client cut after %v", elapsed.Round(time.Millisecond))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// With MaxConcurrent=1, a request that holds its slot (a slow upload body
// that keeps the handler reading) makes the next one get 429 with
// Retry-After; once it finishes the slot is free again.
func TestConcurrencyLimit429(t *testing.T) {
	_, srv := limitServer(t, func(o *Options) { o.MaxConcurrent = 1 })
	h := srv.Handler()
	mustSend(t, h, "/v1/datasets", `{"name":"ds"}`)
	mustSend(t, h, "/v1/datasets/ds/spaces", `{"name":"s","dim":4}`)

	pr, pw := io.Pipe()
	held := httptest.NewRecorder()
	var wg sync.WaitGroup
	wg.Go(func() { h.ServeHTTP(held, httptest.NewRequest("POST", "/v1/datasets/ds/points", pr)) })
	// The first Write returns only once the handler reads the body: from
	// then on it holds the slot.
	if _, err := pw.Write([]byte(`{"points":[{"id":"slow",`)); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/datasets", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("second request while the slot is held: %d %s", rec.Code, rec.Body)
	}
	var e struct{ Error apiError }
	if json.Unmarshal(rec.Body.Bytes(), &e); e.Error.Code != "too_many_requests" {
		t.Fatalf("429 body %s", rec.Body)
	}
	pw.Write([]byte(`"vectors":{"s":[1,2,3,4]}}]}`))
	pw.Close()
	wg.Wait()
	if held.Code != 200 {
		t.Fatalf("the slow upload: %d %s", held.Code, held.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/datasets", nil))
	if rec.Code != 200 {
		t.Fatalf("after the slot was freed: %d", rec.Code)
	}
}

// A search whose request deadline passes stops and answers 504 promptly
// instead of finishing its scan.
func TestSearchDeadline(t *testing.T) {
	eng, srv := limitServerWith(t, engine.DefaultLimits(), func(o *Options) { o.RequestTimeout = 2 * time.Millisecond })
	ctx := context.Background()
	// Big enough that a full scan takes tens of milliseconds, well past
	// the 2ms deadline on any machine.
	const n, dim = 40_000, 128
	if _, err := eng.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "s", Dim: dim, Metric: "l2", Index: engine.IndexSpec{Backend: "exact"}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	ids := make([]string, n)
	data := make([]float32, n*dim)
	for i := range ids {
		ids[i] = fmt.Sprint("p", i)
	}
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	if _, err := eng.Import(ctx, "ds", engine.ImportBatch{Space: "s", IDs: ids, Data: data, Dim: dim}, nil); err != nil {
		t.Fatal(err)
	}
	// How long the full scan takes without a deadline.
	start := time.Now()
	if _, err := eng.Search(ctx, "ds", engine.SearchRequest{Space: "s", Vector: data[:dim], K: 10, Exact: true}); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)

	start = time.Now()
	q, _ := json.Marshal(map[string]any{"space": "s", "vector": data[:dim], "k": 10, "exact": true})
	code, e := send(t, srv.Handler(), "POST", "/v1/datasets/ds/search", string(q))
	took := time.Since(start)
	if code != http.StatusGatewayTimeout || e.Code != "timeout" {
		t.Fatalf("exact search past its 2ms deadline: HTTP %d %+v after %v (a full scan takes %v)", code, e, took, full)
	}
	if took > full/2+100*time.Millisecond {
		t.Fatalf("the timed-out search took %v; a full scan takes %v: it did not stop early", took, full)
	}
	t.Logf("full exact scan of %d vectors %v; with a 2ms deadline: 504 after %v", n, full.Round(time.Millisecond), took.Round(time.Millisecond))
}
