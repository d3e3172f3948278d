package audio

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/reef-ml/reef/extract"
	ort "github.com/yalue/onnxruntime_go"
)

// ModelEmbedder runs a user's audio model, described by an extract.Manifest
// with Modality "audio": a float32 waveform [1, samples] (or [samples]) at
// the manifest's SampleRate goes in; the manifest's Layer (a graph output)
// comes out with the feature on its last axis and frames on the others.
// Frames of every chunk of the clip are pooled into one vector: their mean
// ("mean") or mean ‖ std ("meanstd"), L2-normalised. This fits waveform
// encoders exported to ONNX (wav2vec2/HuBERT-style, CLAP audio towers,
// log-mel front ends). Methods are safe for concurrent use.
type ModelEmbedder struct {
	m        extract.Manifest
	sess     *ort.DynamicAdvancedSession
	rank     int // input rank: 1 or 2
	feat     int // last-axis size of the output
	minLen   int // shorter clips are zero-padded to this many samples
	chunkLen int

	mu     sync.RWMutex // read-held by calls in flight; Close takes it
	closed bool
}

// NewModelEmbedder loads an audio model and probes it once with one second
// of silence to learn its feature size.
func NewModelEmbedder(ctx context.Context, rt *extract.Runtime, m *extract.Manifest, dir string, threads int) (*ModelEmbedder, error) {
	if rt == nil || rt.Version() == "" {
		return nil, fmt.Errorf("%w: runtime is nil or closed", extract.ErrRuntimeUnavailable)
	}
	mm := m.WithDefaults()
	if !mm.IsAudio() {
		return nil, fmt.Errorf("%w: model %q is not an audio model", extract.ErrBadManifest, mm.Name)
	}
	if err := mm.Validate(); err != nil {
		return nil, err
	}
	path, err := extract.ResolveModelPath(dir, mm.File)
	if err != nil {
		return nil, err
	}
	data, err := extract.LoadModelFile(path)
	if err != nil {
		return nil, err
	}
	if err := extract.CheckModelSafety(data, filepath.Dir(path)); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", extract.ErrBadModel, err)
	}
	e := &ModelEmbedder{m: mm, minLen: mm.SampleRate, chunkLen: int(mm.ChunkSeconds * float64(mm.SampleRate))}
	if err := e.checkIO(ins, outs); err != nil {
		return nil, fmt.Errorf("%w: %v", extract.ErrBadModel, err)
	}
	if e.sess, err = newSession(data, mm.Input, mm.Layer, threads); err != nil {
		return nil, err
	}
	out, shape, err := e.runChunk(ctx, make([]float32, e.minLen))
	if err != nil {
		e.sess.Destroy()
		return nil, fmt.Errorf("probing with 1 s of silence: %w", err)
	}
	e.feat = int(shape[len(shape)-1])
	if e.feat < 1 || e.feat > 1<<16 || len(out)%e.feat != 0 {
		e.sess.Destroy()
		return nil, fmt.Errorf("%w: output %q has shape %v: want [..., features] with 1..65536 features", extract.ErrBadModel, mm.Layer, shape)
	}
	return e, nil
}

func (e *ModelEmbedder) checkIO(ins, outs []ort.InputOutputInfo) error {
	var names []string
	found := false
	for _, in := range ins {
		names = append(names, in.Name)
		if in.Name != e.m.Input {
			continue
		}
		found = true
		if in.DataType != ort.TensorElementDataTypeFloat {
			return fmt.Errorf("input %q is not float32", in.Name)
		}
		if e.rank = len(in.Dimensions); e.rank != 1 && e.rank != 2 {
			return fmt.Errorf("input %q has shape %v, want [samples] or [1, samples]", in.Name, in.Dimensions)
		}
	}
	if !found {
		return fmt.Errorf("no input %q (inputs: %s)", e.m.Input, strings.Join(names, ", "))
	}
	if len(ins) != 1 {
		return fmt.Errorf("want one input (the waveform), the model has %d: %s", len(ins), strings.Join(names, ", "))
	}
	names = names[:0]
	for _, out := range outs {
		names = append(names, out.Name)
		if out.Name == e.m.Layer {
			if out.DataType != ort.TensorElementDataTypeFloat {
				return fmt.Errorf("output %q is not float32", out.Name)
			}
			return nil
		}
	}
	return fmt.Errorf("layer %q is not a graph output (outputs: %s)", e.m.Layer, strings.Join(names, ", "))
}

