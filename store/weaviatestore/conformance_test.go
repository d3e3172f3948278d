package weaviatestore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/reef-ml/reef/conformance"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/weaviate"
)

// clusterBase is this package's port range: nodes use base … base+29,
// apart from the weaviate package's tests.
const clusterBase = 24080

// startCluster starts n loopback nodes with scripts/weaviate-cluster.sh and
// stops them when the test ends; it skips when the server is not built.
func startCluster(t *testing.T, n int) weaviate.Options {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Weaviate cluster; skipped with -short")
	}
	bin, _ := filepath.Abs("../../third_party/weaviate/weaviate-server")
	if v := os.Getenv("WEAVIATE_BIN"); v != "" {
		bin = v
	}
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		t.Skip("weaviate-server not built: run `make weaviate` (or set WEAVIATE_BIN)")
	}
	for p := clusterBase; p < clusterBase+10*n; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is taken: %v", p, err)
		}
		l.Close()
	}
	dir := t.TempDir()
	env := append(os.Environ(), "WEAVIATE_BIN="+bin, "WEAVIATE_DIR="+dir, "WEAVIATE_BASE_PORT="+strconv.Itoa(clusterBase))
	script := func(timeout time.Duration, args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", append([]string{"../../scripts/weaviate-cluster.sh"}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("weaviate-cluster.sh %v: %w: %s", args, err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := script(60*time.Second, "stop"); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	if err := script(150*time.Second, "start", strconv.Itoa(n)); err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	o := weaviate.DefaultOptions()
	for i := range n {
		port := clusterBase + 10*i
		node := weaviate.Node{HTTP: fmt.Sprintf("http://127.0.0.1:%d", port), GRPC: fmt.Sprintf("127.0.0.1:%d", port+1)}
		if i == 0 {
			o.HTTP, o.GRPC = node.HTTP, node.GRPC
		} else {
			o.More = append(o.More, node)
		}
	}
	return o
}

func TestConformanceOnCluster(t *testing.T) {
	wo := startCluster(t, 3)
	// The suite compares answers with brute force right after each write.
	// At QUORUM one replica of three may still lack a write when it is
	// acknowledged, and a search reads one replica per shard (measured:
	// 4 of 10 hits missing, 1 of 2 points unseen), so searches are only
	// eventually consistent there; at ALL every replica has it.
	wo.WriteConsistency = "ALL"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := weaviate.Open(ctx, wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := Open(ctx, c, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("two_nodes", func(t *testing.T) { twoNodes(t, c) })
	conformance.Run(t, func(t *testing.T) engine.Options {
		o := engine.DefaultOptions()
		o.DataDir, o.NoSync, o.SnapshotInterval, o.Store = t.TempDir(), true, 0, st
		return o
	}, conformance.Gap{Scenario: "outliers", Reason: "understand reads the dataset record through DB() (understand/knngraph.go), which holds no points under this store; it needs engine.DatasetState"})
}

// Two reef nodes on one cluster see each other's datasets and writes, in
// the same test so that the cluster starts once.
func twoNodes(t *testing.T, c *weaviate.Client) {
	ctx := context.Background()
	open := func() *engine.Engine {
		st, err := Open(ctx, c, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		o := engine.DefaultOptions()
		o.DataDir, o.NoSync, o.SnapshotInterval, o.Store = t.TempDir(), true, 0, st
		e, err := engine.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	a, b := open(), open() // b loads its catalog before the dataset exists
	if _, err := a.CreateDataset(ctx, "two_nodes"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateSpace(ctx, "two_nodes", engine.SpaceSpec{Name: "emb", Dim: 3, Metric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Upsert(ctx, "two_nodes", []engine.PointInput{{ID: "a", Vectors: map[string][]float32{"emb": {1, 0, 0}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upsert(ctx, "two_nodes", []engine.PointInput{{ID: "b", Vectors: map[string][]float32{"emb": {0.9, 0.1, 0}}}}); err != nil {
		t.Fatalf("node b writing to node a's dataset: %v", err)
	}
	for _, e := range []*engine.Engine{a, b} {
		res, err := e.Search(ctx, "two_nodes", engine.SearchRequest{Space: "emb", Vector: []float32{1, 0, 0}, K: 5})
		if err != nil || len(res.Hits) != 2 || res.Hits[0].ID != "a" || res.Hits[1].ID != "b" {
			t.Fatalf("search: %+v %v", res.Hits, err)
		}
	}
}
