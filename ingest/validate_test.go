package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"sort"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// A bad metadata blob or label box fails its own file, before inference,
// like an undecodable image; the good files are stored.
func TestIngestRejectsBadItemsPerFile(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, builtinModelEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.CreateDataset(ctx, "photos"); err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 96, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.NRGBA{A: 255})
	png := pngOf(t, img)
	items := []ImageItem{
		{ID: "good-a", Data: png, Metadata: json.RawMessage(`{"label":"a"}`)},
		{ID: "good-b", Data: png, Labels: []LabelBox{{ID: "box", Class: "c", BBox: [4]float32{4, 4, 40, 30}}}},
		{ID: "bad-meta", Data: png, Metadata: json.RawMessage(`[1,2]`)},
		{ID: "bad-box", Data: png, Labels: []LabelBox{{BBox: [4]float32{0, 0, -5, 10}}}},
		{ID: "bad-image", Data: []byte("not an image")},
	}
	res, err := e.IngestImagesWith(ctx, "photos", IngestOptions{SkipDetection: true}, items)
	if err != nil {
		t.Fatal(err)
	}
	if res.Upserted != 2 {
		t.Fatalf("upserted %d, want 2: %+v", res.Upserted, res)
	}
	sort.Slice(res.Failed, func(i, j int) bool { return res.Failed[i].ID < res.Failed[j].ID })
	want := []struct{ id, field string }{
		{"bad-box", "images[3].objects[0].bbox[2]"},
		{"bad-image", ""},
		{"bad-meta", "images[2].metadata"},
	}
	if len(res.Failed) != len(want) {
		t.Fatalf("failed %+v, want %d entries", res.Failed, len(want))
	}
	for i, w := range want {
		f := res.Failed[i]
		if f.ID != w.id || !strings.Contains(f.Error, w.field) {
			t.Errorf("failed[%d] = %+v, want id %s naming %q", i, f, w.id, w.field)
		}
	}
	for _, id := range []string{"good-a", "good-b"} {
		if _, err := e.Point(ctx, "photos", id); err != nil {
			t.Errorf("%s not stored: %v", id, err)
		}
	}
	for _, id := range []string{"bad-meta", "bad-box", "bad-image"} {
		if _, err := e.Point(ctx, "photos", id); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("%s stored or unexpected error: %v", id, err)
		}
	}
	// All bad: nothing runs, every file is reported.
	res, err = e.IngestImagesWith(ctx, "photos", IngestOptions{SkipDetection: true}, items[2:4])
	if err != nil || res.Upserted != 0 || len(res.Failed) != 2 || res.Space == "" {
		t.Fatalf("all-bad batch: %+v %v", res, err)
	}
	mustCheck(t, e)
}
