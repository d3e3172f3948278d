package storage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// A write that fails because the file system has no room (ENOSPC at the
// page write, as bbolt reports it) is ErrFull, like the capped file, and
// leaves the store exactly as it was.
func TestNoSpaceIsErrFull(t *testing.T) {
	for _, point := range []FaultPoint{FaultBegin, FaultCommit} {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
			t.Run(fmt.Sprintf("%v/%v", point, errno), func(t *testing.T) {
				db := openTest(t)
				setup(t, db)
				fi := NewFaultInjector()
				db.SetFaults(fi)
				before := dump(t, db)
				fi.FailWrite(1, point, &os.PathError{Op: "write", Path: db.Path(), Err: errno})
				_, _, err := db.Upsert("ds", faultPoints(20, "x"), false)
				if !errors.Is(err, ErrFull) {
					t.Fatalf("upsert on a full disk: %v, want ErrFull", err)
				}
				if !errors.Is(err, errno) {
					t.Fatalf("the cause is lost: %v", err)
				}
				if dump(t, db) != before {
					t.Fatal("the failed write changed the store")
				}
				if _, _, err := db.Upsert("ds", faultPoints(20, "x"), false); err != nil {
					t.Fatalf("write after room came back: %v", err)
				}
			})
		}
	}
}

// mountTinyFS mounts a tmpfs of size bytes on a fresh directory, or skips
// the test when this process may not mount (not root, no CAP_SYS_ADMIN).
func mountTinyFS(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestNoSpaceIsErrFull covers the mapping", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// On a real full file system (a 2 MiB tmpfs), the write that finds no room
// fails with ErrFull; every earlier write is whole, the failed one left
// nothing, bbolt's check passes, and the store reopens.
func TestRealFullDiskIsErrFull(t *testing.T) {
	dir := mountTinyFS(t, 2<<20)
	path := filepath.Join(dir, "reef.db")
	opts := DefaultOptions()
	opts.NoSync = true
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Closed before the unmount (cleanups run last first), however the
	// test ends.
	t.Cleanup(func() { db.Close() })
	setup(t, db)
	acked, full := 0, false
	for b := 0; b < 10_000 && !full; b++ {
		before := dump(t, db)
		pts := faultPoints(50, fmt.Sprintf("b%d-", b))
		for i := range pts {
			pts[i].Metadata = fmt.Appendf(nil, `{"pad":"%0500d"}`, i)
		}
		_, _, err := db.Upsert("ds", pts, false)
		switch {
		case err == nil:
			acked++
		case errors.Is(err, ErrFull):
			full = true
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("full, but not for lack of space: %v", err)
			}
			if dump(t, db) != before {
				t.Fatal("the failed write changed the store")
			}
		default:
			t.Fatalf("batch %d: %v, want nil or ErrFull", b, err)
		}
	}
	if !full || acked == 0 {
		t.Fatalf("%d batches acknowledged, full=%v: the file system never filled", acked, full)
	}
	check := func(db *DB) {
		t.Helper()
		if err := db.Check(); err != nil {
			t.Fatalf("bbolt check: %v", err)
		}
		for b := range acked {
			if _, err := db.Point("ds", fmt.Sprintf("b%d-49", b)); err != nil {
				t.Fatalf("acknowledged point b%d-49: %v", b, err)
			}
		}
		if _, err := db.Point("ds", fmt.Sprintf("b%d-0", acked)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("point of the failed batch: %v, want ErrNotFound", err)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, opts); err != nil {
		t.Fatalf("reopen on the full disk: %v", err)
	}
	check(db)
}
