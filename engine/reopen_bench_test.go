package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkReopen measures opening a data directory whose index snapshot is
// current: no rebuild, only reading bbolt and the snapshot. The data set is
// REEF_REOPEN_N synthetic 128-d vectors (default 100,000; the README's
// figure uses 1,000,000). Building it is not timed.
//
//	REEF_REOPEN_N=1000000 go test -run '^$' -bench Reopen -benchtime 3x -timeout 2h ./engine/
func BenchmarkReopen(b *testing.B) {
	n := 100_000
	if s := os.Getenv("REEF_REOPEN_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const dim = 128
	dir := b.TempDir()
	ctx := context.Background()
	opts := testOptions(dir)
	opts.NoSync = false
	e, err := Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	e.CreateDataset(ctx, "synth")
	if _, err := e.CreateSpace(ctx, "synth", SpaceSpec{Name: "v", Dim: dim, Metric: "l2"}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	start := time.Now()
	const chunk = 50_000
	for lo := 0; lo < n; lo += chunk {
		m := min(chunk, n-lo)
		batch := ImportBatch{Space: "v", Dim: dim, IDs: make([]string, m), Data: make([]float32, m*dim)}
		for i := range m {
			batch.IDs[i] = strconv.Itoa(lo + i)
		}
		for i := range batch.Data {
			batch.Data[i] = float32(r.NormFloat64())
		}
		if _, err := e.Import(ctx, "synth", batch, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d×%d in %v", n, dim, time.Since(start).Round(time.Second))
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	q := make([]float32, dim)
	var logs syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var opened time.Duration
	opens := 0
	for b.Loop() {
		start := time.Now()
		e, err := Open(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		opened += time.Since(start)
		opens++
		// The figure is only a reopen figure if nothing was rebuilt.
		if l := logs.String(); strings.Contains(l, "rebuil") || !strings.Contains(l, "index loaded from snapshot") {
			b.Fatalf("the reopen rebuilt an index:\n%s", l)
		}
		res, err := e.Search(ctx, "synth", SearchRequest{Space: "v", Vector: q, K: 10})
		if err != nil || len(res.Hits) != 10 {
			b.Fatal(fmt.Sprint(res, err))
		}
		e.opts.SnapshotInterval = 0
		e.Close()
	}
	b.ReportMetric(opened.Seconds()/float64(opens), "open-s/op") // mean over the runs
}
