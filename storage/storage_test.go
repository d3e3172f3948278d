package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	opts := DefaultOptions()
	opts.NoSync = true
	db, err := Open(filepath.Join(t.TempDir(), "reef.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("bbolt check: %v", err)
		}
		db.Close()
	})
	return db
}

func setup(t *testing.T, db *DB) {
	t.Helper()
	if _, err := db.CreateDataset("ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateSpace("ds", Space{Name: "s", Dim: 2, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
}

func TestDatasetLifecycle(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	if _, err := db.CreateDataset("ds"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := db.CreateSpace("ds", Space{Name: "s", Dim: 2}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate space: %v", err)
	}
	if _, err := db.CreateSpace("nope", Space{Name: "s", Dim: 2}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("space on unknown dataset: %v", err)
	}
	list, err := db.Datasets()
	if err != nil || len(list) != 1 || list[0].Name != "ds" {
		t.Fatalf("Datasets = %v, %v", list, err)
	}
	if _, err := db.DeleteDataset("ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Dataset("ds"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestUpsertReplaceAndDelete(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	score := float32(0.9)
	p := Point{ID: "a", URI: "file:a.jpg", Metadata: json.RawMessage(`{"label":"cat"}`),
		Vectors: map[string][]float32{"s": {1, 2}},
		Objects: []Object{{ID: "o1", Kind: "label", Class: "cat", BBox: [4]float32{1, 2, 3, 4}, Score: &score,
			Vectors: map[string][]float32{"s": {3, 4}}}}}
	seq1, ch, err := db.Upsert("ds", []Point{p}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 || ch[0].Level != LevelPoint || ch[1].Level != LevelObject {
		t.Fatalf("changes = %+v", ch)
	}
	got, err := db.Point("ds", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Vectors["s"][1] != 2 || got.Objects[0].Vectors["s"][0] != 3 || got.Seq != seq1 {
		t.Fatalf("point = %+v", got)
	}
	pointIID, objIID := got.IID, got.Objects[0].IID

	// Replace without objects: the object and its vector go away, the IID stays.
	seq2, ch, err := db.Upsert("ds", []Point{{ID: "a", Vectors: map[string][]float32{"s": {5, 6}}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if seq2 <= seq1 {
		t.Fatalf("seq did not grow: %d then %d", seq1, seq2)
	}
	wantOps := map[Op]int{OpDelete: 2, OpPut: 1}
	for _, c := range ch {
		wantOps[c.Op]--
	}
	if wantOps[OpDelete] != 0 || wantOps[OpPut] != 0 {
		t.Fatalf("changes = %+v", ch)
	}
	got, _ = db.Point("ds", "a")
	if got.IID != pointIID || len(got.Objects) != 0 || got.Vectors["s"][0] != 5 {
		t.Fatalf("replaced point = %+v", got)
	}
	if _, err := db.Vector("ds", "s", LevelObject, objIID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old object vector still there: %v", err)
	}
	ds, _ := db.Dataset("ds")
	if ds.Points != 1 || ds.Objects != 0 {
		t.Fatalf("counts = %d points, %d objects", ds.Points, ds.Objects)
	}

	if _, _, err := db.DeletePoints("ds", []string{"a", "missing"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete with a missing id: %v", err)
	}
	if _, err := db.Point("ds", "a"); err != nil {
		t.Fatalf("a rejected delete removed a point: %v", err)
	}
	if _, _, err := db.DeletePoints("ds", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Point("ds", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted point: %v", err)
	}
}

func TestUpsertRejectsWholeBatch(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	tests := []struct {
		name  string
		batch []Point
		want  error
	}{
		{"wrong dim", []Point{{ID: "ok", Vectors: map[string][]float32{"s": {1, 2}}}, {ID: "bad", Vectors: map[string][]float32{"s": {1}}}}, ErrDimensionMismatch},
		{"unknown space", []Point{{ID: "ok", Vectors: map[string][]float32{"s": {1, 2}}}, {ID: "bad", Vectors: map[string][]float32{"x": {1, 2}}}}, ErrNotFound},
		{"object wrong dim", []Point{{ID: "ok", Objects: []Object{{ID: "o", Vectors: map[string][]float32{"s": {1, 2, 3}}}}}}, ErrDimensionMismatch},
		{"empty id", []Point{{ID: ""}}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := db.Seq()
			if _, _, err := db.Upsert("ds", tt.batch, false); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			after, _ := db.Seq()
			if after != before {
				t.Fatalf("a rejected batch advanced the sequence")
			}
			if _, err := db.Point("ds", "ok"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("half a rejected batch was written")
			}
		})
	}
}

func TestReplayAndTrim(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	seq1, _, _ := db.Upsert("ds", []Point{{ID: "a", Vectors: map[string][]float32{"s": {1, 1}}}}, false)
	db.Upsert("ds", []Point{{ID: "b", Vectors: map[string][]float32{"s": {2, 2}}}}, false)
	db.DeletePoints("ds", []string{"a"})
	var ops []string
	err := db.Replay("ds", "s", LevelPoint, seq1, func(seq uint64, c Change) error {
		if c.Op == OpPut {
			ops = append(ops, "put")
		} else {
			ops = append(ops, "del")
		}
		return nil
	})
	if err != nil || len(ops) != 2 || ops[0] != "put" || ops[1] != "del" {
		t.Fatalf("replay = %v, %v", ops, err)
	}
	if err := db.TrimLog(seq1 + 1); err != nil {
		t.Fatal(err)
	}
	if err := db.Replay("ds", "s", LevelPoint, seq1, func(uint64, Change) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replay from before the trim: %v", err)
	}
	n := 0
	db.ScanVectors("ds", "s", LevelPoint, func(iid uint64, v []float32) error { n++; return nil })
	if n != 1 {
		t.Fatalf("scan found %d vectors, want 1", n)
	}
}

func TestResolveAndBackup(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	db.Upsert("ds", []Point{{ID: "a", Metadata: json.RawMessage(`{"k":1}`), Vectors: map[string][]float32{"s": {1, 1}},
		Objects: []Object{{ID: "box", Kind: "inference", Class: "dog", Vectors: map[string][]float32{"s": {0, 1}}}}}}, false)
	p, _ := db.Point("ds", "a")
	res, err := db.Resolve("ds", []uint64{p.IID, p.Objects[0].IID, 9999})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].PointID != "a" || string(res[0].Metadata) != `{"k":1}` || res[1].ObjectID != "box" || res[1].Object.Class != "dog" || res[2].PointID != "" {
		t.Fatalf("resolve = %+v", res)
	}
	var buf bytes.Buffer
	if n, err := db.Backup(&buf); err != nil || n == 0 {
		t.Fatalf("backup: %d, %v", n, err)
	}
}

func TestUpsertMerge(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	if _, err := db.CreateSpace("ds", Space{Name: "t", Dim: 3, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	db.Upsert("ds", []Point{{ID: "a", URI: "u", Metadata: json.RawMessage(`{"k":1}`), Vectors: map[string][]float32{"s": {1, 1}},
		Objects: []Object{{ID: "box", Vectors: map[string][]float32{"s": {0, 1}}}}}}, false)
	_, ch, err := db.Upsert("ds", []Point{{ID: "a", Vectors: map[string][]float32{"t": {1, 2, 3}}}, {ID: "b", Vectors: map[string][]float32{"t": {3, 2, 1}}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 {
		t.Fatalf("merge changes = %+v, want two puts", ch)
	}
	p, _ := db.Point("ds", "a")
	if p.URI != "u" || string(p.Metadata) != `{"k":1}` || len(p.Objects) != 1 || len(p.Vectors) != 2 {
		t.Fatalf("merged point = %+v", p)
	}
	ds, _ := db.Dataset("ds")
	if ds.Points != 2 || ds.Objects != 1 {
		t.Fatalf("counts = %d points, %d objects", ds.Points, ds.Objects)
	}
}

func TestOpenRefusesTruncatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reef.db")
	opts := DefaultOptions()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	setup(t, db)
	for i := range 200 {
		db.Upsert("ds", []Point{{ID: string(rune('a'+i%26)) + string(rune('0'+i/26)), Vectors: map[string][]float32{"s": {1, 2}}}}, false)
	}
	db.Close()
	// Cut into the pages the meta page counts (the file itself may be
	// larger: bbolt grows it ahead in AllocSize steps).
	if err := os.Truncate(path, 16<<10); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, opts); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated file: %v, want ErrCorrupt (and no SIGBUS)", err)
	}
}
