package storage

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// dump is a digest of every bucket, key and value in the store: two equal
// dumps mean the stores hold exactly the same records.
func dump(t *testing.T, db *DB) string {
	t.Helper()
	h := sha256.New()
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				fmt.Fprintf(h, "B %s/%x\n", prefix, k)
				return walk(prefix+"/"+fmt.Sprintf("%x", k), b.Bucket(k))
			}
			fmt.Fprintf(h, "K %s/%x=%x\n", prefix, k, v)
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(h, "R %x\n", name)
			return walk(fmt.Sprintf("%x", name), b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func faultPoints(n int, base string) []Point {
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{ID: fmt.Sprintf("%s%d", base, i), Metadata: []byte(`{"b":"` + base + `"}`),
			Vectors: map[string][]float32{"s": {float32(i), 1}},
			Objects: []Object{{ID: "o", Kind: "label", Vectors: map[string][]float32{"s": {1, float32(i)}}}}}
	}
	return out
}

// Every kind of write, failed at begin or at commit, leaves the store
// exactly as it was (same records, same sequence, same log); the next write
// then succeeds and continues the sequence.
func TestInjectedWriteFailuresLeaveNothing(t *testing.T) {
	writes := map[string]func(db *DB) error{
		"upsert-new": func(db *DB) error { _, _, err := db.Upsert("ds", faultPoints(20, "new"), false); return err },
		"upsert-replace": func(db *DB) error {
			_, _, err := db.Upsert("ds", faultPoints(10, "a"), false)
			return err
		},
		"upsert-merge":   func(db *DB) error { _, _, err := db.Upsert("ds", faultPoints(5, "a"), true); return err },
		"delete":         func(db *DB) error { _, _, err := db.DeletePoints("ds", []string{"a0", "a1", "a7"}); return err },
		"create-dataset": func(db *DB) error { _, err := db.CreateDataset("other"); return err },
		"create-space":   func(db *DB) error { _, err := db.CreateSpace("ds", Space{Name: "t", Dim: 3}); return err },
		"delete-dataset": func(db *DB) error { _, err := db.DeleteDataset("ds"); return err },
		"trim-log":       func(db *DB) error { return db.TrimLog(1 << 40) },
		"put-model":      func(db *DB) error { return db.PutModel("m", []byte(`{}`)) },
	}
	for name, write := range writes {
		for _, point := range []FaultPoint{FaultBegin, FaultCommit} {
			t.Run(name+"/"+point.String(), func(t *testing.T) {
				db := openTest(t)
				setup(t, db)
				if _, _, err := db.Upsert("ds", faultPoints(10, "a"), false); err != nil {
					t.Fatal(err)
				}
				fi := NewFaultInjector()
				db.SetFaults(fi)
				before, seq0 := dump(t, db), mustSeq(t, db)
				fi.FailWrite(1, point, nil)
				err := write(db)
				if !errors.Is(err, ErrInjected) {
					t.Fatalf("write with injected %s fault: err = %v, want ErrInjected", point, err)
				}
				if after := dump(t, db); after != before {
					t.Fatal("a failed write changed the store")
				}
				if s := mustSeq(t, db); s != seq0 {
					t.Fatalf("seq moved from %d to %d on a failed write", seq0, s)
				}
				if err := db.Check(); err != nil {
					t.Fatal(err)
				}
				// The fault fired once; the same write now succeeds.
				if err := write(db); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if fi.Fired() != 1 || fi.Writes() != 2 {
					t.Fatalf("fired %d of %d writes, want 1 of 2", fi.Fired(), fi.Writes())
				}
			})
		}
	}
}

func mustSeq(t *testing.T, db *DB) uint64 {
	t.Helper()
	s, err := db.Seq()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Nth write fails, the ones around it do not, and the sequence has no
// gap: a failed write consumes no sequence number.
func TestFaultInjectorCountsWrites(t *testing.T) {
	fi := NewFaultInjector()
	opts := DefaultOptions()
	opts.NoSync, opts.Faults = true, fi
	db, err := Open(filepath.Join(t.TempDir(), "reef.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fi.Writes() != 0 {
		t.Fatalf("Open's own initialisation counted as %d writes", fi.Writes())
	}
	setup(t, db) // writes 1 and 2
	myErr := errors.New("disk on fire")
	fi.FailWrite(3, FaultCommit, myErr) // the 5th write overall
	var seqs []uint64
	for i := range 5 {
		seq, _, err := db.Upsert("ds", faultPoints(3, fmt.Sprint("w", i, "-")), false)
		switch {
		case i == 2 && !errors.Is(err, myErr):
			t.Fatalf("write %d: err = %v, want the injected one", i, err)
		case i != 2 && err != nil:
			t.Fatalf("write %d: %v", i, err)
		case err == nil:
			seqs = append(seqs, seq)
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence gap: %v", seqs)
		}
	}
	if _, err := db.Point("ds", "w2-0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("point of the failed write: %v", err)
	}
	ds, _ := db.Dataset("ds")
	if ds.Points != 12 || ds.Objects != 12 {
		t.Fatalf("counts %d points %d objects, want 12 and 12", ds.Points, ds.Objects)
	}
	// FailAll: the disk is gone; reads go on.
	fi.FailAll(FaultBegin, nil)
	if _, _, err := db.Upsert("ds", faultPoints(1, "x"), false); !errors.Is(err, ErrInjected) {
		t.Fatalf("FailAll: %v", err)
	}
	if _, err := db.Point("ds", "w0-0"); err != nil {
		t.Fatalf("read while writes fail: %v", err)
	}
	fi.Reset()
	if _, _, err := db.Upsert("ds", faultPoints(1, "x"), false); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
	var nilFI *FaultInjector
	if b, c := nilFI.begin(); b != nil || c != nil {
		t.Fatal("a nil injector injected")
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
}
