package server

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// userKeyed are response fields whose object keys are the caller's names
// (metadata fields, space names, label values), not the API's.
var userKeyed = map[string]bool{"metadata": true, "vectors": true, "counts": true, "mix": true, "summary": true,
	"groups_a": true, "groups_b": true, "label_counts": true, "classes": true}

// notJSON are routes whose success body is not JSON (or needs a model
// file), with why they are not walked.
var notJSON = map[string]string{
	"GET /metrics":                                           "Prometheus text",
	"GET /v1/backup":                                         "a bbolt file",
	"GET /v1/datasets/:ds/export":                            "Parquet, npz or npy",
	"GET /v1/datasets/:ds/points/:id/audio":                  "WAV",
	"GET /v1/datasets/:ds/points/:id/thumbnail":              "JPEG",
	"GET /v1/datasets/:ds/points/:id/image":                  "JPEG",
	"PUT /v1/datasets/:ds/points/:id/thumbnail":              "takes a JPEG; answers 204",
	"GET /v1/datasets/:ds/points/:id/objects/:oid/thumbnail": "JPEG",
	"GET /":                                     "the HTML page",
	"GET /assets/:file":                         "page assets",
	"GET /v1/datasets/:ds/view/points.bin":      "binary coordinates",
	"GET /v1/datasets/:ds/view/color.bin":       "binary colours",
	"PUT /v1/datasets/:ds/view/coords":          "binary upload",
	"POST /v1/datasets/:ds/images":              "needs an image model (covered in ingest and the Python client's tests)",
	"POST /v1/datasets/:ds/audio":               "needs the audio model",
	"POST /v1/models":                           "needs an ONNX file",
	"POST /v1/datasets/:ds/import":              "multipart upload (its answer is WriteResult, walked via points)",
	"DELETE /v1/datasets/:ds":                   "204, no body",
	"DELETE /v1/datasets/:ds/points/:id":        "answers WriteResult, as points/delete",
	"POST /v1/datasets/:ds/spaces/:space/bench": "minutes of work",
	"GET /v1/datasets/:ds/issues/:issue/export": "CSV or JSON lines",
}

