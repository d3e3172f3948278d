package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidateBackup: a backup file is untrusted input; no content may
// crash the validator, every refusal wraps ErrCorrupt or ErrInvalid, and
// whatever passes opens and passes the store's own check.
func FuzzValidateBackup(f *testing.F) {
	src := filepath.Join(f.TempDir(), "seed.db")
	db, err := Open(src, smallFileOptions())
	if err != nil {
		f.Fatal(err)
	}
	db.CreateDataset("ds")
	db.CreateSpace("ds", Space{Name: "s", Dim: 2, Metric: "l2"})
	db.Upsert("ds", []Point{{ID: "a", Vectors: map[string][]float32{"s": {1, 2}}}}, false)
	db.Close()
	good, err := os.ReadFile(src)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "b.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := ValidateBackup(path)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal %v wraps neither ErrCorrupt nor ErrInvalid", err)
			}
			return
		}
		db, err := Open(path, DefaultOptions())
		if err != nil {
			t.Fatalf("a validated backup does not open: %v", err)
		}
		defer db.Close()
		if err := db.Check(); err != nil {
			t.Fatalf("a validated backup fails its check: %v", err)
		}
	})
}
