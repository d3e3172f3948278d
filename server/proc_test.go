package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// reefProc is a `reef serve` child process on a loopback port.
type reefProc struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// reefBinary builds cmd/reef once per test run, or uses $REEF_BIN (to
// measure another build, e.g. main's, with the same cases).
func reefBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("REEF_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reef-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "reef")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/reef-ml/reef/cmd/reef").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// startReef runs `reef serve` on a fresh data directory and waits until it
// listens.
func startReef(t *testing.T, args ...string) *reefProc {
	t.Helper()
	args = append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)
	cmd := exec.Command(reefBinary(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &reefProc{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "reef listening on "); ok {
				addr <- a
			}
		}
		io.Copy(io.Discard, stderr)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.base = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("reef serve did not start listening")
	}
	return p
}

func (p *reefProc) do(t *testing.T, method, path string, body []byte) (int, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// procKB reads a field (VmRSS, VmHWM) of /proc/<pid>/status in bytes.
func procKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// peakGrowth runs fn and returns how far the process's peak RSS rose above
// its RSS before fn (clear_refs 5 resets the high-water mark).
func (p *reefProc) peakGrowth(t *testing.T, fn func()) int64 {
	t.Helper()
	pid := p.cmd.Process.Pid
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
	before := procKB(t, pid, "VmRSS")
	fn()
	return procKB(t, pid, "VmHWM") - before
}

// stop sends SIGTERM and returns the exit error and how long it took.
func (p *reefProc) stop(t *testing.T, wait time.Duration) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err, time.Since(start)
	case <-ctx.Done():
		t.Fatalf("reef did not exit within %v of SIGTERM", wait)
		return nil, 0
	}
}
