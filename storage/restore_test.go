package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func writeBackup(t *testing.T, db *DB) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateBackup(t *testing.T) {
	db := openTest(t)
	setup(t, db)
	if _, _, err := db.Upsert("ds", faultPoints(50, "a"), false); err != nil {
		t.Fatal(err)
	}
	// Enough pages that a truncated copy ends before bbolt's freelist page
	// (bbolt would SIGBUS reading it).
	for i := range 40 {
		if _, _, err := db.Upsert("ds", faultPoints(100, fmt.Sprint("bulk", i, "-")), false); err != nil {
			t.Fatal(err)
		}
	}
	good := writeBackup(t, db)
	if err := ValidateBackup(good); err != nil {
		t.Fatalf("a fresh backup: %v", err)
	}
	data, _ := os.ReadFile(good)

	// Variants made by editing a copy through bbolt itself (valid pages,
	// bad reef records).
	edit := func(t *testing.T, fn func(tx *bolt.Tx) error) string {
		p := filepath.Join(t.TempDir(), "edited.db")
		os.WriteFile(p, data, 0o600)
		b, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Update(fn); err != nil {
			t.Fatal(err)
		}
		b.Close()
		return p
	}
	ds := func(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bucketDatasets).Bucket([]byte("ds")) }
	cases := map[string]func(t *testing.T) string{
		"missing":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.db") },
		"directory": func(t *testing.T) string { return t.TempDir() },
		"empty": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "e.db")
			os.WriteFile(p, nil, 0o600)
			return p
		},
		"garbage": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "g.db")
			os.WriteFile(p, bytes.Repeat([]byte("reef"), 8192), 0o600)
			return p
		},
		"truncated-half": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "t.db")
			os.WriteFile(p, data[:len(data)/2], 0o600)
			return p
		},
		"truncated-last-page": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "t.db")
			os.WriteFile(p, data[:len(data)-4096], 0o600)
			return p
		},
		"truncated-mid-page": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "t.db")
			os.WriteFile(p, data[:len(data)-100], 0o600)
			return p
		},
		"meta0-damaged-still-truncated": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "t.db")
			d := bytes.Clone(data[:len(data)/3])
			d[20] ^= 0xff
			os.WriteFile(p, d, 0o600)
			return p
		},
		"flipped-page-bytes": func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "f.db")
			d := bytes.Clone(data)
			for i := 4 * 4096; i < len(d); i += 4096 { // every page header after the metas
				d[i+8] ^= 0xff
			}
			os.WriteFile(p, d, 0o600)
			return p
		},
		"other-format": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyFormat, []byte("99")) })
		},
		"not-reef": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketMeta) })
		},
		"bad-point-json": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return ds(tx).Bucket(bucketPoints).Put([]byte("a3"), []byte("{")) })
		},
		"bad-info": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return ds(tx).Put(keyInfo, []byte("[]")) })
		},
		"short-vector": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error {
				return ds(tx).Bucket(vecBucketName("s", LevelPoint)).Put(u64key(1), []byte{1, 2, 3})
			})
		},
		"bad-ref": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return ds(tx).Bucket(bucketIIDs).Put(u64key(2), []byte("zzz")) })
		},
		"counts-disagree": func(t *testing.T) string {
			return edit(t, func(tx *bolt.Tx) error { return ds(tx).Bucket(bucketPoints).Delete([]byte("a7")) })
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			p := mk(t)
			before, _ := os.ReadFile(p)
			err := ValidateBackup(p)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrInvalid", err)
			}
			if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
				t.Fatal("ValidateBackup changed the file")
			}
			if strings.Count(err.Error(), "\n") > maxValidateProblems {
				t.Fatalf("unbounded report: %d lines", strings.Count(err.Error(), "\n"))
			}
		})
	}
}
