package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/server"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func call(t *testing.T, h http.Handler, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, r))
	return rec.Code, rec.Body.Bytes()
}

func diskFullBatch(r *rand.Rand, batch, n, dim int) map[string]any {
	pts := make([]map[string]any, n)
	for i := range pts {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		pts[i] = map[string]any{"id": fmt.Sprintf("b%d-%d", batch, i), "metadata": map[string]any{"batch": batch},
			"vectors": map[string]any{"emb": v}}
	}
	return map[string]any{"points": pts}
}

// With a capped database file (engine.Options.MaxDBSize), the write that
// would grow it past the cap fails with engine.ErrFull, which the server
// answers with 507 storage_full; nothing of that batch is stored, every
// acknowledged batch is, reads and searches keep working, Check passes, and
// a reopen with a larger cap accepts writes again.
func TestDiskFullFailsCleanlyAndReadsGoOn(t *testing.T) {
	dir := t.TempDir()
	const maxDB = 1 << 20
	open := func(max int) (*engine.Engine, http.Handler) {
		eo := engine.DefaultOptions()
		eo.DataDir, eo.NoSync, eo.SnapshotInterval, eo.MaxDBSize, eo.Logger = dir, true, 0, max, quietLogger()
		eng, err := engine.Open(context.Background(), eo)
		if err != nil {
			t.Fatal(err)
		}
		so := server.DefaultOptions()
		so.Logger = quietLogger()
		srv, err := server.New(eng, so)
		if err != nil {
			t.Fatal(err)
		}
		return eng, srv.Handler()
	}
	eng, h := open(maxDB)
	if code, body := call(t, h, "POST", "/v1/datasets", map[string]any{"name": "ds"}); code != 201 {
		t.Fatalf("create dataset: %d %s", code, body)
	}
	if code, body := call(t, h, "POST", "/v1/datasets/ds/spaces", map[string]any{"name": "emb", "dim": 64, "metric": "l2"}); code != 201 {
		t.Fatalf("create space: %d %s", code, body)
	}
	r := rand.New(rand.NewPCG(1, 2))
	acked, full := 0, false
	const perBatch = 100
	for b := 0; b < 200 && !full; b++ {
		code, body := call(t, h, "POST", "/v1/datasets/ds/points", diskFullBatch(r, b, perBatch, 64))
		switch code {
		case 200:
			acked++
		case http.StatusInsufficientStorage:
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "storage_full" {
				t.Fatalf("507 body %s", body)
			}
			// The engine error is the sentinel the server mapped.
			_, err := eng.Upsert(context.Background(), "ds", []engine.PointInput{{ID: "probe-big", Vectors: map[string][]float32{"emb": make64(r)}, Metadata: json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("x"), 60000)) + `"}`)}})
			if err != nil && !errors.Is(err, engine.ErrFull) {
				t.Fatalf("engine error after full: %v, want ErrFull", err)
			}
			// The failed batch left nothing.
			if code, _ := call(t, h, "GET", fmt.Sprintf("/v1/datasets/ds/points/b%d-0", b), nil); code != 404 {
				t.Fatalf("point of the failed batch: HTTP %d", code)
			}
			full = true
		default:
			t.Fatalf("batch %d: HTTP %d %s", b, code, body)
		}
	}
	if !full || acked == 0 {
		t.Fatalf("acked %d batches, full=%v: the cap was never reached", acked, full)
	}
	if st, err := os.Stat(filepath.Join(dir, "reef.db")); err != nil || st.Size() > maxDB {
		t.Fatalf("db file %v bytes (cap %d): %v", st.Size(), maxDB, err)
	}
	// Reads keep working.
	var info engine.DatasetInfo
	code, body := call(t, h, "GET", "/v1/datasets/ds", nil)
	if err := json.Unmarshal(body, &info); code != 200 || err != nil {
		t.Fatalf("GET dataset when full: %d %s", code, body)
	}
	probeOK := 0
	if code, _ := call(t, h, "GET", "/v1/datasets/ds/points/probe-big", nil); code == 200 {
		probeOK = 1
	}
	if info.Points != acked*perBatch+probeOK {
		t.Fatalf("%d points stored, %d acknowledged", info.Points, acked*perBatch+probeOK)
	}
	for b := range acked {
		if code, _ := call(t, h, "GET", fmt.Sprintf("/v1/datasets/ds/points/b%d-%d", b, perBatch-1), nil); code != 200 {
			t.Fatalf("acknowledged point b%d-%d: HTTP %d", b, perBatch-1, code)
		}
	}
	for _, exact := range []bool{false, true} {
		code, body := call(t, h, "POST", "/v1/datasets/ds/search", map[string]any{"space": "emb", "id": "b0-1", "k": 5, "exact": exact})
		if code != 200 {
			t.Fatalf("search when full (exact=%v): %d %s", exact, code, body)
		}
	}
	if code, body := call(t, h, "POST", "/v1/check", nil); code != 200 {
		t.Fatalf("check when full: %d %s", code, body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/backup", nil))
	if rec.Code != 200 || rec.Body.Len() == 0 {
		t.Fatalf("backup when full: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	// A bigger cap lets writes in again; everything still agrees.
	eng, h = open(64 << 20)
	defer eng.Close()
	if code, body := call(t, h, "POST", "/v1/datasets/ds/points", diskFullBatch(r, 999, perBatch, 64)); code != 200 {
		t.Fatalf("write after raising the cap: %d %s", code, body)
	}
	rep, err := eng.Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}

func make64(r *rand.Rand) []float32 {
	v := make([]float32, 64)
	for i := range v {
		v[i] = float32(r.NormFloat64()) + 1
	}
	return v
}
