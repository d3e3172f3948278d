package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
)

// ingestEnv returns options with the repository's ONNX Runtime and the
// shared ImageNet MobileNetV2, or skips when either is absent.
func ingestEnv(t testing.TB) (envOptions, string, string) {
	t.Helper()
	lib, _ := filepath.Abs("../third_party/onnxruntime/libonnxruntime.so.1")
	if _, err := os.Stat(lib); err != nil {
		t.Skip("ONNX Runtime not installed; run `make setup`")
	}
	shared, _ := filepath.Abs("../../shared")
	model := filepath.Join(shared, "models", "mobilenet_v2_1.0_224_imagenet.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("../shared/models absent")
	}
	o := testOptions(t.TempDir())
	o.ORTLibrary, o.ModelDir = lib, ""
	return o, model, filepath.Join(shared, "data", "caltech101", "images")
}

func TestIngestImagesWithUserModel(t *testing.T) {
	opts, modelPath, images := ingestEnv(t)
	ctx := context.Background()
	e, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f, _ := os.Open(modelPath)
	defer f.Close()
	m := extract.Manifest{Name: "mnv2", Version: "1", Input: "input", InputSize: [2]int{224, 224}, Layout: "nhwc",
		Mean: [3]float32{128, 128, 128}, Std: [3]float32{128, 128, 128}, Layer: "t_272", Normalize: true}
	if _, err := e.RegisterModel(ctx, m, f); err != nil {
		t.Fatal(err)
	}
	e.CreateDataset(ctx, "photos")
	var items []ImageItem
	for _, class := range []string{"airplanes", "Motorbikes", "sunflower"} {
		files, _ := filepath.Glob(filepath.Join(images, class, "*.jpg"))
		if len(files) < 4 {
			t.Skipf("caltech101 class %s missing", class)
		}
		for _, p := range files[:4] {
			data, _ := os.ReadFile(p)
			items = append(items, ImageItem{ID: class + "/" + filepath.Base(p), Data: data,
				Metadata: json.RawMessage(`{"class":"` + class + `"}`)})
		}
	}
	items = append(items, ImageItem{ID: "broken.jpg", Data: []byte("\xff\xd8\xff not a jpeg")})
	res, err := e.IngestImages(ctx, "photos", "mnv2", items)
	if err != nil {
		t.Fatal(err)
	}
	if res.Upserted != 12 || len(res.Failed) != 1 || res.Failed[0].ID != "broken.jpg" || res.Dim != 1280 {
		t.Fatalf("ingest = %+v", res)
	}
	// A photo's nearest neighbours are photos of its class.
	for _, q := range []string{items[0].ID, items[4].ID, items[8].ID} {
		sr, err := e.Search(ctx, "photos", engine.SearchRequest{Space: "mnv2", ID: q, K: 3})
		if err != nil {
			t.Fatal(err)
		}
		class := strings.Split(q, "/")[0]
		for _, h := range sr.Hits {
			if !strings.HasPrefix(h.ID, class+"/") {
				t.Errorf("neighbour of %s: %s (distance %.3f)", q, h.ID, h.Distance)
			}
		}
	}
	// The space records where its vectors came from; a different model's
	// vectors cannot be mixed in.
	d, _ := e.Dataset(ctx, "photos")
	if d.Spaces[0].Provenance != "model:mnv2" || d.Spaces[0].ModelVersion != "1" {
		t.Fatalf("space = %+v", d.Spaces[0])
	}
	if _, err := e.IngestImages(ctx, "photos", "nope", items[:1]); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("unknown model: %v", err)
	}
	missing, _ := e.MissingPoints(ctx, "photos", []string{items[0].ID, "new"})
	if len(missing) != 1 || missing[0] != "new" {
		t.Fatalf("missing = %v", missing)
	}
	mustCheck(t, e)
}

func TestRegisterModelRejectsBadLayer(t *testing.T) {
	opts, modelPath, _ := ingestEnv(t)
	e, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	data, _ := os.ReadFile(modelPath)
	m := extract.Manifest{Name: "bad", Input: "input", InputSize: [2]int{224, 224}, Layout: "nhwc",
		Mean: [3]float32{128, 128, 128}, Std: [3]float32{128, 128, 128}, Layer: "no_such_tensor"}
	if _, err := e.RegisterModel(context.Background(), m, bytes.NewReader(data)); !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("bad layer: %v", err)
	}
	if len(e.Models(context.Background())) != 0 {
		t.Fatal("a rejected model was registered")
	}
}
