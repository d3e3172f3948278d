package view

import (
	"context"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/understand"
)

// testEnv is an engine with a Viewer over it (UMAP graphs from an
// understand.Analyzer); engine and Viewer promote their methods.
type testEnv struct {
	*engine.Engine
	*Viewer
	und *understand.Analyzer
}

// Close closes the engine, which closes the Viewer.
func (e *testEnv) Close() error { return e.Engine.Close() }

func testOptions(dir string) engine.Options {
	o := engine.DefaultOptions()
	o.DataDir, o.NoSync, o.SnapshotInterval = dir, true, 0
	return o
}

func Open(ctx context.Context, o engine.Options) (*testEnv, error) {
	eng, err := engine.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	und := understand.New(eng)
	// Tests start UMAP explicitly (AutoUMAPMax 0).
	return &testEnv{Engine: eng, Viewer: New(eng, Options{Graphs: und}), und: und}, nil
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
