package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/reef-ml/reef/ingest"
	"github.com/reef-ml/reef/view"
)

// TestViewOverlayAPI: ?with= overlays a dataset of the same space
// definition; a different one is a 400 naming the field and what differs.
func TestViewOverlayAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 40)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "other"}, nil)
	ts.call("POST", "/v1/datasets/other/spaces", map[string]any{"name": "s", "dim": 4, "metric": "cosine"}, nil)
	var pts []map[string]any
	for i := range 10 {
		v := []float32{0.1, 0.1, 0.1, 0.1}
		v[i%2] = 1
		pts = append(pts, map[string]any{"id": fmt.Sprintf("o%02d", i), "vectors": map[string]any{"s": v}, "metadata": map[string]any{"label": "a"}})
	}
	if code := ts.call("POST", "/v1/datasets/other/points", map[string]any{"points": pts}, nil); code != 200 {
		t.Fatalf("seed other: %d", code)
	}
	var sum view.ViewSummary
	if code := ts.call("GET", "/v1/datasets/ds/view?space=s&with=other", nil, &sum); code != 200 {
		t.Fatalf("overlay summary: %d", code)
	}
	if sum.Count != 50 || sum.Overlay == nil || sum.Overlay.Offset != 40 || sum.Overlay.Count != 10 {
		t.Fatalf("overlay summary: %+v", sum)
	}
	rec := ts.raw("GET", sum.URLs["points"], "", nil)
	if rec.Code != 200 || binary.LittleEndian.Uint32(rec.Body.Bytes()[12:]) != 50 {
		t.Fatalf("points.bin with overlay: %d", rec.Code)
	}
	rec = ts.raw("GET", sum.URLs["color"]+"dataset", "", nil)
	if rec.Code != 200 || rec.Body.Len() != 100 || binary.LittleEndian.Uint16(rec.Body.Bytes()[80:]) != 1 || binary.LittleEndian.Uint16(rec.Body.Bytes()[78:]) != 0 {
		t.Fatalf("color.bin dataset: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	var nb view.ViewHits
	if code := ts.call("POST", "/v1/datasets/ds/view/neighbors", `{"space":"s","with":"other","row":45,"k":5}`, &nb); code != 200 || nb.Query == nil || nb.Query.Dataset != "other" || nb.Query.ID != "o05" {
		t.Fatalf("neighbours of a B row: %d %+v", code, nb.Query)
	}

	// Another space definition: 400, field "with", the property named.
	ts.call("POST", "/v1/datasets", map[string]any{"name": "v2"}, nil)
	ts.call("POST", "/v1/datasets/v2/spaces", map[string]any{"name": "s", "dim": 4, "metric": "cosine", "model_version": "2"}, nil)
	var e errBody
	if code := ts.call("GET", "/v1/datasets/ds/view?space=s&with=v2", nil, &e); code != 400 || e.Error.Field != "with" || e.Error.Code != "incompatible" ||
		!bytes.Contains([]byte(e.Error.Message), []byte("model_version")) {
		t.Fatalf("incompatible overlay: %d %+v", code, e.Error)
	}
	if code := ts.call("POST", "/v1/datasets/ds/view/neighbors", `{"space":"s","with":"v2","row":1}`, &e); code != 400 || e.Error.Field != "with" {
		t.Fatalf("incompatible overlay (neighbours): %d %+v", code, e.Error)
	}
	if code := ts.call("GET", "/v1/datasets/ds/view?space=s&with=zz", nil, &e); code != 404 || e.Error.Field != "with" {
		t.Fatalf("unknown overlay: %d %+v", code, e.Error)
	}
}

// TestObjectThumbnailAPI: the crop route and its source header.
func TestObjectThumbnailAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "d"}, nil)
	ts.call("POST", "/v1/datasets/d/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2"}, nil)
	pts := []map[string]any{{"id": "img", "vectors": map[string]any{"s": []float32{1, 0}},
		"objects": []map[string]any{{"id": "box", "class": "x", "bbox": []float32{100, 20, 40, 30}, "vectors": map[string]any{"s": []float32{1, 1}}}}}}
	if code := ts.call("POST", "/v1/datasets/d/points", map[string]any{"points": pts}, nil); code != 200 {
		t.Fatalf("seed: %d", code)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := range 100 {
		for x := range 200 {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 50, A: 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if rec := ts.raw("PUT", "/v1/datasets/d/points/img/thumbnail", "image/png", buf.Bytes()); rec.Code != 204 {
		t.Fatalf("put: %d %s", rec.Code, rec.Body)
	}
	rec := ts.raw("GET", "/v1/datasets/d/points/img/objects/box/thumbnail", "", nil)
	if rec.Code != 200 || rec.Header().Get("X-Reef-Crop") != ingest.CropStored {
		t.Fatalf("crop: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	crop, _, err := image.Decode(rec.Body)
	if err != nil || crop.Bounds().Dx() != 40 || crop.Bounds().Dy() != 30 {
		t.Fatalf("crop: %v %v", crop.Bounds(), err)
	}
	var row view.ViewHit
	if code := ts.call("GET", "/v1/datasets/d/view/row/0?space=s&level=object", nil, &row); code != 200 ||
		row.Thumbnail != "/v1/datasets/d/points/img/objects/box/thumbnail" || row.ImageThumbnail != "/v1/datasets/d/points/img/thumbnail" {
		t.Fatalf("object row: %d %+v", code, row)
	}
	var e errBody
	if code := ts.call("GET", "/v1/datasets/d/points/img/objects/nope/thumbnail", nil, &e); code != 404 {
		t.Fatalf("missing object: %d %+v", code, e)
	}
}
