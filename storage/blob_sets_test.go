package storage

import (
	"errors"
	"testing"
)

// TestPutBlobSets checks that a thumbnail and its preview are written in
// one transaction, that an optional nil value removes a stale preview, and
// that deleting the point removes the preview.
func TestPutBlobSets(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	for _, id := range []string{"a", "b"} {
		if _, _, err := db.Upsert("ds", []Point{{ID: id, Vectors: map[string][]float32{"s": {1, 2}}}}, false); err != nil {
			t.Fatal(err)
		}
	}
	thumbs := func(d ...[]byte) BlobValues { return BlobValues{Kind: BlobThumbnail, Data: d} }
	previews := func(d ...[]byte) BlobValues { return BlobValues{Kind: BlobPreview, Data: d, Optional: true} }
	tests := []struct {
		name string
		ids  []string
		sets []BlobValues
		want error
	}{
		{"both kinds", []string{"a", "b"}, []BlobValues{thumbs([]byte{1}, []byte{2}), previews([]byte{11}, []byte{12})}, nil},
		{"nil preview removes b's", []string{"b"}, []BlobValues{thumbs([]byte{3}), previews(nil)}, nil},
		{"nil thumbnail is not optional", []string{"a"}, []BlobValues{thumbs(nil), previews([]byte{9})}, ErrInvalid},
		{"preview too large", []string{"a"}, []BlobValues{thumbs([]byte{9}), previews(make([]byte, MaxPreviewBytes+1))}, ErrInvalid},
		{"unknown point, nothing written", []string{"a", "zz"}, []BlobValues{thumbs([]byte{9}, []byte{9}), previews([]byte{9}, []byte{9})}, ErrNotFound},
		{"values and ids differ", []string{"a"}, []BlobValues{thumbs([]byte{9}), previews()}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.PutBlobSets("ds", tt.ids, tt.sets...); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, c := range []struct {
		kind BlobKind
		id   string
		want byte // 0: none
	}{{BlobThumbnail, "a", 1}, {BlobPreview, "a", 11}, {BlobThumbnail, "b", 3}, {BlobPreview, "b", 0}} {
		got, err := db.Blob(c.kind, "ds", c.id)
		switch {
		case c.want == 0 && !errors.Is(err, ErrNotFound):
			t.Errorf("%s of %s = %v, %v; want none", c.kind.Name, c.id, got, err)
		case c.want != 0 && (err != nil || len(got) != 1 || got[0] != c.want):
			t.Errorf("%s of %s = %v, %v; want [%d]", c.kind.Name, c.id, got, err, c.want)
		}
	}
	if _, _, err := db.DeletePoints("ds", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Blob(BlobPreview, "ds", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("preview of a deleted point: %v", err)
	}
}
