package audio

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/reef-ml/reef/extract"
	ort "github.com/yalue/onnxruntime_go"
)

// openTestRuntime opens ORT for a test, skipping cleanly when it is absent.
func openTestRuntime(tb testing.TB) *extract.Runtime {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(testModelDir, MelModelFile)); err != nil {
		tb.Skipf("audio models missing (%v); run scripts/fetch-audio-models.sh", err)
	}
	rt, err := extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: os.Getenv(extract.EnvLibraryPath)})
	if errors.Is(err, extract.ErrRuntimeUnavailable) {
		rt, err = extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: "../../third_party/onnxruntime/libonnxruntime.so.1"})
	}
	if err != nil {
		tb.Skipf("ONNX Runtime unavailable (%v); run scripts/fetch-onnxruntime.sh", err)
	}
	tb.Cleanup(func() { rt.Close() })
	return rt
}

// TestModelEmbedderLogMel registers openWakeWord's melspectrogram model as
// if it were a user's audio model: waveform [1, samples] in, [1, 1, frames,
// 32] out, so frames are pooled into a 32-d (mean) or 64-d (meanstd) clip
// vector.
func TestModelEmbedderLogMel(t *testing.T) {
	rt := openTestRuntime(t)
	ctx := context.Background()
	ins, outs, err := ort.GetInputOutputInfo(filepath.Join(testModelDir, MelModelFile))
	if err != nil {
		t.Fatal(err)
	}
	base := extract.Manifest{Name: "logmel", Modality: extract.ModalityAudio, File: MelModelFile,
		Input: ins[0].Name, Layer: outs[0].Name, InputScale: 32767}
	for _, tc := range []struct {
		pool string
		dim  int
	}{{"mean", 32}, {"meanstd", 64}} {
		m := base
		m.Pool = tc.pool
		m.ChunkSeconds = 2 // so a 5 s clip runs in three chunks
		e, err := NewModelEmbedder(ctx, rt, &m, testModelDir, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if e.Dim() != tc.dim || e.SampleRate() != 16000 {
			t.Fatalf("%s: dim %d rate %d", tc.pool, e.Dim(), e.SampleRate())
		}
		low, err := e.EmbedClip(ctx, toneF32(300, 5))
		if err != nil {
			t.Fatal(err)
		}
		low2, _ := e.EmbedClip(ctx, toneF32(300, 0.3)) // padded to 1 s
		high, _ := e.EmbedClip(ctx, toneF32(3000, 5))
		if len(low) != tc.dim {
			t.Fatalf("len %d", len(low))
		}
		var n float64
		for _, v := range low {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Fatalf("not unit length: %v", n)
		}
		same, diff := cosDist(low, low2), cosDist(low, high)
		t.Logf("%s: 300 Hz 5 s vs 0.3 s %.4f, 300 Hz vs 3 kHz %.4f", tc.pool, same, diff)
		if same >= diff {
			t.Fatalf("%s: two 300 Hz tones (%.4f) not closer than 300 Hz and 3 kHz (%.4f)", tc.pool, same, diff)
		}
		e.Close()
		e.Close()
		if _, err := e.EmbedClip(ctx, low); !errors.Is(err, extract.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	}

	bad := []struct {
		name string
		mod  func(*extract.Manifest)
	}{
		{"unknown input", func(m *extract.Manifest) { m.Input = "nope" }},
		{"layer not an output", func(m *extract.Manifest) { m.Layer = "nope" }},
		{"image manifest", func(m *extract.Manifest) { m.Modality = extract.ModalityImage }},
		{"missing file", func(m *extract.Manifest) { m.File = "absent.onnx" }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			tc.mod(&m)
			if e, err := NewModelEmbedder(ctx, rt, &m, testModelDir, 1); err == nil {
				e.Close()
				t.Fatal("accepted")
			} else {
				t.Log(err)
			}
		})
	}
}
