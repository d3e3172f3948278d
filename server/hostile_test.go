package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
)

// floats renders n copies of x as a JSON array.
func floats(n int, x string) string {
	return "[" + strings.TrimSuffix(strings.Repeat(x+",", n), ",") + "]"
}

// Vectors whose distances would overflow, that underflow under cosine, or
// that hold null are refused as writes and as queries, naming the field;
// nothing hostile is stored, so the analyses never meet a NaN.
func TestHostileVectorsRefused(t *testing.T) {
	_, srv := limitServerWith(t, engine.DefaultLimits(), nil)
	h := srv.Handler()
	mustSend(t, h, "/v1/datasets", `{"name":"ds"}`)
	for _, m := range []string{"l2", "dot", "cosine"} {
		mustSend(t, h, "/v1/datasets/ds/spaces", fmt.Sprintf(`{"name":%q,"dim":32,"metric":%q}`, m, m))
	}
	var pts []string
	for i := range 12 {
		v := make([]string, 32)
		for j := range v {
			v[j] = fmt.Sprint((i*7+j*3)%11 - 5)
		}
		v[i] = "9"
		vs := "[" + strings.Join(v, ",") + "]"
		pts = append(pts, fmt.Sprintf(`{"id":"p%d","vectors":{"l2":%s,"dot":%s,"cosine":%s}}`, i, vs, vs, vs))
	}
	mustSend(t, h, "/v1/datasets/ds/points", `{"points":[`+strings.Join(pts, ",")+`]}`)
	tiny := "[1e-45" + strings.Repeat(",0", 31) + "]"
	cases := []struct {
		name, path, body, field string
	}{
		{"stored 3e38 l2", "/v1/datasets/ds/points", `{"points":[{"id":"x","vectors":{"l2":` + floats(32, "3e38") + `}}]}`, "points[0].vectors.l2"},
		{"stored 1e37 dot", "/v1/datasets/ds/points", `{"points":[{"id":"x","vectors":{"dot":` + floats(32, "1e37") + `}}]}`, "points[0].vectors.dot"},
		{"stored tiny cosine", "/v1/datasets/ds/points", `{"points":[{"id":"x","vectors":{"cosine":` + tiny + `}}]}`, "points[0].vectors.cosine"},
		{"null in a vector", "/v1/datasets/ds/points", `{"points":[{"id":"x","vectors":{"l2":[null` + strings.Repeat(",1", 31) + `]}}]}`, "points[0].vectors.l2[0]"},
		{"null in a query", "/v1/datasets/ds/search", `{"space":"l2","vector":[1,null` + strings.Repeat(",1", 30) + `]}`, "vector[1]"},
		{"query 1e37 l2", "/v1/datasets/ds/search", `{"space":"l2","vector":` + floats(32, "1e37") + `}`, "vector"},
		{"query 1e37 dot", "/v1/datasets/ds/search", `{"space":"dot","vector":` + floats(32, "1e37") + `}`, "vector"},
		{"query tiny cosine", "/v1/datasets/ds/search", `{"space":"cosine","vector":` + tiny + `}`, "vector"},
		{"target 3e38", "/v1/datasets/ds/search", `{"space":"l2","positive":[{"vector":` + floats(32, "3e38") + `}]}`, "positive[0].vector"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e := send(t, h, "POST", c.path, c.body)
			if code != http.StatusBadRequest || e.Field != c.field {
				t.Fatalf("HTTP %d field %q (%s), want 400 naming %q", code, e.Field, e.Message, c.field)
			}
		})
	}
	if code, e := send(t, h, "POST", "/v1/datasets/ds/clusters", `{"space":"dot","k":3}`); code != 400 || e.Field != "method" {
		t.Errorf("k-means over dot: HTTP %d %+v, want 400 naming method", code, e)
	}
	// The analyses over the stored (bounded) vectors answer 200.
	for _, m := range []string{"l2", "dot", "cosine"} {
		for _, route := range []string{"outliers", "clusters", "duplicates"} {
			body := fmt.Sprintf(`{"space":%q,"k":3}`, m)
			if route == "clusters" && m == "dot" {
				body = `{"space":"dot","method":"density","min_cluster_size":2,"neighbors":3}`
			}
			if route == "duplicates" {
				body = fmt.Sprintf(`{"space":%q}`, m)
			}
			if code, e := send(t, h, "POST", "/v1/datasets/ds/"+route, body); code != 200 {
				t.Errorf("%s over %s: HTTP %d %+v", route, m, code, e)
			}
		}
	}
}

