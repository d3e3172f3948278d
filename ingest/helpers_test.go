package ingest

import (
	"context"
	"fmt"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/view"
)

// envOptions is what a test opens: the engine's options and ingest's.
type envOptions struct {
	engine.Options
	ingestOptions
}

type ingestOptions = Options

func testOptions(dir string) envOptions {
	o := engine.DefaultOptions()
	o.DataDir, o.NoSync, o.SnapshotInterval = dir, true, 0
	return envOptions{Options: o, ingestOptions: DefaultOptions()}
}

// testEnv is an engine with an Ingester and a Viewer over it; all promote
// their methods (Close closes the engine, which closes the others).
type testEnv struct {
	*engine.Engine
	*Ingester
	*view.Viewer // its hits show the Ingester's media
}

func (e *testEnv) Close() error { return e.Engine.Close() }

func Open(ctx context.Context, o envOptions) (*testEnv, error) {
	eng, err := engine.Open(ctx, o.Options)
	if err != nil {
		return nil, err
	}
	in, err := New(eng, o.ingestOptions)
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &testEnv{Engine: eng, Ingester: in, Viewer: view.New(eng, view.Options{Media: in})}, nil
}

func openEngine(t *testing.T, dir string) *testEnv {
	t.Helper()
	e, err := Open(context.Background(), testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// mustCheck is the storage/index consistency check every writing test ends with.
func mustCheck(t *testing.T, e *testEnv) {
	t.Helper()
	rep, err := e.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("consistency check: %v", rep.Problems)
	}
}

// seedPoints stores n points p0000… with dim-d vectors in dataset "ds",
// space "emb".
func seedPoints(t testing.TB, e *testEnv, n, dim int) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: dim, Metric: "l2"}); err != nil {
		t.Fatal(err)
	}
	pts := make([]engine.PointInput, n)
	for i := range pts {
		v := make([]float32, dim)
		v[i%dim] = float32(i + 1)
		pts[i] = engine.PointInput{ID: fmt.Sprintf("p%04d", i), Vectors: map[string][]float32{"emb": v}}
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
}
