package ingest

import (
	"context"
	"testing"

	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/view"
)

// A point with playable audio carries its URL in the view's details, for
// the page's player.
func TestViewAudioURL(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seedPoints(t, e, 30, 4)
	if err := e.DB().PutBlobs(storage.BlobAudio, "ds", []string{"p0004"}, [][]byte{[]byte("RIFF\x00\x00\x00\x00WAVE")}); err != nil {
		t.Fatal(err)
	}
	h, err := e.ViewRow(ctx, "ds", view.ViewRef{Space: "emb"}, 4)
	if err != nil || h.AudioURL != view.AudioURL("ds", "p0004") || h.AudioURL == "" {
		t.Fatalf("row with audio: %+v %v", h, err)
	}
	nb, err := e.ViewNeighbors(ctx, "ds", view.ViewRef{Space: "emb"}, 1, 29)
	if err != nil {
		t.Fatal(err)
	}
	with := 0
	for _, hit := range nb.Hits {
		if hit.AudioURL != "" {
			with++
			if hit.ID != "p0004" {
				t.Fatalf("audio URL on %+v", hit)
			}
		}
	}
	if with != 1 || nb.Query.AudioURL != "" {
		t.Fatalf("%d neighbours with audio; query %+v", with, nb.Query)
	}
}