// repeatJSON is prefix + n copies of item joined by commas + suffix.
func repeatJSON(prefix, item, suffix string, n int) []byte {
	var b bytes.Buffer
	b.Grow(len(prefix) + n*(len(item)+1) + len(suffix))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	b.WriteString(suffix)
	return b.Bytes()
}

// hostileBodies are the memory-amplification cases of issue 17, each
// about mb megabytes (the issue measured them at 60 MB).
func hostileBodies(mb int) []struct {
	name, method, path string
	body               []byte
} {
	n := mb << 20
	return []struct {
		name, method, path string
		body               []byte
	}{
		{"upsert of empty points", "POST", "/v1/datasets/ds/points", repeatJSON(`{"points":[`, `{}`, `]}`, n/3)},
		{"empty objects in one point", "POST", "/v1/datasets/ds/points", repeatJSON(`{"points":[{"id":"a","objects":[`, `{}`, `]}]}`, n/3)},
		{"search vector of zeros", "POST", "/v1/datasets/ds/search", repeatJSON(`{"space":"s","vector":[`, `0`, `]}`, n/2)},
		{"view similar rows", "POST", "/v1/datasets/ds/view/similar", repeatJSON(`{"space":"s","positive":[`, `0`, `]}`, n/2)},
		{"view coords", "PUT", "/v1/datasets/ds/view/coords", repeatJSON(`{"space":"s","ids":[],"coords":[`, `[0,0]`, `]}`, n/6)},
		{"ids to delete", "POST", "/v1/datasets/ds/points/delete", repeatJSON(`{"ids":[`, `"a"`, `]}`, n/4)},
		{"filter values", "POST", "/v1/datasets/ds/search", repeatJSON(`{"space":"s","vector":[1,0,0,0],"filter":{"metadata.label":[`, `1`, `]}}`, n/2)},
		{"nesting", "POST", "/v1/datasets/ds/points", append(append([]byte(`{"points":[{"id":"a","metadata":{"k":`), bytes.Repeat([]byte("["), n/2)...), bytes.Repeat([]byte("]"), n/2)...)},
	}
}

// Each hostile body is refused with a 4xx while the server's peak RSS
// grows by at most 4× the body (issue 17's target), in a fresh `reef
// serve` process per case so that no earlier request's heap hides the
// growth. REEF_HOSTILE_MB sets the body size (default: 4 and 16 MB).
func TestHostileBodiesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts reef processes")
	}
	sizes := []int{4, 16} // below and above the generic array limit
	if v, err := strconv.Atoi(os.Getenv("REEF_HOSTILE_MB")); err == nil && v > 0 {
		sizes = []int{v}
	}
	for _, mb := range sizes {
		for _, c := range hostileBodies(mb) {
			t.Run(fmt.Sprintf("%s/%dMB", c.name, mb), func(t *testing.T) {
				p := startReef(t)
				p.do(t, "POST", "/v1/datasets", []byte(`{"name":"ds"}`))
				p.do(t, "POST", "/v1/datasets/ds/spaces", []byte(`{"name":"s","dim":4}`))
				var code int
				var took time.Duration
				growth := p.peakGrowth(t, func() { code, took = p.do(t, c.method, c.path, c.body) })
				t.Logf("%-28s body %5.1f MB: HTTP %d in %v, peak RSS +%.1f MB (%.2f× body)", c.name, float64(len(c.body))/(1<<20),
					code, took.Round(time.Millisecond), float64(growth)/(1<<20), float64(growth)/float64(len(c.body)))
				if code < 400 || code >= 500 {
					t.Errorf("HTTP %d, want a 4xx refusal", code)
				}
				if growth > 4*int64(len(c.body)) {
					t.Errorf("peak RSS grew %d bytes for a %d-byte body: more than 4×", growth, len(c.body))
				}
			})
		}
	}
}

