package ingest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/view"
)

// twoTone is a w×h image, red left of x = split and blue from it on.
func twoTone(w, h, split int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 220, G: 20, B: 20, A: 255}
			if x >= split {
				c = color.NRGBA{R: 20, G: 20, B: 220, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeCrop decodes a crop and reports its size and how many of its
// pixels are mostly red and mostly blue.
func decodeCrop(t *testing.T, data []byte) (w, h, red, blue int) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, bl, _ := img.At(x, y).RGBA()
			switch {
			case r > 2*bl:
				red++
			case bl > 2*r:
				blue++
			}
		}
	}
	return b.Dx(), b.Dy(), red, blue
}

func seedBoxes(t *testing.T, e *testEnv, objects map[string][]engine.ObjectInput) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, "img"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "img", engine.SpaceSpec{Name: "emb", Dim: 2, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	var pts []engine.PointInput
	for _, id := range []string{"a", "b", "c", "d"} {
		objs := objects[id]
		for i := range objs {
			objs[i].Vectors = map[string][]float32{"emb": {float32(len(pts)), float32(i)}}
		}
		pts = append(pts, engine.PointInput{ID: id, Vectors: map[string][]float32{"emb": {float32(len(pts)), 0}}, Objects: objs})
	}
	if _, err := e.Upsert(ctx, "img", pts); err != nil {
		t.Fatal(err)
	}
}

