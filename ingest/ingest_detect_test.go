package ingest

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
)

// builtinEnv returns options with the repository's ONNX Runtime and the
// built-in model, plus the Caltech-101 image directory, or skips.
func builtinEnv(t testing.TB) (envOptions, string) {
	t.Helper()
	o := builtinModelEnv(t)
	images, _ := filepath.Abs("../../shared/data/caltech101/images")
	if _, err := os.Stat(images); err != nil {
		t.Skip("../shared/data/caltech101 absent")
	}
	return o, images
}

// builtinModelEnv returns options with the repository's ONNX Runtime and
// the built-in model, or skips.
func builtinModelEnv(t testing.TB) envOptions {
	t.Helper()
	lib, _ := filepath.Abs("../third_party/onnxruntime/libonnxruntime.so.1")
	if _, err := os.Stat(lib); err != nil {
		t.Skip("ONNX Runtime not installed; run `make setup`")
	}
	dir, _ := filepath.Abs("../models/builtin")
	m, err := extract.LoadManifest(filepath.Join(dir, "reef-centernet-v1.json"))
	if err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, m.File)); err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	if m.Detection == nil {
		t.Skip("built-in manifest has no detection section; rerun scripts/build-default-model.sh")
	}
	o := testOptions(t.TempDir())
	o.ORTLibrary, o.ModelDir = lib, dir
	return o
}

func TestIngestImagesDetectsObjects(t *testing.T) {
	opts, images := builtinEnv(t)
	ctx := context.Background()
	e, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.CreateDataset(ctx, "photos"); err != nil {
		t.Fatal(err)
	}
	var items []ImageItem
	for _, p := range []string{"airplanes/image_0001.jpg", "Motorbikes/image_0001.jpg", "car_side/image_0001.jpg", "Faces_easy/image_0001.jpg"} {
		data, err := os.ReadFile(filepath.Join(images, p))
		if err != nil {
			t.Skipf("caltech photo unavailable: %v", err)
		}
		items = append(items, ImageItem{ID: p, Data: data})
	}
	// A label box whose id collides with a detection id, and a broken image.
	items[1].Labels = []LabelBox{{ID: "det0", Class: "motorbike", BBox: [4]float32{10, 10, 100, 80}}}
	items = append(items, ImageItem{ID: "broken.jpg", Data: []byte("\xff\xd8\xff not a jpeg")})
	res, err := e.IngestImages(ctx, "photos", "", items)
	if err != nil {
		t.Fatal(err)
	}
	if res.Upserted != 4 || len(res.Failed) != 1 || res.Failed[0].ID != "broken.jpg" {
		t.Fatalf("ingest = %+v", res)
	}
	// Every ingested image gets a ≤128 px JPEG thumbnail from the pipeline.
	for _, it := range items[:4] {
		b, ct, err := e.Thumbnail(ctx, "photos", it.ID)
		if err != nil {
			t.Fatalf("thumbnail %s: %v", it.ID, err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || ct != "image/jpeg" || max(cfg.Width, cfg.Height) != 128 {
			t.Fatalf("thumbnail %s: %s %dx%d %v", it.ID, ct, cfg.Width, cfg.Height, err)
		}
	}

	// The crops cut in the detector's pass are the ones a fresh decode
	// gives (StoreObjectThumbnails), for label and inference boxes alike.
	for _, it := range items[:4] {
		before, err := e.DB().AllObjectThumbs("photos", it.ID)
		if err != nil || len(before.Crops) == 0 {
			t.Fatalf("%s: no crops stored on ingest: %+v %v", it.ID, before, err)
		}
		img, err := extract.DecodeImage(it.Data, extract.DefaultImageLimits())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.StoreObjectThumbnails(ctx, "photos", it.ID, img); err != nil {
			t.Fatal(err)
		}
		after, err := e.DB().AllObjectThumbs("photos", it.ID)
		if err != nil || !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: ingest crops differ from a fresh decode's:\n%+v\n%+v %v", it.ID, before, after, err)
		}
	}

	const boxSpace = "reef-centernet-v1-boxes"
	sr, err := e.Search(ctx, "photos", engine.SearchRequest{Space: boxSpace, Level: "object", K: 50, Exact: true,
		Vector: unitVector(t, e, "photos", boxSpace), Filter: engine.Filter{"object.kind": "inference"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Hits) < 4 {
		t.Fatalf("%d inference boxes, want ≥ 4: %+v", len(sr.Hits), sr.Hits)
	}
	top := map[string]string{} // point → class of det0
	for _, h := range sr.Hits {
		if h.Kind != engine.KindInference || h.Class == "" || h.BBox == nil || !strings.HasPrefix(h.ObjectID, "det") {
			t.Errorf("hit %+v", h)
		}
		if h.ObjectID == "det0" {
			top[h.ID] = h.Class
		}
	}
	t.Logf("top detections: %v (%d inference boxes)", top, len(sr.Hits))
	want := map[string]string{"airplanes/image_0001.jpg": "airplane", "car_side/image_0001.jpg": "car", "Faces_easy/image_0001.jpg": "person"}
	for id, class := range want {
		if top[id] != class {
			t.Errorf("%s: top detection %q, want %q", id, top[id], class)
		}
	}
	// The motorbike photo keeps its label "det0"; its detections moved to det0~1.
	pv, err := e.Point(ctx, "photos", "Motorbikes/image_0001.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var label, inferred int
	for _, o := range pv.Objects {
		switch {
		case o.Kind == engine.KindLabel && o.ID == "det0" && o.Class == "motorbike":
			label++
		case o.Kind == engine.KindInference && o.ID == "det0~1" && o.Class == "motorcycle" && o.Score != nil && *o.Score >= 0.3:
			inferred++
		}
	}
	if label != 1 || inferred != 1 {
		t.Errorf("motorbike objects: %+v", pv.Objects)
	}
	// Label and inference boxes share the box space (label vectors come from
	// the 224 embedding run, inference ones from the 512 detection run).
	lr, err := e.Search(ctx, "photos", engine.SearchRequest{Space: boxSpace, Level: "object", K: 5, ID: "Motorbikes/image_0001.jpg", ObjectID: "det0",
		Filter: engine.Filter{"object.kind": "inference"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Hits) == 0 || lr.Hits[0].Kind != engine.KindInference {
		t.Errorf("inference boxes near the motorbike label: %+v", lr.Hits)
	}
	for _, h := range lr.Hits {
		t.Logf("near the label box: %s %s %s %.3f", h.ID, h.ObjectID, h.Class, h.Distance)
	}
	mustCheck(t, e)
}

// unitVector returns a unit query vector of the space's dimension.
func unitVector(t *testing.T, e *testEnv, dataset, space string) []float32 {
	t.Helper()
	sh, err := e.Space(dataset, space)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, sh.Info.Dim)
	v[0] = 1
	return v
}

func TestAppendDetections(t *testing.T) {
	labels := []engine.ObjectInput{{ID: "det0", Kind: engine.KindLabel}, {Kind: engine.KindLabel}} // the second defaults to id "1"
	dets := []engine.ObjectInput{{ID: "det0", Kind: engine.KindInference}, {ID: "det1", Kind: engine.KindInference}, {ID: "det2", Kind: engine.KindInference}}
	got := appendDetections(labels, dets, 4)
	if len(got) != 4 || got[2].ID != "det0~1" || got[3].ID != "det1" {
		t.Errorf("appendDetections = %+v", got)
	}
	if got := appendDetections(nil, nil, 10); got != nil {
		t.Errorf("no detections: %+v", got)
	}
}