// analysisServer is a server with datasets a and b of n random 8-d points
// in space s.
func analysisServer(t *testing.T, n int, mutate func(*Options)) (*engine.Engine, http.Handler) {
	t.Helper()
	eng, srv := limitServerWith(t, engine.DefaultLimits(), mutate)
	h := srv.Handler()
	for di, ds := range []string{"a", "b"} {
		mustSend(t, h, "/v1/datasets", fmt.Sprintf(`{"name":%q}`, ds))
		mustSend(t, h, "/v1/datasets/"+ds+"/spaces", `{"name":"s","dim":8,"metric":"l2"}`)
		for lo := 0; lo < n; lo += 1000 {
			mustSend(t, h, "/v1/datasets/"+ds+"/points", analysisPoints(di, lo, min(n, lo+1000)))
		}
	}
	return eng, h
}

// analysisPoints is an upsert body of points lo..hi-1 of dataset number di.
func analysisPoints(di, lo, hi int) string {
	var pts []string
	for i := lo; i < hi; i++ {
		v := make([]string, 8)
		for j := range v {
			v[j] = fmt.Sprint(((i+di)*31+j*17)%97 - 48)
		}
		pts = append(pts, fmt.Sprintf(`{"id":"p%d","vectors":{"s":[%s]}}`, i, strings.Join(v, ",")))
	}
	return `{"points":[` + strings.Join(pts, ",") + `]}`
}

// Every analysis parameter outside its documented range is a 400 naming
// it (compare k:-1 panicked, bench m:[1,2] answered 500, permutations:-1
// an empty 200).
func TestHostileParametersRefused(t *testing.T) {
	_, h := analysisServer(t, 40, nil)
	cases := []struct{ name, path, body, field string }{
		{"compare k -1", "/v1/compare", `{"space":"s","a":"a","b":"b","k":-1}`, "k"},
		{"compare k huge", "/v1/compare", `{"space":"s","a":"a","b":"b","k":100000}`, "k"},
		{"compare permutations -1", "/v1/compare", `{"space":"s","a":"a","b":"b","permutations":-1}`, "permutations"},
		{"compare permutations 1e9", "/v1/compare", `{"space":"s","a":"a","b":"b","permutations":1000000000}`, "permutations"},
		{"compare alpha 1e39", "/v1/compare", `{"space":"s","a":"a","b":"b","alpha":1e39}`, "alpha"},
		{"compare alpha -0.5", "/v1/compare", `{"space":"s","a":"a","b":"b","alpha":-0.5}`, "alpha"},
		{"compare examples -1", "/v1/compare", `{"space":"s","a":"a","b":"b","examples":-1}`, "examples"},
		{"bench m 1", "/v1/datasets/a/spaces/s/bench", `{"m":[1,2]}`, "m"},
		{"bench m 0", "/v1/datasets/a/spaces/s/bench", `{"m":[0]}`, "m"},
		{"bench m -1", "/v1/datasets/a/spaces/s/bench", `{"m":[-1]}`, "m"},
		{"bench m huge", "/v1/datasets/a/spaces/s/bench", `{"m":[1000000]}`, "m"},
		{"bench ef 0", "/v1/datasets/a/spaces/s/bench", `{"ef":[0]}`, "ef"},
		{"bench ef_construction -1", "/v1/datasets/a/spaces/s/bench", `{"ef_construction":[-1]}`, "ef_construction"},
		{"bench backend", "/v1/datasets/a/spaces/s/bench", `{"backends":["bogus"]}`, "backends"},
		{"bench k -1", "/v1/datasets/a/spaces/s/bench", `{"k":-1}`, "k"},
		{"bench queries -1", "/v1/datasets/a/spaces/s/bench", `{"queries":-1}`, "queries"},
		{"outliers k -1", "/v1/datasets/a/outliers", `{"space":"s","k":-1}`, "k"},
		{"outliers k huge", "/v1/datasets/a/outliers", `{"space":"s","k":1000000}`, "k"},
		{"outliers limit -1", "/v1/datasets/a/outliers", `{"space":"s","limit":-1}`, "limit"},
		{"clusters k -1", "/v1/datasets/a/clusters", `{"space":"s","k":-1}`, "k"},
		{"clusters neighbors -1", "/v1/datasets/a/clusters", `{"space":"s","method":"density","neighbors":-1}`, "neighbors"},
		{"clusters min size -1", "/v1/datasets/a/clusters", `{"space":"s","method":"density","min_cluster_size":-1}`, "min_cluster_size"},
		{"duplicates k -1", "/v1/datasets/a/duplicates", `{"space":"s","k":-1}`, "k"},
		{"duplicates limit -1", "/v1/datasets/a/duplicates", `{"space":"s","limit":-1}`, "limit"},
		{"duplicates relative -1", "/v1/datasets/a/duplicates", `{"space":"s","relative":-1}`, "relative"},
		{"duplicates other k -1", "/v1/datasets/a/duplicates", `{"space":"s","other":"b","k":-1}`, "k"},
		{"compare permutations 1e9 with k -1", "/v1/compare", `{"space":"s","a":"a","b":"b","k":-1,"permutations":1000000000}`, "k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, e := send(t, h, "POST", c.path, c.body)
			if code != http.StatusBadRequest || e.Field != c.field {
				t.Fatalf("HTTP %d field %q (%s), want 400 naming %q", code, e.Field, e.Message, c.field)
			}
		})
	}
}

