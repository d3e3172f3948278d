package ingest

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// previewSize decodes a stored preview (it must be a JPEG) and reports its
// size and whether its left edge is red and its right edge blue, as in the
// twoTone source.
func previewSize(t *testing.T, e *testEnv, id string) (w, h int, sameImage bool) {
	t.Helper()
	data, err := e.Preview(context.Background(), "img", id)
	if err != nil {
		t.Fatalf("preview of %s: %v", id, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("preview of %s is not a JPEG: %v", id, err)
	}
	b := img.Bounds()
	lr, _, lb, _ := img.At(b.Min.X+2, b.Min.Y+b.Dy()/2).RGBA()
	rr, _, rb, _ := img.At(b.Max.X-3, b.Min.Y+b.Dy()/2).RGBA()
	return b.Dx(), b.Dy(), lr > 2*lb && rb > 2*rr
}

func TestPreviews(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedBoxes(t, e, nil)
	// PUT .../thumbnail path: a big image is shrunk to 1024 px on its
	// longer side, a medium one kept at its size, never enlarged.
	tests := []struct {
		id           string
		w, h         int
		wantW, wantH int
	}{
		{"a", 2000, 1000, 1024, 512},
		{"b", 600, 1500, 409, 1024}, // 600·1024/1500 = 409.6, truncated
		{"c", 300, 200, 300, 200},
	}
	for _, tt := range tests {
		if err := e.StoreThumbnail(ctx, "img", tt.id, pngOf(t, twoTone(tt.w, tt.h, tt.w/2))); err != nil {
			t.Fatal(err)
		}
		if w, h, same := previewSize(t, e, tt.id); w != tt.wantW || h != tt.wantH || !same {
			t.Errorf("preview of %s (%d×%d): %d×%d, same image %v; want %d×%d", tt.id, tt.w, tt.h, w, h, same, tt.wantW, tt.wantH)
		}
	}
	// An image no bigger than its thumbnail has no preview, and replacing
	// c's image with one removes c's stale preview with the thumbnail.
	if err := e.StoreThumbnail(ctx, "img", "c", pngOf(t, twoTone(100, 80, 50))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Preview(ctx, "img", "c"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("preview of a 100×80 image: %v, want not found", err)
	}
	if _, _, err := e.Thumbnail(ctx, "img", "c"); err != nil {
		t.Fatalf("thumbnail of c: %v", err)
	}
	// Image ingest's path: previews made from the items, stored with the
	// thumbnails the pipeline made; an item that cannot be decoded keeps its
	// thumbnail and gets no preview.
	items := []ImageItem{{ID: "d", Data: pngOf(t, twoTone(1400, 700, 700))}, {ID: "c", Data: []byte("junk")}, {ID: "b", Data: pngOf(t, twoTone(120, 60, 60))}}
	points := []engine.PointInput{{ID: "d"}, {ID: "c"}, {ID: "b"}}
	thumb := pngOf(t, twoTone(128, 64, 64))
	e.storeIngestThumbnails(ctx, "img", items, points, map[string][]byte{"d": thumb, "c": thumb, "b": thumb})
	// b's image is replaced by one that fits its thumbnail: its preview goes.
	if _, err := e.Preview(ctx, "img", "b"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("preview of b after a 120×60 image: %v, want not found", err)
	}
	if w, h, same := previewSize(t, e, "d"); w != 1024 || h != 512 || !same {
		t.Errorf("ingested preview of d: %d×%d, same image %v; want 1024×512", w, h, same)
	}
	if _, err := e.Preview(ctx, "img", "c"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("preview of an undecodable item: %v, want not found", err)
	}
	if _, err := e.Preview(ctx, "nope", "d"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("preview in an unknown dataset: %v, want not found", err)
	}
}
