package storage

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestEditMetadata(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	pts := []Point{
		{ID: "a", Metadata: json.RawMessage(`{"x":1}`), Vectors: map[string][]float32{"s": {1, 2}}},
		{ID: "b", Vectors: map[string][]float32{"s": {3, 4}}},
	}
	if _, _, err := db.Upsert("ds", pts, false); err != nil {
		t.Fatal(err)
	}
	setY := func(p *Point) (json.RawMessage, bool, error) {
		if p.ID == "b" {
			return nil, false, nil
		}
		return json.RawMessage(`{"x":1,"y":2}`), true, nil
	}
	seq, n, err := db.EditMetadata("ds", nil, false, setY)
	if err != nil || n != 1 || seq == 0 {
		t.Fatalf("edit all: seq %d, %d changed, %v", seq, n, err)
	}
	a, _ := db.Point("ds", "a")
	if string(a.Metadata) != `{"x":1,"y":2}` || !slices.Equal(a.Vectors["s"], []float32{1, 2}) || a.Seq != seq {
		t.Fatalf("a after edit: %+v", a)
	}
	// Nothing changed: no write, no sequence number.
	before, _ := db.Seq()
	if seq, n, err := db.EditMetadata("ds", []string{"b"}, false, setY); err != nil || n != 0 || seq != 0 {
		t.Fatalf("no-op edit: %d %d %v", seq, n, err)
	}
	if after, _ := db.Seq(); after != before {
		t.Fatalf("a no-op edit took sequence %d", after)
	}
	if seq, n, err := db.EditMetadata("ds", nil, false, func(*Point) (json.RawMessage, bool, error) { return nil, false, nil }); err != nil || n != 0 || seq != 0 {
		t.Fatalf("no-op edit of every point: %d %d %v", seq, n, err)
	}
	if after, _ := db.Seq(); after != before {
		t.Fatalf("a no-op edit of every point took sequence %d", after)
	}
	// A missing id fails the whole edit unless skipped.
	if _, _, err := db.EditMetadata("ds", []string{"a", "zz"}, false, setY); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing id: %v", err)
	}
	if _, n, err := db.EditMetadata("ds", []string{"zz", "a"}, true, func(p *Point) (json.RawMessage, bool, error) {
		return json.RawMessage(`{"z":3}`), true, nil
	}); err != nil || n != 1 {
		t.Fatalf("skip missing: %d %v", n, err)
	}
	// An error from edit rolls everything back.
	boom := errors.New("boom")
	_, _, err = db.EditMetadata("ds", nil, false, func(p *Point) (json.RawMessage, bool, error) {
		if p.ID == "b" {
			return nil, false, boom
		}
		return json.RawMessage(`{"gone":true}`), true, nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("edit error: %v", err)
	}
	if a, _ := db.Point("ds", "a"); string(a.Metadata) != `{"z":3}` {
		t.Fatalf("a failed edit was partly written: %s", a.Metadata)
	}
	st, err := db.StoredVectors("ds", []string{"a", "b", "zz"})
	if err != nil || len(st) != 2 || !slices.Equal(st["a"].Spaces, []string{"s"}) {
		t.Fatalf("stored vectors: %+v %v", st, err)
	}
}
