package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
)

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
		t.Skipf("cannot mount a tmpfs here (%v: %s); storage's TestNoSpaceIsErrFull covers the mapping", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// On a real full file system (a 4 MiB tmpfs, ENOSPC from the kernel, not
// the capped file), an upsert answers 507 storage_full; nothing of that
// batch is stored, every acknowledged batch is, reads and search go on,
// and once room comes back writes succeed and the consistency check
// passes.
func TestRealFullDiskAnswers507(t *testing.T) {
	dir := mountTinyFS(t, 4<<20)
	// Room to give back at the end, so that Close can write its snapshots.
	pad := filepath.Join(dir, "pad")
	if err := os.WriteFile(pad, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval = filepath.Join(dir, "data"), true, 0
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(eng, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, eng: eng, srv: srv}
	closed := false
	t.Cleanup(func() {
		if !closed {
			eng.Close()
		}
	})
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	if code := ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 16, "metric": "l2"}, nil); code != 201 {
		t.Fatalf("create space: %d", code)
	}
	batch := func(b int) map[string]any {
		pts := make([]map[string]any, 50)
		for i := range pts {
			v := make([]float32, 16)
			v[i%16], v[b%16] = float32(b+1), float32(i+1)
			pts[i] = map[string]any{"id": fmt.Sprintf("b%d-%d", b, i), "vectors": map[string]any{"s": v},
				"metadata": map[string]any{"pad": strings.Repeat("x", 400)}}
		}
		return map[string]any{"points": pts}
	}
	acked, full := 0, false
	for b := 0; b < 2000 && !full; b++ {
		var e errBody
		switch code := ts.call("POST", "/v1/datasets/ds/points", batch(b), &e); code {
		case 200:
			acked++
		case http.StatusInsufficientStorage:
			if e.Error.Code != "storage_full" {
				t.Fatalf("507 with code %q: %s", e.Error.Code, e.Error.Message)
			}
			full = true
			if code := ts.call("GET", fmt.Sprintf("/v1/datasets/ds/points/b%d-0", b), nil, nil); code != 404 {
				t.Fatalf("point of the failed batch: HTTP %d", code)
			}
		default:
			t.Fatalf("batch %d: HTTP %d %s: %s", b, code, e.Error.Code, e.Error.Message)
		}
	}
	if !full || acked == 0 {
		t.Fatalf("%d batches acknowledged, full=%v: the file system never filled", acked, full)
	}
	var info engine.DatasetInfo
	if code := ts.call("GET", "/v1/datasets/ds", nil, &info); code != 200 || info.Points != acked*50 {
		t.Fatalf("GET dataset when full: %d, %d points for %d acknowledged", code, info.Points, acked*50)
	}
	for b := range acked {
		if code := ts.call("GET", fmt.Sprintf("/v1/datasets/ds/points/b%d-49", b), nil, nil); code != 200 {
			t.Fatalf("acknowledged point b%d-49: HTTP %d", b, code)
		}
	}
	if code := ts.call("POST", "/v1/datasets/ds/search", map[string]any{"space": "s", "id": "b0-1", "k": 5}, nil); code != 200 {
		t.Fatalf("search when full: %d", code)
	}
	if err := os.Remove(pad); err != nil {
		t.Fatal(err)
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", batch(acked), nil); code != 200 {
		t.Fatalf("write after room came back: %d", code)
	}
	closed = true
	closeChecked(t, eng)
}
