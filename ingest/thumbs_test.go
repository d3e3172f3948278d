package ingest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/view"
)

func TestStoreThumbnail(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedPoints(t, e, 3, 4)
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			img.SetGray(x, y, color.Gray{Y: uint8(x)})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := e.StoreThumbnail(ctx, "ds", "p0001", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	data, ct, err := e.Thumbnail(ctx, "ds", "p0001")
	if err != nil || ct != "image/png" {
		t.Fatalf("thumbnail: %v %s", err, ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 128 || cfg.Height != 85 {
		t.Fatalf("thumbnail size %dx%d: %v", cfg.Width, cfg.Height, err)
	}
	if _, _, err := e.Thumbnail(ctx, "ds", "p0002"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("missing thumbnail: %v", err)
	}
	if err := e.StoreThumbnail(ctx, "ds", "p0001", []byte("not an image")); !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("garbage accepted: %v", err)
	}
	if err := e.StoreThumbnail(ctx, "ds", "nope", buf.Bytes()); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("thumbnail of a missing point: %v", err)
	}
	if err := e.StoreThumbnail(ctx, "ds", "p0001", make([]byte, MaxThumbnailInput+1)); !errors.Is(err, engine.ErrTooLarge) {
		t.Fatalf("huge image: %v", err)
	}
	// A batch is all or nothing, and names the bad entry.
	err = e.StoreThumbnails(ctx, "ds", []string{"p0000", "p0002"}, [][]byte{buf.Bytes(), []byte("junk")})
	var fe *engine.FieldError
	if !errors.As(err, &fe) || fe.Field != "images[1].image" {
		t.Fatalf("bad batch: %v", err)
	}
	if _, _, err := e.Thumbnail(ctx, "ds", "p0000"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatal("a failed batch stored a thumbnail")
	}
	h, err := e.ViewRow(ctx, "ds", view.ViewRef{Space: "emb"}, 1)
	if err != nil || h.Thumbnail != "/v1/datasets/ds/points/p0001/thumbnail" {
		t.Fatalf("row thumbnail URL: %+v %v", h, err)
	}
}
