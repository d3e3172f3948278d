package server

import (
	"fmt"
	"testing"
)

type evalSummary struct {
	Points, Evaluated, Failed, Written int
	Detection                          *struct {
		Counts   map[string]int `json:"counts"`
		PerClass []struct {
			Class                 string
			Labels, Inferences    int
			TP                    int `json:"tp"`
			Precision, Recall, AP float64
		} `json:"per_class"`
		Confusion struct {
			Classes []string
			Cells   [][]int
		}
	}
	Classification *struct {
		Accuracy float64
		PerClass []struct {
			Class             string
			Precision, Recall float64
		} `json:"per_class"`
	}
	Worst []struct {
		ID      string
		Outcome string
	}
	Comparison *struct {
		OnlyA int `json:"only_a"`
		OnlyB int `json:"only_b"`
		Both  int
	}
}

func box(id, kind, class string, x, y, w, h float32, score float32) map[string]any {
	o := map[string]any{"id": id, "kind": kind, "class": class, "bbox": []float32{x, y, w, h}}
	if kind == "inference" {
		o["score"] = score
	}
	return o
}

// detectionFixture stores one point per outcome: p1 true positive, p2
// class confusion, p3 missed, p4 spurious, p5 localisation, p6 a true
// positive plus a duplicate, p7 empty. Model "b/" gets p2 and p3 right and
// misses p1.
func detectionFixture(t *testing.T, ts *testServer) {
	t.Helper()
	ts.call("POST", "/v1/datasets", map[string]any{"name": "det"}, nil)
	pts := []map[string]any{
		{"id": "p1", "objects": []any{box("l1", "label", "cat", 0, 0, 10, 10, 0), box("a1", "inference", "cat", 0, 0, 10, 10, .9)}},
		{"id": "p2", "objects": []any{box("l2", "label", "dog", 0, 0, 10, 10, 0), box("a2", "inference", "cat", 1, 1, 10, 10, .8),
			box("b2", "inference", "dog", 0, 0, 10, 10, .7)}},
		{"id": "p3", "objects": []any{box("l3", "label", "cat", 0, 0, 10, 10, 0), box("b3", "inference", "cat", 0, 0, 10, 9, .6)}},
		{"id": "p4", "objects": []any{box("a4", "inference", "cat", 50, 50, 5, 5, .5)}},
		{"id": "p5", "objects": []any{box("l5", "label", "cat", 0, 0, 10, 10, 0), box("a5", "inference", "cat", 5, 0, 10, 10, .4)}},
		{"id": "p6", "objects": []any{box("l6", "label", "cat", 0, 0, 10, 10, 0), box("a6", "inference", "cat", 0, 0, 10, 10, .9),
			box("a6x", "inference", "cat", 0, 0, 10, 10, .3)}},
		{"id": "p7"},
	}
	if code := ts.call("POST", "/v1/datasets/det/points", map[string]any{"points": pts}, nil); code != 200 {
		t.Fatalf("upsert: %d", code)
	}
}

func TestEvaluateDetectionOverREST(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	detectionFixture(t, ts)
	var res evalSummary
	if code := ts.call("POST", "/v1/datasets/det/evaluate", map[string]any{"inference_prefix": "a", "compare_with": "b"}, &res); code != 200 {
		t.Fatalf("evaluate: %d", code)
	}
	want := map[string]int{"tp": 2, "spurious": 1, "missed": 1, "class_confusion": 1, "localisation": 1, "duplicate": 1}
	for k, v := range want {
		if res.Detection.Counts[k] != v {
			t.Errorf("counts[%s] = %d, want %d (all %v)", k, res.Detection.Counts[k], v, res.Detection.Counts)
		}
	}
	if res.Points != 7 || res.Evaluated != 6 || res.Failed != 5 || res.Written != 7 {
		t.Errorf("points %d evaluated %d failed %d written %d, want 7 6 5 7", res.Points, res.Evaluated, res.Failed, res.Written)
	}
	for _, pc := range res.Detection.PerClass {
		if pc.Class == "cat" && (pc.TP != 2 || pc.Inferences != 6 || pc.Labels != 4 || pc.Precision != 2.0/6 || pc.Recall != 0.5) {
			t.Errorf("cat metrics %+v, want tp 2 of 6 inferences and 4 labels", pc)
		}
	}
	// p1 and p6 are correct for a, p2 and p3 for b; a alone gets p1 and p6.
	if c := res.Comparison; c == nil || c.OnlyA != 2 || c.OnlyB != 2 || c.Both != 0 {
		t.Errorf("comparison %+v, want only_a 2, only_b 2, both 0", res.Comparison)
	}
	var p2 struct{ Metadata map[string]map[string]any }
	ts.call("GET", "/v1/datasets/det/points/p2", nil, &p2)
	if e := p2.Metadata["eval"]; e["outcome"] != "error" || e["class_confusion"] != 1.0 || e["failed"] != true {
		t.Errorf("p2 eval metadata %v", e)
	}
	// Filters see the outcome: the failed points are the ones listed.
	var upd struct{ Matched int }
	ts.call("POST", "/v1/datasets/det/points/metadata", map[string]any{"filter": map[string]any{"metadata.eval.failed": true},
		"set": map[string]any{"review": true}}, &upd)
	if upd.Matched != 5 || len(res.Worst) != 5 {
		t.Errorf("filter on eval.failed matched %d, worst lists %d; want 5", upd.Matched, len(res.Worst))
	}
	// A second run changes nothing.
	var again evalSummary
	ts.call("POST", "/v1/datasets/det/evaluate", map[string]any{"inference_prefix": "a"}, &again)
	if again.Written != 0 {
		t.Errorf("re-evaluation rewrote %d points", again.Written)
	}
}