// Analyses stop at their deadline and answer 504, well before the full
// computation, measured in the same test on another server over the same
// engine without the tight limit.
func TestHostileComputationsStopAtDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs full analyses as the baseline")
	}
	const deadline = 30 * time.Millisecond
	eng, tight := analysisServer(t, 3000, func(o *Options) { o.ComputeTimeout = deadline })
	so := DefaultOptions()
	so.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	loose, err := New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, body string }{
		{"compare permutations", "/v1/compare", `{"space":"s","a":"a","b":"b","permutations":10000}`},
		{"outliers lof", "/v1/datasets/a/outliers", `{"space":"s","k":50,"method":"lof"}`},
		{"density clusters", "/v1/datasets/b/clusters", `{"space":"s","method":"density","neighbors":60}`},
		{"duplicates across", "/v1/datasets/a/duplicates", `{"space":"s","other":"b","k":40}`},
	}
	took := make([]time.Duration, len(cases))
	for i, c := range cases {
		start := time.Now()
		code, e := send(t, tight, "POST", c.path, c.body)
		took[i] = time.Since(start)
		if code != http.StatusGatewayTimeout || e.Code != "timeout" {
			t.Errorf("%s with a %v deadline: HTTP %d %+v after %v", c.name, deadline, code, e, took[i])
		}
	}
	for i, c := range cases {
		start := time.Now()
		if code, e := send(t, loose.Handler(), "POST", c.path, c.body); code != 200 {
			t.Fatalf("%s without the deadline: HTTP %d %+v", c.name, code, e)
		}
		full := time.Since(start)
		t.Logf("%-22s full %v; with a %v deadline: 504 after %v", c.name, full.Round(time.Millisecond), deadline, took[i].Round(time.Millisecond))
		if took[i] > full/2+time.Second {
			t.Errorf("%s: the timed-out run took %v, the full run %v: it did not stop early", c.name, took[i], full)
		}
	}
}

