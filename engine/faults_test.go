package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// faultSpaces are the two spaces the fault and crash tests write: "h" is
// indexed by reef's HNSW, "x" by the exact backend, whose results must equal
// an exact scan of storage bit for bit (same ids, same order).
var faultSpaces = []SpaceSpec{
	{Name: "h", Dim: 12, Metric: "l2", Index: IndexSpec{Backend: index.BackendHNSW, M: 8, EfConstruction: 64}},
	{Name: "x", Dim: 6, Metric: "cosine", Index: IndexSpec{Backend: index.BackendExact}},
}

func createFaultDataset(t testing.TB, e *Engine, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, name); err != nil {
		t.Fatal(err)
	}
	for _, sp := range faultSpaces {
		if _, err := e.CreateSpace(ctx, name, sp); err != nil {
			t.Fatal(err)
		}
	}
}

// faultBatch makes n points "<prefix><i>" with vectors in both spaces and,
// for every third point, an object with a vector in "x".
func faultBatch(r *rand.Rand, prefix string, n int) []PointInput {
	pts := make([]PointInput, n)
	for i := range pts {
		p := PointInput{ID: fmt.Sprintf("%s%d", prefix, i), Metadata: json.RawMessage(fmt.Sprintf(`{"batch":%q}`, prefix)),
			Vectors: map[string][]float32{"h": randVec(r, 12), "x": randVec(r, 6)}}
		if i%3 == 0 {
			p.Objects = []ObjectInput{{ID: "o", Vectors: map[string][]float32{"x": randVec(r, 6)}}}
		}
		pts[i] = p
	}
	return pts
}

// agreeWithExact checks that index search equals an exact scan of storage
// for each query: identical for the exact backend ("x", both levels),
// at least minOverlap of k shared for HNSW ("h") at a large ef.
func agreeWithExact(t testing.TB, e *Engine, dataset string, queries map[string][][]float32, minOverlap int) {
	t.Helper()
	ctx := context.Background()
	for space, qs := range queries {
		levels := []string{"point"}
		if space == "x" {
			levels = append(levels, "object")
		}
		for _, level := range levels {
			for qi, q := range qs {
				req := SearchRequest{Space: space, Vector: q, K: 10, Ef: 400, Level: level}
				approx, err := e.Search(ctx, dataset, req)
				if err != nil {
					t.Fatal(err)
				}
				req.Exact = true
				exact, err := e.Search(ctx, dataset, req)
				if err != nil {
					t.Fatal(err)
				}
				a, x := hitKeys(approx.Hits), hitKeys(exact.Hits)
				if space == "x" {
					if fmt.Sprint(a) != fmt.Sprint(x) {
						t.Fatalf("%s/%s query %d: exact index %v, exact scan %v", space, level, qi, a, x)
					}
					continue
				}
				if len(a) != len(x) {
					t.Fatalf("%s query %d: index gave %d hits, exact scan %d", space, qi, len(a), len(x))
				}
				if shared := overlap(a, x); shared < min(minOverlap, len(x)) {
					t.Fatalf("%s query %d: index shares %d of %d exact neighbours: %v vs %v", space, qi, shared, len(x), a, x)
				}
			}
		}
	}
}

func hitKeys(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID + "/" + h.ObjectID
	}
	return out
}

func overlap(a, b []string) int {
	in := map[string]bool{}
	for _, s := range a {
		in[s] = true
	}
	n := 0
	for _, s := range b {
		if in[s] {
			n++
		}
	}
	return n
}

