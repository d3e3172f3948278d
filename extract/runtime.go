package extract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// EnvLibraryPath names the environment variable that overrides the ONNX
// Runtime shared library location.
const EnvLibraryPath = "REEF_ORT_LIB"

// ortLibRelPath is where scripts/fetch-onnxruntime.sh installs the library.
const ortLibRelPath = "third_party/onnxruntime/libonnxruntime.so.1"

// RuntimeOptions configures OpenRuntime.
type RuntimeOptions struct {
	// LibraryPath is an explicit path to libonnxruntime; empty means search.
	LibraryPath string
	// IntraOpThreads is the per-session intra-op thread count; 0 lets
	// Embedder choose (cores / sessions).
	IntraOpThreads int
}

// DefaultRuntimeOptions returns options that search the standard locations.
func DefaultRuntimeOptions() RuntimeOptions { return RuntimeOptions{} }

// Runtime is a handle on the process-global ONNX Runtime environment.
//
// ONNX Runtime keeps one environment per process: only one Runtime can be open
// at a time; OpenRuntime fails with ErrRuntimeUnavailable while another is
// open. Close tears the environment down and may be called more than once.
// All methods are safe for concurrent use.
type Runtime struct {
	opts    RuntimeOptions
	libPath string

	mu        sync.RWMutex // held (read) while sessions are created/used
	initOnce  sync.Once
	initErr   error
	closeOnce sync.Once
	closed    bool
	owned     bool // this Runtime initialised the ORT environment
}

// OpenRuntime locates the ONNX Runtime library and initialises the
// environment. A missing library yields an error wrapping
// ErrRuntimeUnavailable that lists every location tried.
func OpenRuntime(opts RuntimeOptions) (*Runtime, error) {
	if opts.IntraOpThreads < 0 {
		return nil, fmt.Errorf("%w: IntraOpThreads must be >= 0", ErrBadInput)
	}
	lib, err := findORTLibrary(opts.LibraryPath)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{opts: opts, libPath: lib}
	if err := rt.init(); err != nil {
		return nil, err
	}
	return rt, nil
}

// init initialises the ORT environment exactly once for this Runtime.
func (rt *Runtime) init() error {
	rt.initOnce.Do(func() {
		if ort.IsInitialized() {
			rt.initErr = fmt.Errorf("%w: the ONNX Runtime environment is process-global and already initialised (close the other Runtime first)", ErrRuntimeUnavailable)
			return
		}
		ort.SetSharedLibraryPath(rt.libPath)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			rt.initErr = fmt.Errorf("%w: initialising %s: %v", ErrRuntimeUnavailable, rt.libPath, err)
			return
		}
		rt.owned = true
	})
	return rt.initErr
}

// LibraryPath returns the path of the loaded ONNX Runtime library.
func (rt *Runtime) LibraryPath() string { return rt.libPath }

// Version returns the ONNX Runtime version string.
func (rt *Runtime) Version() string {
	if err := rt.acquire(); err != nil {
		return ""
	}
	defer rt.release()
	return ort.GetVersion()
}

// acquire takes a read hold on an open Runtime; callers must release.
func (rt *Runtime) acquire() error {
	if rt == nil {
		return fmt.Errorf("%w: nil Runtime", ErrRuntimeUnavailable)
	}
	rt.mu.RLock()
	if rt.closed {
		rt.mu.RUnlock()
		return fmt.Errorf("%w: Runtime is closed", ErrRuntimeUnavailable)
	}
	return nil
}

func (rt *Runtime) release() { rt.mu.RUnlock() }

// Close destroys the ORT environment. It waits for in-flight calls that hold
// the Runtime; sessions created from it must be closed first. Safe to call
// twice; later calls return nil.
func (rt *Runtime) Close() error {
	if rt == nil {
		return nil
	}
	var err error
	rt.closeOnce.Do(func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		rt.closed = true
		if rt.owned && ort.IsInitialized() {
			err = ort.DestroyEnvironment()
		}
	})
	return err
}

// newSessionOptions builds ORT session options with the given intra-op
// thread count (0 = ORT default).
func (rt *Runtime) newSessionOptions(threads int) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrRuntimeUnavailable, err)
	}
	if threads > 0 {
		if err := so.SetIntraOpNumThreads(threads); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("%w: %v", ErrRuntimeUnavailable, err)
		}
		_ = so.SetInterOpNumThreads(1)
	}
	return so, nil
}

// ortLibraryCandidates lists where OpenRuntime looks, in order.
func ortLibraryCandidates(explicit string) []string {
	var c []string
	if explicit != "" {
		c = append(c, explicit)
	}
	if env := os.Getenv(EnvLibraryPath); env != "" {
		c = append(c, env)
	}
	c = append(c, filepath.FromSlash("./"+ortLibRelPath))
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		c = append(c,
			filepath.Join(dir, "..", filepath.FromSlash(ortLibRelPath)),
			filepath.Join(dir, filepath.FromSlash(ortLibRelPath)))
	}
	return c
}

func findORTLibrary(explicit string) (string, error) {
	cands := ortLibraryCandidates(explicit)
	for _, p := range cands {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			if abs, err := filepath.Abs(p); err == nil {
				return abs, nil
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: ONNX Runtime library not found (looked in: %s); run `make setup` or set %s (%s on %s)",
		ErrRuntimeUnavailable, strings.Join(cands, ", "), EnvLibraryPath, "libonnxruntime", runtime.GOOS)
}

// IsRuntimeUnavailable reports whether err means ONNX Runtime is missing.
func IsRuntimeUnavailable(err error) bool { return errors.Is(err, ErrRuntimeUnavailable) }
