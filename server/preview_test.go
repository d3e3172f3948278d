package server

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/reef-ml/reef/view"
)

// gradientPNG is a w×h PNG that does not compress to nothing.
func gradientPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPointImage stores a 1500×750 image and reads its preview back under
// the read key: a 1024×512 JPEG, named by the hits' image_url; a point
// with a small image, or none, is a 404 naming it.
func TestPointImage(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.AdminKey, o.ReadKey = "admin", "reader" })
	ts.key = "admin"
	seedView(t, ts, 4)
	for id, img := range map[string][]byte{"p001": gradientPNG(t, 1500, 750), "p002": tinyPNG(t)} {
		if rec := ts.raw("PUT", "/v1/datasets/ds/points/"+id+"/thumbnail", "image/png", img); rec.Code != 204 {
			t.Fatalf("put thumbnail %s: %d %s", id, rec.Code, rec.Body)
		}
	}
	ts.key = "reader"
	rec := ts.raw("GET", "/v1/datasets/ds/points/p001/image", "", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("get image: %d %v", rec.Code, rec.Header())
	}
	img, err := jpeg.Decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1024 || b.Dy() != 512 {
		t.Fatalf("preview is %v, want 1024×512", b)
	}
	for _, tt := range []struct{ path, names string }{
		{"/v1/datasets/ds/points/p002/image", `point \"p002\" has no stored preview`}, // smaller than a thumbnail
		{"/v1/datasets/ds/points/p003/image", `point \"p003\"`},                       // no image at all
		{"/v1/datasets/nope/points/p001/image", "nope"},
	} {
		if rec := ts.raw("GET", tt.path, "", nil); rec.Code != 404 || !strings.Contains(rec.Body.String(), tt.names) {
			t.Errorf("GET %s: %d %s, want 404 naming %s", tt.path, rec.Code, rec.Body, tt.names)
		}
	}
	var res view.ViewRowsResult
	if code := ts.call("POST", "/v1/datasets/ds/view/rows", map[string]any{"space": "s", "rows": []int{1, 2}}, &res); code != 200 || len(res.Hits) != 2 {
		t.Fatalf("rows: %d %+v", code, res)
	}
	for _, h := range res.Hits {
		want := ""
		if h.ID == "p001" {
			want = "/v1/datasets/ds/points/p001/image"
		}
		if h.ImageURL != want {
			t.Errorf("image_url of %s = %q, want %q", h.ID, h.ImageURL, want)
		}
	}
	ts.key = ""
	if rec := ts.raw("GET", "/v1/datasets/ds/points/p001/image", "", nil); rec.Code != 401 {
		t.Fatalf("image without a key: %d", rec.Code)
	}
}
