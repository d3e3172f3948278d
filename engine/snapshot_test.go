package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestSnapshotWritesOnlyChangedLevels: a write to dataset a rewrites a's
// point-level snapshot and no snapshot of dataset b, and after the change
// log is trimmed b still opens from its older snapshot without a rebuild.
func TestSnapshotWritesOnlyChangedLevels(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	e := openEngine(t, dir)
	r := rand.New(rand.NewPCG(3, 4))
	for _, ds := range []string{"a", "b"} {
		e.CreateDataset(ctx, ds)
		e.CreateSpace(ctx, ds, SpaceSpec{Name: "s", Dim: 8, Metric: "l2"})
		var pts []PointInput
		for i := range 200 {
			pts = append(pts, PointInput{ID: fmt.Sprint(i), Vectors: map[string][]float32{"s": randVec(r, 8)}})
		}
		if _, err := e.Upsert(ctx, ds, pts); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	path := func(ds string) string {
		info, err := e.db.Dataset(ds)
		if err != nil {
			t.Fatal(err)
		}
		return e.emb.snapshotPath(info, "s", levels[0])
	}
	stat := func(p string) os.FileInfo {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	a0, b0 := stat(path("a")), stat(path("b"))
	if _, err := e.Upsert(ctx, "a", []PointInput{{ID: "new", Vectors: map[string][]float32{"s": randVec(r, 8)}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if os.SameFile(a0, stat(path("a"))) {
		t.Fatal("dataset a's snapshot was not rewritten after a write to it")
	}
	if !os.SameFile(b0, stat(path("b"))) {
		t.Fatal("a write to dataset a rewrote dataset b's snapshot")
	}
	mustCheck(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	o := testOptions(dir)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	e2, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if strings.Contains(logs.String(), "rebuilding index") || strings.Count(logs.String(), "index loaded from snapshot") != 2 {
		t.Fatalf("reopen did not load both point-level snapshots as they were:\n%s", logs.String())
	}
	if info, _ := e2.Dataset(ctx, "b"); info.Points != 200 {
		t.Fatalf("b has %d points", info.Points)
	}
	mustCheck(t, e2)
}
