package extract

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Test-only shared state: ORT's environment is process-global, so all tests
// share one Runtime, closed in TestMain.
var (
	testRTOnce sync.Once
	testRT     *Runtime
	testRTErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testRT != nil {
		testRT.Close()
	}
	os.Exit(code)
}

// repoRoot is the module root (the parent of this package directory).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// sharedDir returns ../shared beside the repository, skipping when absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), "..", "shared")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared test data not present at %s: %v", d, err)
	}
	return d
}

// mobilenetPath returns the shared MobileNetV2 model or skips.
func mobilenetPath(t testing.TB) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), "models", "mobilenet_v2_1.0_224_imagenet.onnx")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared mobilenet model absent: %v", err)
	}
	return p
}

// testRuntime opens the shared Runtime or skips when ORT is unavailable.
func testRuntime(t testing.TB) *Runtime {
	t.Helper()
	testRTOnce.Do(func() {
		opts := DefaultRuntimeOptions()
		if os.Getenv(EnvLibraryPath) == "" {
			opts.LibraryPath = filepath.Join(repoRoot(t), filepath.FromSlash(ortLibRelPath))
			if _, err := os.Stat(opts.LibraryPath); err != nil {
				opts.LibraryPath = ""
			}
		}
		testRT, testRTErr = OpenRuntime(opts)
	})
	if testRTErr != nil {
		if errors.Is(testRTErr, ErrRuntimeUnavailable) {
			t.Skipf("ONNX Runtime not available (run `make setup`): %v", testRTErr)
		}
		t.Fatal(testRTErr)
	}
	return testRT
}