func TestObjectThumbnails(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedBoxes(t, e, map[string][]engine.ObjectInput{
		"a": {{ID: "red", Class: "r", BBox: [4]float32{10, 20, 50, 40}}, {ID: "blue", Class: "b", BBox: [4]float32{200, 50, 60, 40}},
			{ID: "big", Class: "b", BBox: [4]float32{0, 0, 300, 200}}, {ID: "off", Class: "b", BBox: [4]float32{400, 0, 10, 10}}},
		"b": {{ID: "left", Class: "r", BBox: [4]float32{2, 2, 8, 10}}},
		"c": {{ID: "x", Class: "r", BBox: [4]float32{0, 0, 50, 50}}},
		"d": {{ID: "y", Class: "b", BBox: [4]float32{100, 0, 50, 50}}},
	})
	// PUT of the original 300×200 image: the point's thumbnail and a crop of
	// each box, from the full image.
	if err := e.StoreThumbnail(ctx, "img", "a", pngOf(t, twoTone(300, 200, 150))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		oid          string
		w, h         int
		wantRedShare float64
	}{
		{"red", 50, 40, 1}, {"blue", 60, 40, 0}, {"big", 128, 85, 0.5},
	} {
		data, ct, src, err := e.ObjectThumbnail(ctx, "img", "a", c.oid)
		if err != nil || src != CropStored || ct == "" {
			t.Fatalf("crop %s: %v %q %q", c.oid, err, src, ct)
		}
		w, h, red, blue := decodeCrop(t, data)
		share := float64(red) / float64(red+blue)
		if w != c.w || h != c.h || red+blue < w*h*9/10 || share < c.wantRedShare-0.05 || share > c.wantRedShare+0.05 {
			t.Fatalf("crop %s: %d×%d, %d red %d blue", c.oid, w, h, red, blue)
		}
	}
	if _, _, _, err := e.ObjectThumbnail(ctx, "img", "a", "off"); !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("box outside the image: %v", err)
	}
	if _, _, _, err := e.ObjectThumbnail(ctx, "img", "a", "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}

	// At object level the view's hits carry the crop, and the whole image.
	obj := view.ViewRef{Space: "emb", Level: "object"}
	sum, err := e.View(ctx, "img", obj)
	if err != nil || sum.Count != 7 {
		t.Fatalf("object view: %+v %v", sum, err)
	}
	found := false
	for row := range sum.Count {
		h, err := e.ViewRow(ctx, "img", obj, row)
		if err != nil {
			t.Fatal(err)
		}
		if h.ID == "a" && h.ObjectID == "blue" {
			found = true
			if h.Thumbnail != "/v1/datasets/img/points/a/objects/blue/thumbnail" || h.ImageThumbnail != "/v1/datasets/img/points/a/thumbnail" {
				t.Fatalf("object hit: %+v", h)
			}
		}
		if h.ID == "a" && h.ObjectID == "off" && h.Thumbnail != "" {
			t.Fatalf("a box outside the image has a crop: %+v", h)
		}
		if h.ID == "d" && (h.Thumbnail != "" || h.ImageThumbnail != "") {
			t.Fatalf("no image, no crop: %+v", h)
		}
	}
	if !found {
		t.Fatal("object a/blue not in the view")
	}

	// A box that changed no longer matches its stored crop: the crop is cut
	// from the thumbnail, scaled by the recorded original size.
	if _, err := e.Upsert(ctx, "img", []engine.PointInput{{ID: "a", Vectors: map[string][]float32{"emb": {0, 0}},
		Objects: []engine.ObjectInput{{ID: "blue", BBox: [4]float32{150, 100, 150, 100}, Vectors: map[string][]float32{"emb": {0, 1}}}}}}); err != nil {
		t.Fatal(err)
	}
	data, _, src, err := e.ObjectThumbnail(ctx, "img", "a", "blue")
	if err != nil || src != CropThumbnail {
		t.Fatalf("moved box: %v %q", err, src)
	}
	if w, h, red, blue := decodeCrop(t, data); w < 63 || w > 66 || h < 42 || h > 44 || blue < w*h*9/10 || red > 0 {
		t.Fatalf("crop of the thumbnail: %d×%d, %d red %d blue", w, h, red, blue)
	}

	// A small thumbnail is the original size: boxes crop from it as they are.
	small := twoTone(28, 28, 14)
	if err := e.DB().PutThumbnails("img", []string{"b"}, [][]byte{pngOf(t, small)}); err != nil {
		t.Fatal(err)
	}
	data, _, src, err = e.ObjectThumbnail(ctx, "img", "b", "left")
	if w, h, red, _ := decodeCrop(t, data); err != nil || src != CropThumbnail || w != 8 || h != 10 || red != 80 {
		t.Fatalf("crop of a small thumbnail: %d×%d (%d red) %v %q", w, h, red, err, src)
	}
	// A 128 px thumbnail of unknown origin cannot be cropped honestly.
	if err := e.DB().PutThumbnails("img", []string{"c"}, [][]byte{pngOf(t, twoTone(128, 100, 64))}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.ObjectThumbnail(ctx, "img", "c", "x"); !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), "size of the original image is unknown") {
		t.Fatalf("crop with an unknown scale: %v", err)
	}
	// The record of the size names the thumbnail: replacing it makes the
	// size unknown again.
	if err := e.DB().PutThumbnails("img", []string{"a"}, [][]byte{pngOf(t, twoTone(128, 128, 64))}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.ObjectThumbnail(ctx, "img", "a", "blue"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("crop scaled for a replaced thumbnail: %v", err)
	}
	// ... and the crops cut from the old image are not served either.
	if _, _, src, err := e.ObjectThumbnail(ctx, "img", "a", "red"); src == CropStored || !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("crop of a replaced image: %q %v", src, err)
	}

	// StoreObjectThumbnails with the decoded original (what ingest has).
	if err := e.StoreObjectThumbnails(ctx, "img", "c", twoTone(400, 300, 25)); err != nil {
		t.Fatal(err)
	}
	data, _, src, err = e.ObjectThumbnail(ctx, "img", "c", "x")
	if w, h, red, blue := decodeCrop(t, data); err != nil || src != CropStored || w != 50 || h != 50 || red < 500 || blue < 1000 {
		t.Fatalf("stored crop of c/x: %d×%d %d red %d blue, %v %q", w, h, red, blue, err, src)
	}
	if err := e.StoreObjectThumbnails(ctx, "img", "zz", small); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("crops of a missing point: %v", err)
	}

	// A small image without objects needs no record: its thumbnail is it.
	if err := e.StoreThumbnail(ctx, "img", "d", pngOf(t, small)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB().AllObjectThumbs("img", "d"); err != nil {
		t.Fatalf("d has objects: its record is kept: %v", err)
	}
	seedPoints(t, e, 3, 4)
	if err := e.StoreThumbnail(ctx, "ds", "p0001", pngOf(t, small)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB().AllObjectThumbs("ds", "p0001"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("record for a small image without objects: %v", err)
	}

	// Deleting a point deletes its crops.
	if _, err := e.DeletePoints(ctx, "img", []string{"c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB().AllObjectThumbs("img", "c"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("crops of a deleted point: %v", err)
	}
}

// TestIngestObjectThumbnails drives image ingest's hook with what ingest
// has after storing a batch: the items and the points written.
func TestIngestObjectThumbnails(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedBoxes(t, e, map[string][]engine.ObjectInput{"a": {{ID: "0", BBox: [4]float32{160, 10, 40, 40}}}})
	items := []ImageItem{{ID: "a", Data: pngOf(t, twoTone(300, 200, 150))}, {ID: "b", Data: pngOf(t, twoTone(500, 400, 10))}, {ID: "c", Data: []byte("junk")}}
	points := []engine.PointInput{{ID: "a", Objects: []engine.ObjectInput{{}}}, {ID: "b"}, {ID: "c", Objects: []engine.ObjectInput{{}}}}
	// Ingest stores the point thumbnails first.
	if err := e.DB().PutThumbnails("img", []string{"b"}, [][]byte{pngOf(t, twoTone(128, 102, 3))}); err != nil {
		t.Fatal(err)
	}
	e.storeIngestObjectThumbnails(ctx, "img", items, points, nil) // c fails, logged
	rec, err := e.DB().AllObjectThumbs("img", "a")
	if err != nil || rec.Width != 300 || rec.Height != 200 || len(rec.Crops) != 1 || rec.Crops[0].ObjectID != "0" {
		t.Fatalf("record of a: %+v %v", rec, err)
	}
	if w, h, red, blue := decodeCrop(t, rec.Crops[0].Data); w != 40 || h != 40 || blue != 1600 || red != 0 {
		t.Fatalf("crop of a: %d×%d %d blue", w, h, blue)
	}
	// b has no objects: only its size is recorded, for boxes added later.
	rec, err = e.DB().AllObjectThumbs("img", "b")
	if err != nil || rec.Width != 500 || rec.Height != 400 || rec.ThumbCRC == 0 || len(rec.Crops) != 0 {
		t.Fatalf("record of b: %+v %v", rec, err)
	}
	if _, err := e.Upsert(ctx, "img", []engine.PointInput{{ID: "b", Vectors: map[string][]float32{"emb": {1, 0}},
		Objects: []engine.ObjectInput{{ID: "late", BBox: [4]float32{0, 0, 250, 400}, Vectors: map[string][]float32{"emb": {1, 1}}}}}}); err != nil {
		t.Fatal(err)
	}
	data, _, src, err := e.ObjectThumbnail(ctx, "img", "b", "late")
	if w, h, _, _ := decodeCrop(t, data); err != nil || src != CropThumbnail || w != 64 || h != 102 {
		t.Fatalf("crop of a later box: %d×%d %v %q", w, h, err, src)
	}
}
