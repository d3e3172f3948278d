package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpensFormatV1Fixture: a data directory holding only storage's v1
// fixture database (no index snapshots) opens, rebuilds its indexes from
// storage and answers a search.
func TestOpensFormatV1Fixture(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "storage", "testdata", "format-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reef.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, dir)
	defer e.Close()
	res, err := e.Search(context.Background(), "photos", SearchRequest{Space: "emb", Vector: []float32{1, 0.1, 0}, K: 1})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].ID != "cat.jpg" {
		t.Fatalf("search over the fixture: %+v %v", res, err)
	}
	obj, err := e.Search(context.Background(), "photos", SearchRequest{Space: "emb", Level: "object", Vector: []float32{0, 1, 0}, K: 1})
	if err != nil || len(obj.Hits) != 1 || obj.Hits[0].ObjectID != "0" {
		t.Fatalf("object search over the fixture: %+v %v", obj, err)
	}
}
