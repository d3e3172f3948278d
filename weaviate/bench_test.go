package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

// TestFashionMNISTWeaviate measures Weaviate queried directly on a 3-node
// loopback cluster (3 shards, replication factor 3): ingest of the 60,000
// training images (784-d, l2) at QUORUM, k=10 search at 1 and 8 clients,
// recall@10 against exact ground truth, disk and RSS per node. It takes
// minutes, so it runs only with REEF_WEAVIATE_BENCH=1:
//
//	REEF_WEAVIATE_BENCH=1 go test ./weaviate -run FashionMNISTWeaviate -v -timeout 30m
//
// REEF_WEAVIATE_BENCH_QUERIES sets the number of test-set queries (1000).
// The ground truth is cached in $TMPDIR/reef-bench (bench/ may share it).
func TestFashionMNISTWeaviate(t *testing.T) {
	if os.Getenv("REEF_WEAVIATE_BENCH") == "" {
		t.Skip("set REEF_WEAVIATE_BENCH=1 to measure Weaviate on Fashion-MNIST (takes minutes)")
	}
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("Fashion-MNIST not installed in " + fashionmnist.DefaultDir)
	}
	nq := 1000
	if v, err := strconv.Atoi(os.Getenv("REEF_WEAVIATE_BENCH_QUERIES")); err == nil && v > 0 && v <= 10000 {
		nq = v
	}
	train, err := fashionmnist.Load(fashionmnist.DefaultDir, "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := fashionmnist.Load(fashionmnist.DefaultDir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	queries := test.Images[:nq]
	truth := cachedTruth(t, train.Images, queries, 10)

	cl := startCluster(t, 3, 21300)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := cl.client(1, "QUORUM", "ONE", 120*time.Second)
	const name = "Reef_fashion"
	spec := CollectionSpec{
		Name:    name,
		Vectors: []VectorSpec{{Name: "pixels", Dim: 784, Metric: "l2", M: 16, EfConstruction: 200, Ef: 64}},
		Shards:  3, Replicas: 3,
	}
	if err := c.EnsureCollection(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rep := benchReport{Points: len(train.Images), Queries: nq, Nodes: 3, Shards: 3, Replicas: 3, Cores: runtime.NumCPU()}
	rep.IngestPerSec, rep.Retried = ingest(ctx, t, c, name, train, 2, 100)
	if n, err := c.Count(ctx, name, nil); err != nil || n != int64(len(train.Images)) {
		t.Fatalf("count = %d, %v", n, err)
	}
	start := time.Now()
	seen := 0
	if err := c.Scan(ctx, name, ScanOptions{Batch: 1000}, func(Object) error { seen++; return nil }); err != nil || seen != len(train.Images) {
		t.Fatalf("scan: %d objects, %v", seen, err)
	}
	rep.ScanPerSec = float64(seen) / time.Since(start).Seconds()

	c2 := cl.client(1, "QUORUM", "QUORUM", 120*time.Second)
	for _, run := range []struct {
		c       *Client
		clients int
		ef      int
		read    string
	}{{c, 1, 64, "ONE"}, {c, 8, 64, "ONE"}, {c2, 8, 64, "QUORUM"}, {c, 1, 128, "ONE"}, {c, 8, 128, "ONE"}} {
		if err := c.SetEf(ctx, name, "pixels", run.ef); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // the schema change reaches every node through Raft
		r := searchRun(ctx, t, run.c, name, queries, truth, run.clients)
		r.Ef, r.Read = run.ef, run.read
		rep.Search = append(rep.Search, r)
	}
	for i := 1; i <= 3; i++ {
		rep.DiskBytes = append(rep.DiskBytes, dirBytes(filepath.Join(cl.dir, fmt.Sprintf("node%d", i))))
		rep.RSSBytes = append(rep.RSSBytes, rssBytes(cl.pid(i)))
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("report:\n%s", out)
	if dir := os.Getenv("REEF_WEAVIATE_BENCH_OUT"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "weaviate-fashion.json"), out, 0o644); err != nil {
			t.Error(err)
		}
	}
}