// Dim is the clip embedding size.
func (e *ModelEmbedder) Dim() int {
	if e.m.Pool == "meanstd" {
		return 2 * e.feat
	}
	return e.feat
}

// SampleRate the model expects.
func (e *ModelEmbedder) SampleRate() int { return e.m.SampleRate }

// Close releases the session, waiting for calls in flight. Safe to call
// more than once.
func (e *ModelEmbedder) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		e.sess.Destroy()
	}
}

// EmbedClip embeds mono samples in [-1, 1] at SampleRate. Clips shorter
// than one second are zero-padded; longer than ChunkSeconds are cut into
// near-equal chunks whose frames are pooled together.
func (e *ModelEmbedder) EmbedClip(ctx context.Context, samples []float32) ([]float32, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, extract.ErrClosed
	}
	x := make([]float32, max(len(samples), e.minLen))
	for i, v := range samples {
		if v != v { // NaN
			v = 0
		}
		x[i] = min(max(v, -1), 1) * e.m.InputScale
	}
	chunks := (len(x) + e.chunkLen - 1) / e.chunkLen
	size := (len(x) + chunks - 1) / chunks
	sum := make([]float64, e.feat)
	sq := make([]float64, e.feat)
	frames := 0
	for lo := 0; lo < len(x); lo += size {
		seg := x[lo:min(lo+size, len(x))]
		if len(seg) < e.minLen { // a short tail: take the last full second
			seg = x[len(x)-e.minLen:]
		}
		out, shape, err := e.runChunk(ctx, seg)
		if err != nil {
			return nil, err
		}
		if int(shape[len(shape)-1]) != e.feat || len(out)%e.feat != 0 {
			return nil, fmt.Errorf("%w: output shape %v changed (features %d)", extract.ErrBadModel, shape, e.feat)
		}
		for f := 0; f < len(out); f += e.feat {
			for j, v := range out[f : f+e.feat] {
				sum[j] += float64(v)
				sq[j] += float64(v) * float64(v)
			}
			frames++
		}
	}
	if frames == 0 {
		return nil, fmt.Errorf("%w: the model returned no frames", extract.ErrBadModel)
	}
	vec := make([]float32, 0, e.Dim())
	for j := range sum {
		vec = append(vec, float32(sum[j]/float64(frames)))
	}
	if e.m.Pool == "meanstd" {
		for j := range sum {
			m := sum[j] / float64(frames)
			vec = append(vec, float32(math.Sqrt(max(0, sq[j]/float64(frames)-m*m))))
		}
	}
	var n float64
	for _, v := range vec {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: the model produced non-finite values", extract.ErrBadModel)
		}
		n += float64(v) * float64(v)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the clip's embedding is all zeros", ErrBadAudio)
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range vec {
		vec[i] *= inv
	}
	return vec, nil
}

func (e *ModelEmbedder) runChunk(ctx context.Context, seg []float32) ([]float32, []int64, error) {
	shape := []int64{int64(len(seg))}
	if e.rank == 2 {
		shape = []int64{1, int64(len(seg))}
	}
	out, oshape, err := run(ctx, e.sess, seg, shape)
	if err != nil {
		return nil, nil, err
	}
	if len(oshape) == 0 {
		return nil, nil, fmt.Errorf("%w: output %q is a scalar", extract.ErrBadModel, e.m.Layer)
	}
	return out, oshape, nil
}