func TestEvaluateRefusesBadRequests(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.AdminKey, o.ReadKey = "admin", "reader" })
	ts.key = "admin"
	detectionFixture(t, ts)
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"bad task", `{"task":"segmentation"}`, 400, "task"},
		{"bad iou", `{"iou_threshold":1.5}`, 400, "iou_threshold"},
		{"classification without label", `{"task":"classification","prediction_field":"p"}`, 400, "label_field"},
		{"dotted name", `{"name":"a.b"}`, 400, "name"},
		{"unknown dataset", `{}`, 404, "dataset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/datasets/det/evaluate"
			if tt.status == 404 {
				path = "/v1/datasets/nope/evaluate"
			}
			var e errBody
			if code := ts.call("POST", path, tt.body, &e); code != tt.status || e.Error.Field != tt.field {
				t.Fatalf("got %d %+v, want %d field %q", code, e.Error, tt.status, tt.field)
			}
		})
	}
	ts.key = "reader"
	var e errBody
	if code := ts.call("POST", "/v1/datasets/det/evaluate", `{}`, &e); code != 403 {
		t.Fatalf("read-only key wrote outcomes: %d", code)
	}
}

func TestEvaluateClassificationOverREST(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "cls"}, nil)
	var pts []map[string]any
	// 10 points: label a for even, b for odd; the model says a for i < 6.
	for i := range 10 {
		label, pred := "a", "b"
		if i%2 == 1 {
			label = "b"
		}
		if i < 6 {
			pred = "a"
		}
		pts = append(pts, map[string]any{"id": fmt.Sprintf("c%d", i), "metadata": map[string]any{"y": label, "m": map[string]any{"pred": pred, "conf": 0.5 + 0.05*float64(i)}}})
	}
	ts.call("POST", "/v1/datasets/cls/points", map[string]any{"points": pts}, nil)
	var res evalSummary
	code := ts.call("POST", "/v1/datasets/cls/evaluate", map[string]any{"task": "classification", "label_field": "y",
		"prediction_field": "m.pred", "confidence_field": "m.conf", "name": "clf"}, &res)
	// Correct: c0 c2 c4 (a,a), c7 c9 (b,b); wrong: c1 c3 c5 (b->a), c6 c8 (a->b).
	if code != 200 || res.Classification == nil || res.Classification.Accuracy != 0.5 || res.Failed != 5 {
		t.Fatalf("%d %+v", code, res)
	}
	var c1 struct{ Metadata struct{ Clf map[string]any } }
	ts.call("GET", "/v1/datasets/cls/points/c1", nil, &c1)
	if m := c1.Metadata.Clf; m["result"] != "class_confusion" || m["predicted"] != "a" || m["label"] != "b" {
		t.Errorf("c1 metadata %v", m)
	}
	var e errBody
	if code := ts.call("POST", "/v1/datasets/cls/evaluate", map[string]any{"task": "classification", "label_field": "y",
		"prediction_field": "m.pred", "confidence_field": "y"}, &e); code != 400 || e.Error.Field != "confidence_field" {
		t.Errorf("string confidence accepted: %d %+v", code, e.Error)
	}
}