// SIGTERM lets an in-flight request finish within the grace, cancels one
// that outlasts it with a 503, and reef exits 0 either way (it exited 1
// after 16–33 s).
func TestHostileGracefulStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts reef processes")
	}
	cases := []struct {
		name       string
		grace      time.Duration
		perms      int
		wantStatus int
	}{
		{"finishes within the grace", 30 * time.Second, 30000, http.StatusOK}, // ~1 s idle, well under the grace loaded
		{"cancelled after the grace", 300 * time.Millisecond, 100000, http.StatusServiceUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startReef(t, "--shutdown-grace", c.grace.String())
			for di, ds := range []string{"a", "b"} {
				p.do(t, "POST", "/v1/datasets", []byte(fmt.Sprintf(`{"name":%q}`, ds)))
				p.do(t, "POST", "/v1/datasets/"+ds+"/spaces", []byte(`{"name":"s","dim":8,"metric":"l2"}`))
				for lo := 0; lo < 3000; lo += 1000 {
					if code, _ := p.do(t, "POST", "/v1/datasets/"+ds+"/points", []byte(analysisPoints(di, lo, lo+1000))); code != 200 {
						t.Fatalf("upsert: HTTP %d", code)
					}
				}
			}
			type answer struct {
				code int
				took time.Duration
			}
			got := make(chan answer, 1)
			go func() {
				code, took := p.do(t, "POST", "/v1/compare", []byte(fmt.Sprintf(`{"space":"s","a":"a","b":"b","permutations":%d}`, c.perms)))
				got <- answer{code, took}
			}()
			time.Sleep(300 * time.Millisecond) // the request is running
			err, took := p.stop(t, c.grace+15*time.Second)
			a := <-got
			t.Logf("in-flight compare: HTTP %d after %v; reef exited (%v) %v after SIGTERM", a.code, a.took.Round(time.Millisecond), err, took.Round(time.Millisecond))
			if a.took < 300*time.Millisecond {
				t.Fatalf("the compare ended after %v, before the SIGTERM: not in flight", a.took)
			}
			if err != nil {
				t.Errorf("reef exited with %v, want status 0", err)
			}
			if a.code != c.wantStatus {
				t.Errorf("in-flight request: HTTP %d, want %d", a.code, c.wantStatus)
			}
			if c.wantStatus == http.StatusServiceUnavailable && took > c.grace+3*time.Second {
				t.Errorf("exit took %v with a grace of %v", took, c.grace)
			}
		})
	}
}

// Heavy requests share a memory budget: while one holds it, the next waits
// about a second and is refused with 503 and Retry-After; small requests
// never wait; once the first ends the budget is free again.
func TestHostileMemoryBudget(t *testing.T) {
	const body = 2 << 20 // weighs 4× as JSON: the whole 8 MiB budget
	_, srv := limitServerWith(t, engine.DefaultLimits(), func(o *Options) { o.MemoryBudget = 8 << 20 })
	h := srv.Handler()
	mustSend(t, h, "/v1/datasets", `{"name":"ds"}`)
	mustSend(t, h, "/v1/datasets/ds/spaces", `{"name":"s","dim":4}`)
	heavy := func(r io.Reader) *http.Request {
		req := httptest.NewRequest("POST", "/v1/datasets/ds/points", r)
		req.ContentLength = body
		return req
	}
	pr, pw := io.Pipe()
	held := httptest.NewRecorder()
	var wg sync.WaitGroup
	wg.Go(func() { h.ServeHTTP(held, heavy(pr)) })
	// The first Write returns once the handler reads: it holds the budget.
	if _, err := pw.Write([]byte(`{"points":[]`)); err != nil {
		t.Fatal(err)
	}
	padded := []byte(`{"points":[]` + strings.Repeat(" ", body-len(`{"points":[]}`)) + `}`)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, heavy(bytes.NewReader(padded)))
	waited := time.Since(start)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "overloaded") {
		t.Fatalf("second heavy request while the budget is held: %d %s", rec.Code, rec.Body)
	}
	if waited < budgetWait/2 || waited > budgetWait+2*time.Second {
		t.Fatalf("refused after %v; it should wait about %v", waited, budgetWait)
	}
	if code, e := send(t, h, "GET", "/v1/datasets", ""); code != 200 {
		t.Fatalf("a small request while the budget is held: %d %+v", code, e)
	}
	pw.Write(append(bytes.Repeat([]byte(" "), body-len(`{"points":[]}`)), '}'))
	pw.Close()
	wg.Wait()
	if held.Code == http.StatusServiceUnavailable {
		t.Fatalf("the holder: %d %s", held.Code, held.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, heavy(bytes.NewReader(padded)))
	if rec.Code == http.StatusServiceUnavailable {
		t.Fatalf("heavy request after the budget was freed: %d %s", rec.Code, rec.Body)
	}
	t.Logf("held: %d; second heavy: 503 after %v; after release: %d", held.Code, waited.Round(time.Millisecond), rec.Code)
}

