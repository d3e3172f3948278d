package weaviate

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testCluster is a local Weaviate cluster started by
// scripts/weaviate-cluster.sh for one test, on its own ports and data dir.
type testCluster struct {
	t    *testing.T
	dir  string
	base int
	env  []string
}

// weaviateBin finds the server binary, or "" when it is not built.
func weaviateBin() string {
	for _, p := range []string{os.Getenv("WEAVIATE_BIN"), "../third_party/weaviate/weaviate-server", "/tmp/weaviate-bin/weaviate-server", "/tmp/weaviate-bin"} {
		if st, err := os.Stat(p); p != "" && err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	return ""
}

// startCluster starts n nodes with ports from base and stops them when
// the test ends. It skips when the server is not built or -short is set.
// Bases sit below the kernel's ephemeral range (32768+), where outgoing
// connections of an earlier cluster could still hold a port.
func startCluster(t *testing.T, n, base int) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Weaviate cluster; skipped with -short")
	}
	bin := weaviateBin()
	if bin == "" {
		t.Skip("weaviate-server not built: run `make weaviate` (or set WEAVIATE_BIN)")
	}
	for p := base; p < base+10*n; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is taken; the test needs %d..%d free: %v", p, base, base+10*n-1, err)
		}
		l.Close()
	}
	c := &testCluster{t: t, dir: t.TempDir(), base: base}
	c.env = append(os.Environ(), "WEAVIATE_BIN="+bin, "WEAVIATE_DIR="+c.dir, "WEAVIATE_BASE_PORT="+strconv.Itoa(base))
	// Registered after TempDir, so the nodes stop before their dir goes.
	t.Cleanup(func() {
		if err := c.script(60*time.Second, "stop"); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	if err := c.script(150*time.Second, "start", strconv.Itoa(n)); err != nil {
		t.Fatalf("starting the cluster: %v\n%s", err, c.logTail(1))
	}
	return c
}

func (c *testCluster) script(timeout time.Duration, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{"../scripts/weaviate-cluster.sh"}, args...)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("weaviate-cluster.sh %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *testCluster) kill(i int) {
	c.t.Helper()
	if err := c.script(20*time.Second, "kill", strconv.Itoa(i)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *testCluster) revive(i int) error {
	return c.script(120*time.Second, "revive", strconv.Itoa(i))
}

// options address node i (1-based) on loopback.
func (c *testCluster) options(i int, write, read string) Options {
	o := DefaultOptions()
	port := c.base + 10*(i-1)
	o.HTTP = fmt.Sprintf("http://127.0.0.1:%d", port)
	o.GRPC = fmt.Sprintf("127.0.0.1:%d", port+1)
	o.WriteConsistency, o.ReadConsistency = write, read
	return o
}

// client talks to node i only.
func (c *testCluster) client(i int, write, read string, timeout time.Duration) *Client {
	return c.open(c.options(i, write, read), timeout)
}

// clientAll talks to every one of n nodes, node i first.
func (c *testCluster) clientAll(i, n int, write, read string, timeout time.Duration) *Client {
	o := c.options(i, write, read)
	for j := 1; j <= n; j++ {
		if j != i {
			m := c.options(j, write, read)
			o.More = append(o.More, Node{HTTP: m.HTTP, GRPC: m.GRPC})
		}
	}
	return c.open(o, timeout)
}

func (c *testCluster) open(o Options, timeout time.Duration) *Client {
	c.t.Helper()
	o.Timeout = timeout
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := Open(ctx, o)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// pid is the process id of node i.
func (c *testCluster) pid(i int) int {
	b, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("node%d.pid", i)))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

func (c *testCluster) logTail(i int) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("node%d.log", i)))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}