// storedState is everything a test compares before and after a failed
// write: each point's metadata and vectors, the counts, and what every index
// holds.
func storedState(t testing.TB, e *Engine, dataset string) string {
	t.Helper()
	var b strings.Builder
	err := e.ScanPoints(context.Background(), dataset, []string{"h", "x"}, func(p PointView) error {
		data, _ := json.Marshal(p)
		b.Write(data)
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.Dataset(context.Background(), dataset)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "points=%d objects=%d\n", info.Points, info.Objects)
	for _, sp := range info.Spaces {
		fmt.Fprintf(&b, "%s: %d point vectors, %d object vectors\n", sp.Name, sp.PointVectors, sp.ObjectVectors)
	}
	return b.String()
}

func requireAppliedSeq(t testing.TB, e *Engine) {
	t.Helper()
	seq, err := e.db.Seq()
	if err != nil {
		t.Fatal(err)
	}
	e.writeMu.Lock()
	applied := e.emb.appliedSeq
	e.writeMu.Unlock()
	if applied != seq {
		t.Fatalf("engine applied seq %d, storage committed %d", applied, seq)
	}
}

// A write whose transaction fails (before it starts, or at commit after doing
// all its work) returns the injected error, leaves storage and every index
// exactly as before, and the engine keeps working; after a reopen
// everything still agrees.
func TestInjectedWriteFailureNothingHalfWritten(t *testing.T) {
	type op struct {
		name string
		run  func(e *Engine, r *rand.Rand) error
	}
	ctx := context.Background()
	ops := []op{
		{"upsert-new", func(e *Engine, r *rand.Rand) error {
			_, err := e.Upsert(ctx, "ds", faultBatch(r, "new", 40))
			return err
		}},
		{"upsert-replace", func(e *Engine, r *rand.Rand) error {
			// Same ids as the seed batch, new vectors: an index updated
			// for this failed write would hold vectors storage lacks.
			_, err := e.Upsert(ctx, "ds", faultBatch(r, "a", 30))
			return err
		}},
		{"upsert-merge-import", func(e *Engine, r *rand.Rand) error {
			data := make([]float32, 0, 50*12)
			ids := make([]string, 50)
			for i := range ids {
				ids[i] = fmt.Sprintf("a%d", i) // a0..a49: half exist
				data = append(data, randVec(r, 12)...)
			}
			_, err := e.Import(ctx, "ds", ImportBatch{Space: "h", IDs: ids, Data: data, Dim: 12}, nil)
			return err
		}},
		{"delete", func(e *Engine, r *rand.Rand) error {
			_, err := e.DeletePoints(ctx, "ds", []string{"a1", "a3", "a6", "a9"})
			return err
		}},
		{"create-space", func(e *Engine, r *rand.Rand) error {
			_, err := e.CreateSpace(ctx, "ds", SpaceSpec{Name: "late", Dim: 4, Metric: "l2"})
			return err
		}},
		{"delete-dataset", func(e *Engine, r *rand.Rand) error { return e.DeleteDataset(ctx, "ds") }},
	}
	for _, o := range ops {
		for _, point := range []storage.FaultPoint{storage.FaultBegin, storage.FaultCommit} {
			t.Run(o.name+"/"+point.String(), func(t *testing.T) {
				dir := t.TempDir()
				e := openEngine(t, dir)
				defer func() { e.Close() }()
				createFaultDataset(t, e, "ds")
				r := rand.New(rand.NewPCG(7, uint64(point)))
				if _, err := e.Upsert(ctx, "ds", faultBatch(r, "a", 30)); err != nil {
					t.Fatal(err)
				}
				if err := e.Snapshot(ctx); err != nil { // so the reopen below also replays
					t.Fatal(err)
				}
				if _, err := e.Upsert(ctx, "ds", faultBatch(r, "b", 30)); err != nil {
					t.Fatal(err)
				}
				before := storedState(t, e, "ds")
				fi := storage.NewFaultInjector()
				e.DB().SetFaults(fi)
				fi.FailWrite(1, point, nil)
				err := o.run(e, r)
				if !errors.Is(err, storage.ErrInjected) {
					t.Fatalf("err = %v, want the injected fault", err)
				}
				if fi.Fired() != 1 {
					t.Fatalf("fault fired %d times", fi.Fired())
				}
				if after := storedState(t, e, "ds"); after != before {
					t.Fatalf("a failed %s changed what is stored or indexed:\nbefore %s\nafter  %s", o.name, before, after)
				}
				if _, _, err := e.space("ds", "late"); err == nil {
					t.Fatal("a space whose creation failed exists in the engine")
				}
				mustCheck(t, e)
				requireAppliedSeq(t, e)
				queries := map[string][][]float32{"h": {randVec(r, 12), randVec(r, 12)}, "x": {randVec(r, 6), randVec(r, 6)}}
				agreeWithExact(t, e, "ds", queries, 9)

				// The same operation succeeds once the fault is gone.
				if err := o.run(e, r); err != nil {
					t.Fatalf("retry after the fault: %v", err)
				}
				mustCheck(t, e)
				requireAppliedSeq(t, e)
				if o.name != "delete-dataset" {
					agreeWithExact(t, e, "ds", queries, 9)
				}
				// Crash-like reopen (no snapshot on close): replay must agree.
				e.closeOnce.Do(func() { close(e.stop); e.db.Close() })
				e = openEngine(t, dir)
				mustCheck(t, e)
				if o.name != "delete-dataset" {
					agreeWithExact(t, e, "ds", queries, 9)
				}
			})
		}
	}
}

// A multi-chunk import whose second transaction fails keeps the first chunk
// (committed and indexed), none of the second, and says so in the error.
func TestInjectedFailureMidImport(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	createFaultDataset(t, e, "ds")
	r := rand.New(rand.NewPCG(1, 1))
	n := importChunk + 100
	ids := make([]string, n)
	data := make([]float32, 0, n*6)
	for i := range ids {
		ids[i] = fmt.Sprintf("i%05d", i)
		data = append(data, randVec(r, 6)...)
	}
	fi := storage.NewFaultInjector()
	e.DB().SetFaults(fi)
	fi.FailWrite(2, storage.FaultCommit, nil)
	res, err := e.Import(ctx, "ds", ImportBatch{Space: "x", IDs: ids, Data: data, Dim: 6}, nil)
	if !errors.Is(err, storage.ErrInjected) || !strings.Contains(err.Error(), fmt.Sprintf("rows before %d are committed", importChunk)) {
		t.Fatalf("err = %v", err)
	}
	if res.Upserted != importChunk {
		t.Fatalf("reported %d rows committed, want %d", res.Upserted, importChunk)
	}
	info, _ := e.Dataset(ctx, "ds")
	if info.Points != importChunk {
		t.Fatalf("%d points stored, want %d", info.Points, importChunk)
	}
	mustCheck(t, e)
	requireAppliedSeq(t, e)
	// Re-running the import is idempotent and completes it.
	if _, err := e.Import(ctx, "ds", ImportBatch{Space: "x", IDs: ids, Data: data, Dim: 6}, nil); err != nil {
		t.Fatal(err)
	}
	info, _ = e.Dataset(ctx, "ds")
	if info.Points != n {
		t.Fatalf("%d points after re-import, want %d", info.Points, n)
	}
	mustCheck(t, e)
	agreeWithExact(t, e, "ds", map[string][][]float32{"x": {randVec(r, 6)}}, 10)
}

// Writes keep failing (the disk is gone) while readers and other writers
// run concurrently: every write either succeeds whole or fails whole, and
// the indexes never get ahead of storage.
func TestInjectedFailuresUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	createFaultDataset(t, e, "ds")
	fi := storage.NewFaultInjector()
	e.DB().SetFaults(fi)
	// Every third write fails, alternating begin and commit.
	for i := 1; i <= 60; i += 3 {
		p := storage.FaultBegin
		if i%2 == 0 {
			p = storage.FaultCommit
		}
		fi.FailWrite(i, p, nil)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		okIDs  = map[string]bool{}
		badIDs = map[string]bool{}
	)
	for w := range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 15 {
				prefix := fmt.Sprintf("w%d-%d-", w, i)
				_, err := e.Upsert(ctx, "ds", faultBatch(r, prefix, 5))
				if err != nil && !errors.Is(err, storage.ErrInjected) {
					t.Errorf("unexpected error: %v", err)
				}
				mu.Lock()
				if err == nil {
					okIDs[prefix] = true
				} else {
					badIDs[prefix] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(5, 5))
		for range 50 {
			if _, err := e.Search(ctx, "ds", SearchRequest{Space: "h", Vector: randVec(r, 12), K: 5}); err != nil {
				t.Errorf("search: %v", err)
			}
		}
	})
	wg.Wait()
	if len(badIDs) == 0 || len(okIDs) == 0 {
		t.Fatalf("%d ok, %d failed batches: want both", len(okIDs), len(badIDs))
	}
	for prefix := range okIDs {
		for i := range 5 {
			if _, err := e.Point(ctx, "ds", fmt.Sprintf("%s%d", prefix, i)); err != nil {
				t.Fatalf("acknowledged point missing: %v", err)
			}
		}
	}
	for prefix := range badIDs {
		for i := range 5 {
			if _, err := e.Point(ctx, "ds", fmt.Sprintf("%s%d", prefix, i)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("point of a failed batch: %v", err)
			}
		}
	}
	mustCheck(t, e)
	requireAppliedSeq(t, e)
}

