package tfjs

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// repoRoot is the module root (two levels above this package).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	ortOnce sync.Once
	ortErr  error
)

// ortLibrary returns the ONNX Runtime shared library path or "".
func ortLibrary() string {
	for _, p := range []string{os.Getenv("REEF_ORT_LIB"), filepath.Join(repoRoot(), "third_party", "onnxruntime", "libonnxruntime.so.1")} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			return p
		}
	}
	return ""
}

// needORT initialises ONNX Runtime once or skips the test.
func needORT(t testing.TB) {
	t.Helper()
	lib := ortLibrary()
	if lib == "" {
		t.Skip("ONNX Runtime library not found (third_party/onnxruntime/libonnxruntime.so.1): run `make setup`")
	}
	ortOnce.Do(func() {
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment()
	})
	if ortErr != nil {
		t.Skipf("ONNX Runtime could not be initialised from %s: %v (run `make setup`)", lib, ortErr)
	}
}

// builtinModel returns the converted built-in model path or skips.
func builtinModel(t testing.TB) string {
	t.Helper()
	p := filepath.Join(repoRoot(), "models", "builtin", "reef-centernet-v1.onnx")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("converted model %s absent: run `make setup` (scripts/build-default-model.sh)", p)
	}
	return p
}

// sourceModel returns the TFJS centernet model.json kept by the build script
// or skips.
func sourceModel(t testing.TB) string {
	t.Helper()
	p := os.Getenv("REEF_CENTERNET_JSON")
	if p == "" {
		p = filepath.Join(repoRoot(), "models", "src", "centernet", "centernet.json")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("TFJS source model %s absent: run `make setup` (scripts/build-default-model.sh)", p)
	}
	return p
}

type session struct {
	s       *ort.DynamicAdvancedSession
	outputs []string
}

func newSession(t testing.TB, onnx []byte, input string, outputs []string, threads int) *session {
	t.Helper()
	so, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	if threads > 0 {
		so.SetIntraOpNumThreads(threads)
		so.SetInterOpNumThreads(1)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(onnx, []string{input}, outputs, so)
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	t.Cleanup(func() { s.Destroy() })
	return &session{s: s, outputs: outputs}
}

// run feeds one NHWC float input and returns each output's data and shape.
func (s *session) run(t testing.TB, shape []int64, data []float32) ([][]float32, [][]int64) {
	t.Helper()
	in, err := ort.NewTensor(ort.NewShape(shape...), data)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(s.outputs))
	if err := s.s.Run([]ort.Value{in}, outs); err != nil {
		t.Fatalf("run: %v", err)
	}
	res := make([][]float32, len(outs))
	shapes := make([][]int64, len(outs))
	for i, o := range outs {
		tt, ok := o.(*ort.Tensor[float32])
		if !ok {
			t.Fatalf("output %s is not float32", s.outputs[i])
		}
		res[i] = append([]float32(nil), tt.GetData()...)
		shapes[i] = tt.GetShape()
		o.Destroy()
	}
	return res, shapes
}
