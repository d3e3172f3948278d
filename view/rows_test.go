package view

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

func TestViewRowsBatch(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 30, 4)
	res, err := e.ViewRows(ctx, "ds", ViewRowsRequest{ViewRef: ref, Rows: []int{5, 2, 29}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 3 || len(res.Missing) != 0 {
		t.Fatalf("batch: %+v", res)
	}
	for i, want := range []int{5, 2, 29} {
		one, err := e.ViewRow(ctx, "ds", ref, want)
		if err != nil {
			t.Fatal(err)
		}
		if h := res.Hits[i]; h.Row != want || h.ID != one.ID || string(h.Metadata) != string(one.Metadata) || h.X != one.X {
			t.Fatalf("hit %d = %+v, want row %d as ViewRow says: %+v", i, h, want, one)
		}
	}
	big := make([]int, MaxRowsBatch+1)
	tests := []struct {
		name  string
		rows  []int
		field string
	}{
		{"none", nil, "rows"},
		{"beyond the bound", big, "rows"},
		{"out of range", []int{30}, "rows[0]"},
		{"negative", []int{1, -1}, "rows[1]"},
		{"repeated", []int{1, 1}, "rows[1]"},
	}
	for _, tt := range tests {
		_, err := e.ViewRows(ctx, "ds", ViewRowsRequest{ViewRef: ref, Rows: tt.rows})
		var fe *engine.FieldError
		if !errors.Is(err, engine.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want invalid %q", tt.name, err, tt.field)
		}
	}
}

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestViewImageSize covers where a hit's original image size comes from:
// the crop record while it names the thumbnail, else a thumbnail small
// enough to be the original, else nothing.
func TestViewImageSize(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedClusters(t, e, 7, 4)
	db := e.DB()
	big, small := pngOf(t, 128, 96), pngOf(t, 50, 40)
	thumbs := map[string][]byte{"p0000": pngOf(t, 28, 28), "p0001": big, "p0002": big, "p0003": big, "p0005": small}
	recs := []storage.ObjectThumbs{
		{PointID: "p0001", Width: 640, Height: 480, ThumbCRC: thumbFingerprint(big)},
		{PointID: "p0002", Width: 640, Height: 480, ThumbCRC: thumbFingerprint(small)}, // stale: names another thumbnail
		{PointID: "p0004", Width: 300, Height: 200},                                    // no thumbnail to disagree
		{PointID: "p0005", Width: 900, Height: 900, ThumbCRC: thumbFingerprint(big)},   // stale, but the thumbnail is the original
	}
	for id, b := range thumbs {
		if err := db.PutThumbnail("ds", id, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutObjectThumbs("ds", recs); err != nil {
		t.Fatal(err)
	}
	want := map[string]*[2]int{"p0000": {28, 28}, "p0001": {640, 480}, "p0002": nil, "p0003": nil, "p0004": {300, 200}, "p0005": {50, 40}, "p0006": nil}
	res, err := e.ViewRows(ctx, "ds", ViewRowsRequest{ViewRef: ref, Rows: []int{0, 1, 2, 3, 4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		w := want[h.ID]
		if (w == nil) != (h.ImageSize == nil) || (w != nil && *w != *h.ImageSize) {
			t.Errorf("%s: image_size %v, want %v", h.ID, h.ImageSize, w)
		}
	}
}

// BenchmarkViewRows reads 1000 rows with thumbnails in one ViewRows call
// and, as the baseline the page used before, one ViewRow call each.
func BenchmarkViewRows(b *testing.B) {
	ctx := context.Background()
	e, err := Open(ctx, testOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	seedClusters(b, e, 5000, 16)
	thumb := pngOf(b, 28, 28)
	ids := make([]string, 5000)
	data := make([][]byte, 5000)
	for i := range ids {
		ids[i], data[i] = fmt.Sprintf("p%04d", i), thumb
	}
	if err := e.DB().PutThumbnails("ds", ids, data); err != nil {
		b.Fatal(err)
	}
	rows := make([]int, MaxRowsBatch)
	for i := range rows {
		rows[i] = i * 5
	}
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.ViewRows(ctx, "ds", ViewRowsRequest{ViewRef: ref, Rows: rows}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			for _, r := range rows {
				if _, err := e.ViewRow(ctx, "ds", ref, r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
