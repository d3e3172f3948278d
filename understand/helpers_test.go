package understand

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/engine"
)

// testEnv is an engine with an Analyzer over it; both promote their methods.
type testEnv struct {
	*engine.Engine
	*Analyzer
}

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
	return &testEnv{Engine: eng, Analyzer: New(eng)}, nil
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

// seed stores n random points p0000… in dataset "ds", space "emb", with
// metadata {"split": "train"|"test", "n": i}.
func seed(t *testing.T, e *testEnv, n, dim int, metric string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.CreateDataset(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "emb", Dim: dim, Metric: metric}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]engine.PointInput, n)
	for i := range pts {
		split := "train"
		if i%4 == 0 {
			split = "test"
		}
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		pts[i] = engine.PointInput{ID: fmt.Sprintf("p%04d", i), Metadata: json.RawMessage(fmt.Sprintf(`{"split":%q,"n":%d}`, split, i)),
			Vectors: map[string][]float32{"emb": v}}
	}
	if _, err := e.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
}
