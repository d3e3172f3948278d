package server

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/reef-ml/reef/extract"
)

// TestEvaluateCaltechPhotos ingests four Caltech-101 photos with the
// built-in detector and hand-drawn label boxes (testdata), then evaluates
// the detector's inference boxes against them over REST.
func TestEvaluateCaltechPhotos(t *testing.T) {
	lib, _ := filepath.Abs("../third_party/onnxruntime/libonnxruntime.so.1")
	models, _ := filepath.Abs("../models/builtin")
	images := sharedDir("data/caltech101/images")
	if _, err := os.Stat(lib); err != nil {
		t.Skip("ONNX Runtime not installed; run `make setup`")
	}
	if m, err := extract.LoadManifest(filepath.Join(models, "reef-centernet-v1.json")); err != nil || m.Detection == nil {
		t.Skip("built-in detector absent (run `make setup`)")
	}
	if images == "" {
		t.Skip("shared/data/caltech101 absent beside the checkout")
	}
	raw, err := os.ReadFile("testdata/caltech_label_boxes.json")
	if err != nil {
		t.Fatal(err)
	}
	var boxes map[string][]map[string]any
	if err := json.Unmarshal(raw, &boxes); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.Ingest.ORTLibrary, o.Ingest.ModelDir = lib, models })
	ts.call("POST", "/v1/datasets", map[string]any{"name": "photos"}, nil)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	labels := map[string]any{}
	paths := make([]string, 0, len(boxes))
	for p := range boxes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(images, p))
		if err != nil {
			t.Skipf("caltech photo unavailable: %v", err)
		}
		name := strings.ReplaceAll(p, "/", "_")
		w, _ := mw.CreateFormFile("images", name)
		w.Write(data)
		labels[name] = boxes[p]
	}
	lj, _ := json.Marshal(labels)
	mw.WriteField("labels", string(lj))
	mw.WriteField("detect", "true") // inference boxes are opt-in
	mw.Close()
	req := httptest.NewRequest("POST", "/v1/datasets/photos/images", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("ingest: %d %s", rec.Code, rec.Body.String())
	}
	var res evalSummary
	if code := ts.call("POST", "/v1/datasets/photos/evaluate", map[string]any{"inference_prefix": "det", "limit": 4}, &res); code != 200 {
		t.Fatalf("evaluate: %d", code)
	}
	c := res.Detection.Counts
	t.Logf("4 photos: counts %v; per class:", c)
	for _, pc := range res.Detection.PerClass {
		t.Logf("  %-12s labels %d inferences %d tp %d precision %.2f recall %.2f AP %.2f", pc.Class, pc.Labels, pc.Inferences, pc.TP, pc.Precision, pc.Recall, pc.AP)
	}
	// The detector names all four objects (ingest's own test checks its
	// classes); the hand-drawn boxes must be matched at IoU 0.5 for at
	// least three of them.
	if c["tp"] < 3 || c["tp"]+c["missed"]+c["class_confusion"]+c["localisation"] != 4 {
		t.Errorf("counts %v: want >= 3 of the 4 label boxes matched", c)
	}
	var pt struct{ Metadata map[string]map[string]any }
	ts.call("GET", "/v1/datasets/photos/points/airplanes_image_0001.jpg", nil, &pt)
	if pt.Metadata["eval"]["tp"] != 1.0 {
		t.Errorf("airplane eval metadata %v", pt.Metadata["eval"])
	}
}

// sharedDir finds rel under a "shared" directory beside one of the
// working directory's parents (the main checkout and the worktrees sit at
// different depths), or returns "".
func sharedDir(rel string) string {
	dir, _ := filepath.Abs(".")
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		p := filepath.Join(filepath.Dir(dir), "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