// captureLog returns a logger writing to a buffer the test can read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A snapshot that cannot be written (its file's place is taken by a
// directory, or the dataset's snapshot directory by a file) fails cleanly:
// the error is returned, writes go on, the change log is kept for replay,
// Check passes, and the next open rebuilds what has no usable snapshot.
func TestSnapshotWriteFailure(t *testing.T) {
	for _, mode := range []string{"file-is-a-directory", "directory-is-a-file"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			e := openEngine(t, dir)
			createFaultDataset(t, e, "ds")
			r := rand.New(rand.NewPCG(2, 2))
			if _, err := e.Upsert(ctx, "ds", faultBatch(r, "a", 200)); err != nil {
				t.Fatal(err)
			}
			if err := e.Snapshot(ctx); err != nil {
				t.Fatal(err)
			}
			info, _ := e.Dataset(ctx, "ds")
			uidDir := filepath.Join(dir, "index", info.UID)
			blocked := filepath.Join(uidDir, "h.point.idx")
			switch mode {
			case "file-is-a-directory":
				os.Remove(blocked)
				if err := os.MkdirAll(filepath.Join(blocked, "in-the-way"), 0o755); err != nil {
					t.Fatal(err)
				}
			case "directory-is-a-file":
				os.RemoveAll(uidDir)
				if err := os.WriteFile(uidDir, []byte("in the way"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			seqBefore, _ := e.db.Seq()
			if _, err := e.Upsert(ctx, "ds", faultBatch(r, "b", 100)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.DeletePoints(ctx, "ds", []string{"a0", "a1", "a2"}); err != nil {
				t.Fatal(err)
			}
			if err := e.Snapshot(ctx); err == nil {
				t.Fatal("snapshot into a blocked path reported success")
			}
			// The log must still reach back to the blocked snapshot's seq.
			n := 0
			if err := e.db.Replay("ds", "h", storage.LevelPoint, seqBefore, func(uint64, storage.Change) error { n++; return nil }); err != nil || n == 0 {
				t.Fatalf("change log after a failed snapshot: %d changes, %v", n, err)
			}
			if _, err := e.Upsert(ctx, "ds", faultBatch(r, "c", 50)); err != nil {
				t.Fatalf("write after a failed snapshot: %v", err)
			}
			mustCheck(t, e)
			want := storedState(t, e, "ds")
			queries := map[string][][]float32{"h": {randVec(r, 12), randVec(r, 12)}, "x": {randVec(r, 6)}}
			agreeWithExact(t, e, "ds", queries, 9)
			if err := e.Close(); err == nil {
				t.Fatal("Close reported success though its snapshot failed")
			}

			logs := &syncBuffer{}
			o := testOptions(dir)
			o.Logger = slog.New(slog.NewTextHandler(logs, nil))
			e, err := Open(ctx, o)
			if err != nil {
				t.Fatalf("open after a failed snapshot: %v", err)
			}
			defer e.Close()
			if !strings.Contains(logs.String(), "rebuilding index from storage") {
				t.Fatalf("the blocked snapshot was not rebuilt; log:\n%s", logs)
			}
			if got := storedState(t, e, "ds"); got != want {
				t.Fatalf("after reopen:\n%s\nwant\n%s", got, want)
			}
			mustCheck(t, e)
			agreeWithExact(t, e, "ds", queries, 9)
		})
	}
}

// An index snapshot newer than storage (its Seq above storage's last
// committed seq) cannot describe that storage: it happens when reef.db is
// put back from an older backup by hand (cp, not `reef restore`), or when
// the tail of bbolt's commits is lost while the snapshot survived.
// engine/indexes.go loadLevel trusts any snapshot whose tag, dim and metric
// match and replays the (empty) log after its Seq, so the index keeps
// vectors storage never had or no longer has. This test fails until
// loadLevel rebuilds when hdr.Seq > storage's Seq.
func TestSnapshotNewerThanStorageIsRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, dir)
	createFaultDataset(t, e, "ds")
	r := rand.New(rand.NewPCG(3, 3))
	if _, err := e.Upsert(ctx, "ds", faultBatch(r, "a", 30)); err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	if _, err := e.DB().Backup(&old); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Upsert(ctx, "ds", faultBatch(r, "a", 30)); err != nil { // new vectors, same ids
		t.Fatal(err)
	}
	if _, err := e.Upsert(ctx, "ds", faultBatch(r, "z", 30)); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil { // snapshots at the newer seq
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reef.db"), old.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e = openEngine(t, dir)
	defer e.Close()
	rep, err := e.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("BUG: snapshots newer than storage were loaded (engine/indexes.go loadLevel does not compare hdr.Seq with storage's seq): %v", rep.Problems)
	}
	agreeWithExact(t, e, "ds", map[string][][]float32{"h": {randVec(r, 12)}, "x": {randVec(r, 6)}}, 9)
}
