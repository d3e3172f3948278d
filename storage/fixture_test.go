package storage

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fixtureV1 is a database written by today's format, kept in testdata so
// that a format change is a decision (regenerate with
// REEF_UPDATE_FIXTURES=1 and say why in the commit), not an accident.
const fixtureV1 = "testdata/format-v1.db"

func writeFixture(t *testing.T, path string) {
	db, err := Open(path, smallFileOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.CreateDataset("photos")
	must(err)
	_, err = db.CreateSpace("photos", Space{Name: "emb", Dim: 3, Metric: "cosine", Provenance: "model:m", ModelVersion: "1"})
	must(err)
	score := float32(0.75)
	_, _, err = db.Upsert("photos", []Point{
		{ID: "cat.jpg", URI: "file:///cat.jpg", Metadata: json.RawMessage(`{"label":"cat","tags":["review"]}`),
			Vectors: map[string][]float32{"emb": {1, 0, 0}},
			Objects: []Object{{ID: "0", Kind: "label", Class: "cat", BBox: [4]float32{1, 2, 3, 4}, Vectors: map[string][]float32{"emb": {0, 1, 0}}},
				{ID: "1", Kind: "inference", Class: "dog", BBox: [4]float32{2, 2, 2, 2}, Score: &score}}},
		{ID: "dog.jpg", Metadata: json.RawMessage(`{"label":"dog"}`), Vectors: map[string][]float32{"emb": {0, 0, 1}}},
	}, false)
	must(err)
	_, _, err = db.DeletePoints("photos", []string{"dog.jpg"})
	must(err)
}

func TestFormatV1FixtureOpens(t *testing.T) {
	if os.Getenv("REEF_UPDATE_FIXTURES") != "" {
		os.Remove(fixtureV1)
		writeFixture(t, fixtureV1)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	src, err := os.Open(fixtureV1)
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := os.Create(path)
	io.Copy(dst, src)
	src.Close()
	dst.Close()
	if err := ValidateBackup(path); err != nil {
		t.Fatalf("the v1 fixture no longer validates: %v", err)
	}
	db, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := db.Dataset("photos")
	if err != nil || info.Points != 1 || info.Objects != 2 {
		t.Fatalf("dataset %+v %v", info, err)
	}
	p, err := db.Point("photos", "cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if p.URI != "file:///cat.jpg" || string(p.Metadata) != `{"label":"cat","tags":["review"]}` ||
		!slices.Equal(p.Vectors["emb"], []float32{1, 0, 0}) || len(p.Objects) != 2 ||
		!slices.Equal(p.Objects[0].Vectors["emb"], []float32{0, 1, 0}) || p.Objects[1].Score == nil || *p.Objects[1].Score != 0.75 {
		t.Fatalf("cat.jpg reads back as %+v", p)
	}
	if _, err := db.Point("photos", "dog.jpg"); err == nil {
		t.Fatal("the deleted point is back")
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

// smallFileOptions keep a test file small: without the up-front mapping
// bbolt grows the file page by page instead of in 16 MiB steps.
func smallFileOptions() Options {
	o := DefaultOptions()
	o.InitialMmapSize = 0
	return o
}
