package understand

import (
	"context"
	"testing"
)

func TestTuneSavesEf(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir)
	seed(t, e, 3000, 32, "cosine")
	ctx := context.Background()
	res, err := e.Tune(ctx, "ds", "emb", TuneRequest{TargetRecall: 0.95, Save: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reached || res.Recall < 0.95 || !res.Saved || res.Ef < 10 {
		t.Fatalf("tune = %+v", res)
	}
	if _, err := e.Tune(ctx, "ds", "emb", TuneRequest{TargetRecall: 1.5}); err == nil {
		t.Fatal("target 1.5 accepted")
	}
	e.Close()
	e = openEngine(t, dir)
	defer e.Close()
	d, _ := e.Dataset(ctx, "ds")
	if d.Spaces[0].Index.EfSearch != res.Ef {
		t.Fatalf("ef_search after reopen = %d, want %d", d.Spaces[0].Index.EfSearch, res.Ef)
	}
	rep, err := e.Bench(ctx, "ds", "emb", BenchRequest{Ef: []int{16, 64}, Queries: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) == 0 {
		t.Fatal("bench returned no rows")
	}
	mustCheck(t, e)
}
