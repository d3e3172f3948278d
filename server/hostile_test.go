package server

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
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
// growth. REEF_HOSTILE_MB scales the bodies (default 16).
func TestHostileBodiesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts reef processes")
	}
	mb := 16
	if v, err := strconv.Atoi(os.Getenv("REEF_HOSTILE_MB")); err == nil && v > 0 {
		mb = v
	}
	for _, c := range hostileBodies(mb) {
		t.Run(c.name, func(t *testing.T) {
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