type searchResult struct {
	Clients  int     `json:"clients"`
	Ef       int     `json:"ef"`
	Read     string  `json:"read_consistency"`
	QPS      float64 `json:"qps"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	Recall10 float64 `json:"recall_at_10"`
}

type benchReport struct {
	Points       int            `json:"points"`
	Queries      int            `json:"queries"`
	Nodes        int            `json:"nodes"`
	Shards       int            `json:"shards"`
	Replicas     int            `json:"replicas"`
	Cores        int            `json:"cores"`
	IngestPerSec float64        `json:"ingest_points_per_s"`
	Retried      int64          `json:"ingest_objects_retried"`
	ScanPerSec   float64        `json:"scan_objects_per_s"`
	Search       []searchResult `json:"search"`
	DiskBytes    []int64        `json:"disk_bytes_per_node"`
	RSSBytes     []int64        `json:"rss_bytes_per_node"`
}

// ingest upserts every training image with writers concurrent batches,
// retrying objects whose outcome was unknown (up to 5 attempts), as a
// caller must. It returns points/s and the number of retried objects.
func ingest(ctx context.Context, t *testing.T, c *Client, name string, train *fashionmnist.Set, writers, batch int) (float64, int64) {
	start := time.Now()
	var retried atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for lo := w * batch; lo < len(train.Images); lo += writers * batch {
				objs := make([]Object, 0, batch)
				for i := lo; i < min(lo+batch, len(train.Images)); i++ {
					objs = append(objs, Object{ID: strconv.Itoa(i), Properties: map[string]any{"label": float64(train.Labels[i])},
						Vectors: map[string][]float32{"pixels": train.Images[i]}})
				}
				for attempt := 1; len(objs) > 0; attempt++ {
					res, err := c.Upsert(ctx, name, objs)
					var again []Object
					for i, r := range res {
						if errors.Is(r.Err, ErrUnknownOutcome) {
							again = append(again, objs[i])
						}
					}
					if err != nil && (len(again) == 0 || attempt == 5) {
						t.Errorf("batch at %d, attempt %d: %v", lo, attempt, err)
						return
					}
					retried.Add(int64(len(again)))
					objs = again
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return float64(len(train.Images)) / time.Since(start).Seconds(), retried.Load()
}

// searchRun runs every query once, split over clients goroutines.
func searchRun(ctx context.Context, t *testing.T, c *Client, name string, queries [][]float32, truth [][]uint64, clients int) searchResult {
	lat := make([]time.Duration, len(queries))
	found := make([]int, len(queries))
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			for i := w; i < len(queries); i += clients {
				t0 := time.Now()
				hits, err := c.Search(ctx, name, "pixels", queries[i], 10, nil)
				lat[i] = time.Since(t0)
				if err != nil {
					t.Errorf("query %d: %v", i, err)
					return
				}
				want := map[string]bool{}
				for _, id := range truth[i] {
					want[strconv.FormatUint(id, 10)] = true
				}
				for _, h := range hits {
					if want[h.ID] {
						found[i]++
					}
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if t.Failed() {
		t.FailNow()
	}
	total := 0
	for _, f := range found {
		total += f
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return searchResult{
		Clients: clients, QPS: float64(len(queries)) / wall.Seconds(),
		P50Ms: ms(lat[len(lat)/2]), P99Ms: ms(lat[len(lat)*99/100]),
		Recall10: float64(total) / float64(10*len(queries)),
	}
}

// cachedTruth returns the exact top k of each query, computed once and
// kept under $TMPDIR/reef-bench.
func cachedTruth(t *testing.T, base, queries [][]float32, k int) [][]uint64 {
	dir := filepath.Join(os.TempDir(), "reef-bench")
	path := filepath.Join(dir, fmt.Sprintf("fashion-l2-truth-%d-%d-k%d.json", len(base), len(queries), k))
	var truth [][]uint64
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &truth) == nil && len(truth) == len(queries) {
		return truth
	}
	ex, err := index.NewExact(len(base[0]), index.L2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range base {
		ex.Add(uint64(i), v)
	}
	truth = make([][]uint64, len(queries))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(queries); i += workers {
				hits, _ := ex.Search(context.Background(), queries[i], k, index.SearchOptions{})
				for _, h := range hits {
					truth[i] = append(truth[i], h.ID)
				}
			}
		})
	}
	wg.Wait()
	if b, err := json.Marshal(truth); err == nil && os.MkdirAll(dir, 0o755) == nil {
		_ = os.WriteFile(path, b, 0o644)
	}
	return truth
}

func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func rssBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
