package storage

import (
	"errors"
	"testing"
)

func TestBlobs(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	for _, id := range []string{"a", "b"} {
		if _, _, err := db.Upsert("ds", []Point{{ID: id, Vectors: map[string][]float32{"s": {1, 2}}}}, false); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		kind BlobKind
		ds   string
		ids  []string
		data [][]byte
		want error
	}{
		{"thumbnail", BlobThumbnail, "ds", []string{"a"}, [][]byte{{1}}, nil},
		{"audio of two points", BlobAudio, "ds", []string{"a", "b"}, [][]byte{{2}, {3}}, nil},
		{"unknown point, batch not written", BlobAudio, "ds", []string{"b", "zz"}, [][]byte{{9}, {9}}, ErrNotFound},
		{"unknown dataset", BlobAudio, "nope", []string{"a"}, [][]byte{{1}}, ErrNotFound},
		{"empty value", BlobThumbnail, "ds", []string{"a"}, [][]byte{{}}, ErrInvalid},
		{"too large", BlobThumbnail, "ds", []string{"a"}, [][]byte{make([]byte, MaxThumbnailBytes+1)}, ErrInvalid},
		{"ids and values differ", BlobAudio, "ds", []string{"a"}, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.PutBlobs(tt.kind, tt.ds, tt.ids, tt.data); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The failed batch left b's audio as it was.
	if got, err := db.Blob(BlobAudio, "ds", "b"); err != nil || got[0] != 3 {
		t.Fatalf("audio of b = %v, %v", got, err)
	}
	if n, _ := db.BlobCount(BlobAudio, "ds"); n != 2 {
		t.Fatalf("audio count %d", n)
	}
	// Deleting a point deletes its blobs of every kind; others stay.
	if _, _, err := db.DeletePoints("ds", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []BlobKind{BlobThumbnail, BlobAudio} {
		if _, err := db.Blob(k, "ds", "a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s of a deleted point: %v", k.Name, err)
		}
	}
	has, err := db.HasBlobs(BlobAudio, "ds", []string{"a", "b"})
	if err != nil || has[0] || !has[1] {
		t.Fatalf("HasBlobs = %v, %v", has, err)
	}
	if err := db.DeleteBlobs(BlobAudio, "ds", []string{"b", "never"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.BlobCount(BlobAudio, "ds"); n != 0 {
		t.Fatalf("audio count after delete %d", n)
	}
}
