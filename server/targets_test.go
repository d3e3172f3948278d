package server

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// Multi-target queries take plain ids as well as objects, and every hit
// carries the score that ranks it, best first, with the distance to the
// positive it is nearest (average) or matched (best_score).
func TestMultiTargetPlainIDsAndScores(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2", "index": map[string]any{"backend": "exact"}}, nil)
	vec := map[string][2]float32{}
	var points []map[string]any
	for i := range 40 {
		v := [2]float32{float32(i % 8), float32(i / 8)}
		id := fmt.Sprintf("p%02d", i)
		vec[id] = v
		points = append(points, map[string]any{"id": id, "vectors": map[string]any{"s": v}})
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", map[string]any{"points": points}, nil); code != 200 {
		t.Fatalf("upsert: %d", code)
	}
	pos := []string{"p00", "p39"}
	l2 := func(a, b [2]float32) float32 { return float32(math.Hypot(float64(a[0]-b[0]), float64(a[1]-b[1]))) }
	tests := []struct{ name, body string }{
		{"plain ids, average", `{"space":"s","positive":["p00","p39"],"k":10}`},
		{"plain negative", `{"space":"s","positive":["p00","p39"],"negative":["p07"],"k":10}`},
		{"mixed, best_score", `{"space":"s","positive":["p00",{"id":"p39"}],"strategy":"best_score","k":10}`},
		{"feedback ids", `{"space":"s","positive":["p00","p39"],"feedback":{"accept":["p01"],"reject":["p20"]},"k":10}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res engine.SearchResult
			if code := ts.call("POST", "/v1/datasets/ds/search", tc.body, &res); code != 200 || len(res.Hits) != 10 {
				t.Fatalf("%d, %d hits", code, len(res.Hits))
			}
			for i, h := range res.Hits {
				if h.Score == nil {
					t.Fatalf("hit %d (%s) has no score", i, h.ID)
				}
				if i > 0 && *h.Score > *res.Hits[i-1].Score {
					t.Errorf("hit %d score %v above the one before (%v): not ranked by score", i, *h.Score, *res.Hits[i-1].Score)
				}
				// Accepted feedback joins the positives (engine/multisearch.go).
				ps := pos
				if strings.Contains(tc.body, "feedback") {
					ps = append(append([]string{}, pos...), "p01")
				}
				want := float32(math.Inf(1))
				for _, p := range ps {
					want = min(want, l2(vec[h.ID], vec[p]))
				}
				if h.Matched != nil {
					want = l2(vec[h.ID], vec[pos[*h.Matched]])
				}
				if math.Abs(float64(h.Distance-want)) > 1e-4 {
					t.Errorf("hit %s: distance %v, want %v", h.ID, h.Distance, want)
				}
			}
		})
	}
	var e errBody
	if code := ts.call("POST", "/v1/datasets/ds/search", `{"space":"s","positive":[7]}`, &e); code != 400 || e.Error.Message == "" {
		t.Errorf("a number as target: %d %+v", code, e.Error)
	}
}
