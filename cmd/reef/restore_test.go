package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/server"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openRestoreEngine(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval, eo.Logger = dir, true, 0, quiet()
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// slowWriter is a response writer that takes its time, so the backup's read
// transaction stays open while writes go on.
type slowWriter struct {
	*httptest.ResponseRecorder
	writes atomic.Int64
	// first, when set, runs before the first write: the backup is then
	// under way and holds its read transaction.
	first func()
}

func (w *slowWriter) Write(p []byte) (int, error) {
	n := w.writes.Add(1)
	if n == 1 && w.first != nil {
		w.first()
	}
	if n%4 == 0 {
		time.Sleep(2 * time.Millisecond)
	}
	return w.ResponseRecorder.Write(p)
}

const restoreBatch = 25

func restoreBatchBody(r *rand.Rand, b int) []byte {
	pts := make([]map[string]any, restoreBatch)
	for i := range pts {
		v := make([]float32, 16)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		pts[i] = map[string]any{"id": fmt.Sprintf("b%d-%d", b, i), "metadata": map[string]any{"batch": b}, "vectors": map[string]any{"emb": v}}
	}
	data, _ := json.Marshal(map[string]any{"points": pts})
	return data
}

// A backup taken through the server while a writer keeps committing batches
// restores (with `reef restore`) into a fresh directory that opens, passes
// Check, and holds exactly the batches acknowledged up to one point in time
// during the backup: a whole prefix, no half batch.
func TestBackupDuringWritesRestores(t *testing.T) {
	src := t.TempDir()
	eng := openRestoreEngine(t, src)
	defer eng.Close()
	so := server.DefaultOptions()
	so.Logger = quiet()
	srv, err := server.New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	post := func(path string, body []byte) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(body)))
		return rec.Code, rec.Body.String()
	}
	if c, b := post("/v1/datasets", []byte(`{"name":"ds"}`)); c != 201 {
		t.Fatal(c, b)
	}
	if c, b := post("/v1/datasets/ds/spaces", []byte(`{"name":"emb","dim":16,"metric":"l2","index":{"backend":"exact"}}`)); c != 201 {
		t.Fatal(c, b)
	}
	r := rand.New(rand.NewPCG(4, 2))
	for b := range 300 { // some bulk so the backup takes a while
		var req struct{ Points []engine.PointInput }
		json.Unmarshal(restoreBatchBody(r, b), &req)
		if _, err := eng.Upsert(context.Background(), "ds", req.Points); err != nil {
			t.Fatal(err)
		}
	}
	var acked atomic.Int64
	acked.Store(300)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		r := rand.New(rand.NewPCG(5, 5))
		for b := 300; ; b++ {
			select {
			case <-stop:
				return
			default:
			}
			if c, body := post("/v1/datasets/ds/points", restoreBatchBody(r, b)); c != 200 {
				t.Errorf("write during backup: %d %s", c, body)
				return
			}
			acked.Store(int64(b + 1))
		}
	})
	time.Sleep(20 * time.Millisecond)
	before := acked.Load()
	// Mid-backup, wait (boundedly) for a write to complete: on a loaded
	// machine the backup could otherwise finish before any write is tried.
	w := &slowWriter{ResponseRecorder: httptest.NewRecorder(), first: func() {
		for deadline := time.Now().Add(10 * time.Second); acked.Load() <= before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}}
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/backup", nil))
	after := acked.Load()
	close(stop)
	wg.Wait()
	if w.Code != 200 {
		t.Fatalf("backup: HTTP %d", w.Code)
	}
	if after <= before {
		t.Fatalf("no write completed during the backup (%d → %d): writes were blocked", before, after)
	}
	backup := filepath.Join(t.TempDir(), "reef-backup.db")
	if err := os.WriteFile(backup, w.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "restored")
	cmd := newRoot()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"restore", backup, "--data", dst})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("reef restore: %v", err)
	}
	if !strings.Contains(out.String(), "restored") {
		t.Fatalf("output %q", out.String())
	}
	rest := openRestoreEngine(t, dst)
	defer rest.Close()
	rep, err := rest.Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check after restore: %v %v", rep.Problems, err)
	}
	info, err := rest.Dataset(context.Background(), "ds")
	if err != nil {
		t.Fatal(err)
	}
	if info.Points%restoreBatch != 0 {
		t.Fatalf("%d points restored: a partial batch", info.Points)
	}
	k := int64(info.Points / restoreBatch)
	if k < before || k > after {
		t.Fatalf("restored %d batches; the backup ran while %d..%d were acknowledged", k, before, after)
	}
	// Exactly batches 0..k-1, each whole.
	perBatch := map[int]int{}
	err = rest.ScanPoints(context.Background(), "ds", nil, func(p engine.PointView) error {
		var m struct{ Batch int }
		json.Unmarshal(p.Metadata, &m)
		perBatch[m.Batch]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for b := range int(k) {
		if perBatch[b] != restoreBatch {
			t.Fatalf("batch %d has %d of %d points", b, perBatch[b], restoreBatch)
		}
	}
	if info.Spaces[0].PointVectors != info.Points {
		t.Fatalf("index holds %d vectors for %d points", info.Spaces[0].PointVectors, info.Points)
	}
	t.Logf("backup %d bytes taken while batches %d..%d were acknowledged; restored %d batches", w.Body.Len(), before, after, k)
}

func TestRestoreRefusals(t *testing.T) {
	src := t.TempDir()
	eng := openRestoreEngine(t, src)
	ctx := context.Background()
	if _, err := eng.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: 2, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Upsert(ctx, "ds", []engine.PointInput{{ID: "a", Vectors: map[string][]float32{"emb": {1, 2}}}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := eng.DB().Backup(&buf); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	os.WriteFile(backup, buf.Bytes(), 0o600)
	run := func(args ...string) error {
		cmd := newRoot()
		cmd.SetOut(io.Discard)
		cmd.SetArgs(append([]string{"restore"}, args...))
		return cmd.Execute()
	}

	// A server (here: the open engine) holds src: refused even with --force.
	old := restoreLockTimeout
	restoreLockTimeout = 200 * time.Millisecond
	defer func() { restoreLockTimeout = old }()
	if err := run(backup, "--data", src, "--force"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore into a served dir: %v", err)
	}
	// Into its own database file: refused.
	eng.Close()
	if err := run(filepath.Join(src, "reef.db"), "--data", src, "--force"); err == nil {
		t.Fatal("restoring a data dir's db onto itself was accepted")
	}

	// A directory with data: refused without --force, left untouched.
	dbBefore, _ := os.ReadFile(filepath.Join(src, "reef.db"))
	if err := run(backup, "--data", src); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore over data without --force: %v", err)
	}
	if dbAfter, _ := os.ReadFile(filepath.Join(src, "reef.db")); !bytes.Equal(dbBefore, dbAfter) {
		t.Fatal("a refused restore changed the database")
	}
	// A corrupt backup: refused before anything is touched.
	bad := filepath.Join(t.TempDir(), "bad.db")
	os.WriteFile(bad, buf.Bytes()[:buf.Len()/2], 0o600)
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := run(bad, "--data", fresh); err == nil || !strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("corrupt backup: %v", err)
	}
	if entries, _ := os.ReadDir(fresh); len(entries) != 0 {
		t.Fatalf("a rejected restore left %v", entries)
	}

	// With --force: the database is replaced, the stale snapshots are gone,
	// no temp file is left, and the engine opens on it.
	e2 := openRestoreEngine(t, src)
	e2.Upsert(ctx, "ds", []engine.PointInput{{ID: "later", Vectors: map[string][]float32{"emb": {3, 4}}}})
	e2.Close()
	if err := run(backup, "--data", src+string(filepath.Separator)+"."+string(filepath.Separator), "--force"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "index")); !os.IsNotExist(err) {
		t.Fatalf("stale index snapshots kept: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(src, ".reef.db.restore-*")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	e3 := openRestoreEngine(t, src)
	defer e3.Close()
	if _, err := e3.Point(ctx, "ds", "later"); err == nil {
		t.Fatal("a point written after the backup survived the restore")
	}
	if _, err := e3.Point(ctx, "ds", "a"); err != nil {
		t.Fatal(err)
	}
	rep, err := e3.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("%v %v", rep.Problems, err)
	}
	_ = http.StatusOK
}