// analysisRoutes are fuzzed by FuzzAnalysisJSON; the first byte of an
// input picks one.
var analysisRoutes = []string{"/v1/datasets/a/outliers", "/v1/datasets/a/clusters", "/v1/datasets/a/duplicates",
	"/v1/compare", "/v1/datasets/a/spaces/s/bench", "/v1/datasets/a/spaces/s/tune"}

// FuzzAnalysisJSON mutates valid analysis requests: every answer is a 2xx,
// a 4xx with an error body, or a 503/504 when the computation ran out of
// time; never a 500 or a panic.
func FuzzAnalysisJSON(f *testing.F) {
	_, srv := limitServerWith(f, engine.DefaultLimits(), func(o *Options) { o.ComputeTimeout = 2 * time.Second })
	h := srv.Handler()
	for di, ds := range []string{"a", "b"} {
		for _, req := range []struct{ path, body string }{
			{"/v1/datasets", fmt.Sprintf(`{"name":%q}`, ds)},
			{"/v1/datasets/" + ds + "/spaces", `{"name":"s","dim":8,"metric":"l2"}`},
			{"/v1/datasets/" + ds + "/points", analysisPoints(di, 0, 60)},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", req.path, strings.NewReader(req.body)))
			if rec.Code >= 300 {
				f.Fatalf("setup %s: %d %s", req.path, rec.Code, rec.Body)
			}
		}
	}
	seeds := [][]string{
		{`{"space":"s","k":5}`, `{"space":"s","method":"lof","k":3,"limit":5}`, `{"space":"s","reference":"b","k":4}`, `{"space":"s","method":"kth","k":200}`},
		{`{"space":"s","k":3}`, `{"space":"s","method":"density","min_cluster_size":2,"neighbors":5}`, `{"space":"s","k":3,"summary_fields":["x"]}`},
		{`{"space":"s"}`, `{"space":"s","other":"b","k":3,"relative":0.5}`, `{"space":"s","threshold":1e30,"limit":1}`},
		{`{"space":"s","a":"a","b":"b","permutations":50}`, `{"space":"s","a":"a","b":"b","k":3,"group_by":"cluster","alpha":0.5,"examples":0}`},
		{`{"m":[4],"ef":[10],"queries":5,"max_vectors":50}`, `{"backends":["exact"],"k":1,"queries":1}`},
		{`{"target_recall":0.9,"k":3,"queries":5}`, `{"target_recall":1}`},
	}
	for i, ss := range seeds {
		for _, s := range ss {
			f.Add(append([]byte{byte(i)}, s...))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		path := analysisRoutes[int(in[0])%len(analysisRoutes)]
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(in[1:])))
		switch {
		case rec.Code == http.StatusServiceUnavailable || rec.Code == http.StatusGatewayTimeout:
		case rec.Code >= 500 || rec.Code < 200:
			t.Fatalf("POST %s %q: HTTP %d %s", path, in[1:], rec.Code, rec.Body)
		}
	})
}

// The scan's limits are no tighter than the routes' own: points/missing
// takes 100× a batch of ids, view/similar 10,000 rows, a filter 10,000
// values.
func TestHostileScanKeepsRouteLimits(t *testing.T) {
	_, srv := limitServerWith(t, engine.DefaultLimits(), nil)
	h := srv.Handler()
	mustSend(t, h, "/v1/datasets", `{"name":"ds"}`)
	mustSend(t, h, "/v1/datasets/ds/spaces", `{"name":"s","dim":4}`)
	cases := []struct{ name, path, body string }{
		{"missing ids", "/v1/datasets/ds/points/missing", string(repeatJSON(`{"ids":[`, `"a"`, `]}`, 20_000))},
		{"similar rows", "/v1/datasets/ds/view/similar", string(repeatJSON(`{"space":"s","positive":[`, `0`, `]}`, 5000))},
		{"filter values", "/v1/datasets/ds/search", string(repeatJSON(`{"space":"s","vector":[1,0,0,0],"filter":{"metadata.x":[`, `1`, `]}}`, 5000))},
	}
	for _, c := range cases {
		code, e := send(t, h, "POST", c.path, c.body)
		if strings.Contains(e.Message, "has more than") {
			t.Errorf("%s: refused by the scan: HTTP %d %+v", c.name, code, e)
		}
	}
}