// TestResponsesSnakeCase sends a real request to every JSON route of the
// router and walks each answer: every key the API names is snake_case.
// A route neither walked nor exempt above fails the test, so a new route
// must join one list or the other.
func TestResponsesSnakeCase(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 60)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "other"}, nil)
	ts.call("POST", "/v1/datasets/other/spaces", map[string]any{"name": "s", "dim": 4, "metric": "cosine"}, nil)
	ts.call("POST", "/v1/datasets/other/points", map[string]any{"points": []map[string]any{
		{"id": "o1", "vectors": map[string]any{"s": []float32{1, 0.2, 0.1, 0.1}}, "metadata": map[string]any{"label": "a"}},
		{"id": "o2", "vectors": map[string]any{"s": []float32{0.1, 1, 0.1, 0.3}}, "metadata": map[string]any{"label": "b"}}}}, nil)
	requests := []struct{ route, method, path, body string }{
		{"GET /v1/health", "GET", "/v1/health", ""},
		{"POST /v1/datasets", "POST", "/v1/datasets", `{"name":"fresh"}`},
		{"GET /v1/datasets", "GET", "/v1/datasets", ""},
		{"GET /v1/datasets/:ds", "GET", "/v1/datasets/ds", ""},
		{"POST /v1/datasets/:ds/spaces", "POST", "/v1/datasets/fresh/spaces", `{"name":"t","dim":2,"metric":"l2"}`},
		{"POST /v1/datasets/:ds/spaces/:space/tune", "POST", "/v1/datasets/ds/spaces/s/tune", `{"queries":20,"target_recall":0.5}`},
		{"POST /v1/datasets/:ds/points", "POST", "/v1/datasets/fresh/points", `{"points":[{"id":"x","vectors":{"t":[1,2]}},{"id":"y","vectors":{"t":[2,1]}}]}`},
		{"GET /v1/datasets/:ds/points", "GET", "/v1/datasets/ds/points?limit=3&vectors=true", ""},
		{"GET /v1/datasets/:ds/points/:id", "GET", "/v1/datasets/ds/points/p001", ""},
		{"POST /v1/datasets/:ds/points/delete", "POST", "/v1/datasets/fresh/points/delete", `{"ids":["y"]}`},
		{"POST /v1/datasets/:ds/points/missing", "POST", "/v1/datasets/ds/points/missing", `{"ids":["p001","nope"]}`},
		{"POST /v1/datasets/:ds/points/metadata", "POST", "/v1/datasets/ds/points/metadata", `{"ids":["p001"],"set":{"seen":true}}`},
		{"POST /v1/datasets/:ds/search", "POST", "/v1/datasets/ds/search", `{"space":"s","positive":["p001","p003"],"negative":["p002"],"k":3}`},
		{"POST /v1/datasets/:ds/outliers", "POST", "/v1/datasets/ds/outliers", `{"space":"s","k":3,"limit":3}`},
		{"POST /v1/datasets/:ds/clusters", "POST", "/v1/datasets/ds/clusters", `{"space":"s","k":2,"summary_fields":["label"]}`},
		{"POST /v1/datasets/:ds/duplicates", "POST", "/v1/datasets/ds/duplicates", `{"space":"s","other":"other"}`},
		{"POST /v1/compare", "POST", "/v1/compare", `{"space":"s","a":"ds","b":"other","group_by":"label"}`},
		{"GET /v1/models", "GET", "/v1/models", ""},
		{"POST /v1/check", "POST", "/v1/check", ""},
		{"GET /v1/datasets/:ds/view", "GET", "/v1/datasets/ds/view?space=s", ""},
		{"GET /v1/datasets/:ds/view/row/:row", "GET", "/v1/datasets/ds/view/row/3?space=s", ""},
		{"POST /v1/datasets/:ds/view/neighbors", "POST", "/v1/datasets/ds/view/neighbors", `{"space":"s","row":3,"k":3}`},
		{"POST /v1/datasets/:ds/view/similar", "POST", "/v1/datasets/ds/view/similar", `{"space":"s","positive":[0,2],"k":3}`},
		{"POST /v1/datasets/:ds/view/layout", "POST", "/v1/datasets/ds/view/layout", `{"space":"s","method":"pca"}`},
		{"POST /v1/datasets/:ds/view/tag", "POST", "/v1/datasets/ds/view/tag", `{"space":"s","rows":[0,1],"tag":"look"}`},
		{"POST /v1/datasets/:ds/search.f32", "POST", "/v1/datasets/ds/search.f32?space=s&k=3", string(f32Body([]float32{1, 2, 3, 4}))},
		{"POST /v1/datasets/:ds/view/rows", "POST", "/v1/datasets/ds/view/rows", `{"space":"s","rows":[0,1,2]}`},
		{"POST /v1/datasets/:ds/view/lookup", "POST", "/v1/datasets/ds/view/lookup", `{"space":"s","ids":["p001","p003","gone"]}`},
		{"POST /v1/datasets/:ds/evaluate", "POST", "/v1/datasets/ds/evaluate", `{"task":"classification","label_field":"label","prediction_field":"label","dry_run":true}`},
		{"POST /v1/datasets/:ds/label_errors", "POST", "/v1/datasets/ds/label_errors", `{"space":"s","label_field":"label","k":5}`},
		{"POST /v1/datasets/:ds/failure_regions", "POST", "/v1/datasets/ds/failure_regions", `{"space":"s","field":"score","threshold":30,"min_size":3}`},
		{"POST /v1/datasets/:ds/issues", "POST", "/v1/datasets/ds/issues", `{"name":"odd","space":"s","ids":["p001","p003"]}`},
		{"GET /v1/datasets/:ds/issues", "GET", "/v1/datasets/ds/issues", ""},
		{"GET /v1/datasets/:ds/issues/:issue", "GET", "/v1/datasets/ds/issues/odd", ""},
		{"POST /v1/datasets/:ds/issues/:issue/collect", "POST", "/v1/datasets/ds/issues/odd/collect", `{"from":"ds","k":3}`},
	}
	walked := map[string]bool{}
	for _, rq := range requests {
		rec := ts.raw(rq.method, rq.path, "application/json", []byte(rq.body))
		if rec.Code >= 300 {
			t.Errorf("%s %s: %d %s", rq.method, rq.path, rec.Code, rec.Body.String())
			continue
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Errorf("%s %s: not JSON: %v", rq.method, rq.path, err)
			continue
		}
		bad := badKeys(v, "")
		for _, k := range bad {
			t.Errorf("%s %s: key %s is not snake_case", rq.method, rq.path, k)
		}
		walked[rq.route] = true
	}
	var unlisted []string
	for _, r := range ts.srv.routes {
		key := r.method + " " + r.path
		if !walked[key] && notJSON[key] == "" {
			unlisted = append(unlisted, key)
		}
	}
	sort.Strings(unlisted)
	if len(unlisted) > 0 {
		t.Errorf("routes neither walked nor exempt: %s", strings.Join(unlisted, ", "))
	}
}

// badKeys returns the paths of non-snake_case keys in a decoded JSON value,
// not descending into user-keyed objects.
func badKeys(v any, at string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if !snakeRE.MatchString(k) {
				out = append(out, at+"."+k)
			}
			if !userKeyed[k] {
				out = append(out, badKeys(sub, at+"."+k)...)
			}
		}
	case []any:
		for i, sub := range x {
			out = append(out, badKeys(sub, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return out
}
