package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/server"
)

// TestFailureCommands runs evaluate, label-errors and regions against a
// live server: two clusters, a classifier that is wrong on most of the
// second (accuracy 146/200), and four flipped labels.
func TestFailureCommands(t *testing.T) {
	eng := openRestoreEngine(t, t.TempDir())
	defer func() {
		if rep, err := eng.Check(context.Background()); err != nil || !rep.OK() {
			t.Errorf("consistency check: %v %v", err, rep.Problems)
		}
		eng.Close()
	}()
	so := server.DefaultOptions()
	so.Logger = quiet()
	srv, err := server.New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx := context.Background()
	eng.CreateDataset(ctx, "ds")
	eng.CreateSpace(ctx, "ds", engine.SpaceSpec{Name: "s", Dim: 8, Metric: "l2"})
	r := rand.New(rand.NewPCG(5, 6))
	var pts []engine.PointInput
	for i := range 200 {
		c := i % 2
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		v[c] += 10
		label, pred := fmt.Sprint("c", c), fmt.Sprint("c", c)
		if c == 1 && i%4 != 1 {
			pred = "c0"
		}
		if i%50 == 0 {
			label = "c1" // flipped: i%50 == 0 is in cluster 0
		}
		meta, _ := json.Marshal(map[string]any{"y": label, "p": pred})
		pts = append(pts, engine.PointInput{ID: fmt.Sprintf("x%03d", i), Metadata: meta, Vectors: map[string][]float32{"s": v}})
	}
	if _, err := eng.Upsert(ctx, "ds", pts); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := newRoot()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(append(args, "--server", hs.URL, "--dataset", "ds"))
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("reef %v: %v", args, err)
		}
		return out.String()
	}
	ev := run("evaluate", "--task", "classification", "--label-field", "y", "--prediction-field", "p")
	if !strings.Contains(ev, "written to metadata \"eval\"") || !strings.Contains(ev, "accuracy 0.73") {
		t.Errorf("evaluate printed:\n%s", ev)
	}
	le := run("label-errors", "--space", "s", "--label-field", "y", "--limit", "4")
	for _, id := range []string{"x000", "x050", "x100", "x150"} {
		if !strings.Contains(le, id) {
			t.Errorf("label-errors does not list flipped %s:\n%s", id, le)
		}
	}
	rg := run("regions", "--space", "s", "--field", "eval.failed", "--summary", "y")
	if !strings.Contains(rg, "y=c1") {
		t.Errorf("regions printed:\n%s", rg)
	}
	// An issue of four cluster-1 points, collected from the same pool and exported.
	if out := run("issue", "save", "--name", "c1", "--space", "s", "--ids", "x001,x003,x005,x007"); !strings.Contains(out, "4 points") {
		t.Errorf("issue save printed %q", out)
	}
	col := run("issue", "collect", "--name", "c1", "--from", "ds", "-k", "5", "--accept", "x009", "--save")
	if strings.Contains(col, "x001 ") || !strings.Contains(col, "1 accepted") || strings.Count(col, "\n") < 6 {
		t.Errorf("issue collect printed:\n%s", col)
	}
	if out := run("issue", "export", "--name", "c1", "--format", "csv"); out != "dataset,id,source\nds,x001,issue\nds,x003,issue\nds,x005,issue\nds,x007,issue\nds,x009,collected\n" {
		t.Errorf("issue export printed %q", out)
	}
	t.Logf("\n%s\n%s\n%s\n%s", ev, le, rg, col)
}
