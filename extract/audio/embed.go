// Package audio turns audio files into fixed-size embeddings for reef.
//
// The pipeline follows openWakeWord's shared feature extractor:
//
//	16 kHz mono float audio (int16 range, ±32767)
//	  → melspectrogram.onnx: 32 log-mel bins per 10 ms frame
//	    (n_fft 512, hop 160, no padding: ⌊n/160⌋−3 frames for n samples)
//	  → x/10 + 2 (the transform openWakeWord applies)
//	  → embedding_model.onnx on windows of 76 frames (760 ms), stride 8
//	    frames (80 ms) → one 96-d vector per window
//	  → clip vector = [mean ‖ std] over windows (192-d), L2-normalised.
//
// Clips shorter than one window are zero-padded to 12640 samples (0.79 s).
// Models are fetched by scripts/fetch-audio-models.sh into models/audio/.
package audio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"

	"github.com/reef-ml/reef/extract"
	ort "github.com/yalue/onnxruntime_go"
)

// Model geometry (verified against the ONNX graphs at load time).
const (
	SampleRate   = 16000
	MelBins      = 32
	WindowFrames = 76
	StrideFrames = 8
	WindowDim    = 96
	ClipDim      = 2 * WindowDim
	hop          = 160
	// melOverhead is the number of hops lost to the STFT window:
	// frames = ⌊n/hop⌋ − melOverhead.
	melOverhead = 3
	// MinSamples is the shortest input that yields one window.
	MinSamples = (WindowFrames + melOverhead) * hop
	// melChunkFrames bounds the frames computed per melspectrogram run.
	melChunkFrames = 3000

	MelModelFile       = "melspectrogram.onnx"
	EmbeddingModelFile = "embedding_model.onnx"
)

// Options configures an Embedder.
type Options struct {
	// IntraOpThreads per ORT session; 0 = ORT default.
	IntraOpThreads int
	// BatchSize is the number of 76-frame windows per embedding-model run;
	// 0 means 64.
	BatchSize int
	// Limits apply to EmbedFile decoding; the zero value means DefaultLimits.
	Limits Limits
	// MaxSeconds bounds EmbedClip input length; 0 means Limits.MaxDuration
	// (or 10 minutes).
	MaxSeconds float64
}

// Embedder computes speech/audio embeddings. Methods are safe for concurrent
// use. Close the Embedder before closing the extract.Runtime it was built on.
type Embedder struct {
	opts       Options
	maxSamples int
	mel        *ort.DynamicAdvancedSession
	emb        *ort.DynamicAdvancedSession

	mu     sync.RWMutex // read-held by calls in flight; Close takes it
	closed bool
}

// NewEmbedder loads melspectrogram.onnx and embedding_model.onnx from
// modelDir. rt must be open (it owns the process-global ORT environment).
func NewEmbedder(rt *extract.Runtime, modelDir string, opts Options) (*Embedder, error) {
	if rt == nil || rt.Version() == "" {
		return nil, fmt.Errorf("%w: runtime is nil or closed", extract.ErrRuntimeUnavailable)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	if opts.IntraOpThreads < 0 {
		return nil, fmt.Errorf("%w: IntraOpThreads must be >= 0", extract.ErrBadInput)
	}
	maxSec := opts.MaxSeconds
	if maxSec <= 0 {
		maxSec = opts.Limits.MaxDuration.Seconds()
		if maxSec <= 0 {
			maxSec = 600
		}
	}
	e := &Embedder{opts: opts, maxSamples: int(maxSec * SampleRate)}
	var err error
	e.mel, err = loadSession(modelDir, MelModelFile, opts.IntraOpThreads, checkMelIO)
	if err != nil {
		return nil, err
	}
	e.emb, err = loadSession(modelDir, EmbeddingModelFile, opts.IntraOpThreads, checkEmbIO)
	if err != nil {
		e.mel.Destroy()
		return nil, err
	}
	return e, nil
}

type ioCheck func(in, out []ort.InputOutputInfo) error

func checkMelIO(in, out []ort.InputOutputInfo) error {
	if len(in) != 1 || len(out) != 1 {
		return fmt.Errorf("want 1 input and 1 output, got %d/%d", len(in), len(out))
	}
	if d := in[0].Dimensions; len(d) != 2 {
		return fmt.Errorf("input %q has shape %v, want [batch, samples]", in[0].Name, d)
	}
	if d := out[0].Dimensions; len(d) != 4 || d[3] != MelBins {
		return fmt.Errorf("output %q has shape %v, want [batch,1,frames,%d]", out[0].Name, d, MelBins)
	}
	return nil
}

func checkEmbIO(in, out []ort.InputOutputInfo) error {
	if len(in) != 1 || len(out) != 1 {
		return fmt.Errorf("want 1 input and 1 output, got %d/%d", len(in), len(out))
	}
	if d := in[0].Dimensions; len(d) != 4 || d[1] != WindowFrames || d[2] != MelBins || d[3] != 1 {
		return fmt.Errorf("input %q has shape %v, want [batch,%d,%d,1]", in[0].Name, d, WindowFrames, MelBins)
	}
	if d := out[0].Dimensions; len(d) == 0 || d[len(d)-1] != WindowDim {
		return fmt.Errorf("output %q has shape %v, want [batch,…,%d]", out[0].Name, d, WindowDim)
	}
	return nil
}

func loadSession(dir, file string, threads int, check ioCheck) (*ort.DynamicAdvancedSession, error) {
	path, err := extract.ResolveModelPath(dir, file)
	if err != nil {
		return nil, fmt.Errorf("%w (run scripts/fetch-audio-models.sh)", err)
	}
	data, err := extract.LoadModelFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (run scripts/fetch-audio-models.sh)", err)
	}
	if err := extract.CheckModelSafety(data, filepath.Dir(path)); err != nil {
		return nil, err
	}
	in, out, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", extract.ErrBadModel, file, err)
	}
	if err := check(in, out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", extract.ErrBadModel, file, err)
	}
	s, err := newSession(data, in[0].Name, out[0].Name, threads)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// Dim is the clip embedding dimension (192).
func (e *Embedder) Dim() int { return ClipDim }

// Close releases the ORT sessions, waiting for calls in flight. Safe to call
// more than once.
func (e *Embedder) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.closed = true
	e.mel.Destroy()
	e.emb.Destroy()
}

func (e *Embedder) enter() error {
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return extract.ErrClosed
	}
	return nil
}

// EmbedFile decodes an audio file (WAV, FLAC or MP3; see Decode), downmixes
// and resamples it to 16 kHz and returns its clip embedding. Undecodable
// input wraps ErrBadAudio.
func (e *Embedder) EmbedFile(ctx context.Context, data []byte) ([]float32, error) {
	samples, err := Decode(data, e.opts.Limits)
	if err != nil {
		return nil, err
	}
	return e.EmbedClip(ctx, samples)
}

// Decode decodes a WAV, FLAC or MP3 file (container sniffed from its magic
// bytes, see Format) to 16 kHz mono, the input EmbedClip expects. Every
// malformed, unsupported or over-limit input yields an error wrapping
// ErrBadAudio; no input makes it panic.
func Decode(data []byte, lim Limits) ([]float32, error) {
	c, err := DecodeClip(data, lim)
	if err != nil {
		return nil, err
	}
	return Resample(c.Samples, c.SampleRate, SampleRate), nil
}

// EmbedClip embeds 16 kHz mono audio with samples nominally in [-1, 1]
// (values beyond are clipped). The result is the L2-normalised concatenation
// of the mean and standard deviation of the per-window embeddings.
func (e *Embedder) EmbedClip(ctx context.Context, samples []float32) ([]float32, error) {
	wins, err := e.WindowEmbeddings(ctx, samples)
	if err != nil {
		return nil, err
	}
	return PoolWindows(wins), nil
}

// PoolWindows returns the L2-normalised [mean ‖ std] of window embeddings.
func PoolWindows(wins [][]float32) []float32 {
	out := make([]float32, ClipDim)
	if len(wins) == 0 {
		return out
	}
	n := float64(len(wins))
	for d := range WindowDim {
		var s, ss float64
		for _, w := range wins {
			v := float64(w[d])
			s += v
			ss += v * v
		}
		m := s / n
		out[d] = float32(m)
		out[WindowDim+d] = float32(math.Sqrt(math.Max(0, ss/n-m*m)))
	}
	return extract.L2Normalize(out)
}

// WindowEmbeddings returns one 96-d embedding per 76-frame window (760 ms
// receptive field, 80 ms hop) of 16 kHz mono audio.
func (e *Embedder) WindowEmbeddings(ctx context.Context, samples []float32) ([][]float32, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.mu.RUnlock()
	if len(samples) > e.maxSamples {
		return nil, badAudio("clip of %d samples exceeds limit of %d (%.0fs at 16 kHz)", len(samples), e.maxSamples, float64(e.maxSamples)/SampleRate)
	}
	x := scaleInput(samples)
	mel, frames, err := e.melFrames(ctx, x)
	if err != nil {
		return nil, err
	}
	return e.embedWindows(ctx, mel, frames)
}

// scaleInput pads to MinSamples and maps [-1,1] to int16 range, as
// openWakeWord feeds the melspectrogram model.
func scaleInput(samples []float32) []float32 {
	x := make([]float32, max(len(samples), MinSamples))
	for i, v := range samples {
		if v != v { // NaN
			v = 0
		}
		x[i] = min(max(v, -1), 1) * 32767
	}
	return x
}

// melFrames runs the melspectrogram model in chunks (frames are local, so
// chunking with a 3-hop overlap is exact) and applies x/10+2.
func (e *Embedder) melFrames(ctx context.Context, x []float32) ([]float32, int, error) {
	total := len(x)/hop - melOverhead
	mel := make([]float32, 0, total*MelBins)
	for f0 := 0; f0 < total; f0 += melChunkFrames {
		nf := min(melChunkFrames, total-f0)
		seg := x[f0*hop : min(len(x), (f0+nf+melOverhead)*hop)]
		out, shape, err := run(ctx, e.mel, seg, []int64{1, int64(len(seg))})
		if err != nil {
			return nil, 0, err
		}
		if len(shape) != 4 || shape[3] != MelBins || int(shape[2]) != nf {
			return nil, 0, fmt.Errorf("%w: melspectrogram output shape %v, want [1,1,%d,%d]", extract.ErrBadModel, shape, nf, MelBins)
		}
		for _, v := range out {
			mel = append(mel, v/10+2)
		}
	}
	return mel, total, nil
}

// Windows returns the number of embedding windows for n mel frames.
func Windows(frames int) int {
	if frames < WindowFrames {
		return 0
	}
	return (frames-WindowFrames)/StrideFrames + 1
}

func (e *Embedder) embedWindows(ctx context.Context, mel []float32, frames int) ([][]float32, error) {
	nw := Windows(frames)
	res := make([][]float32, 0, nw)
	const wsz = WindowFrames * MelBins
	buf := make([]float32, 0, min(nw, e.opts.BatchSize)*wsz)
	for w0 := 0; w0 < nw; w0 += e.opts.BatchSize {
		b := min(e.opts.BatchSize, nw-w0)
		buf = buf[:0]
		for w := w0; w < w0+b; w++ {
			off := w * StrideFrames * MelBins
			buf = append(buf, mel[off:off+wsz]...)
		}
		out, _, err := run(ctx, e.emb, buf, []int64{int64(b), WindowFrames, MelBins, 1})
		if err != nil {
			return nil, err
		}
		if len(out) != b*WindowDim {
			return nil, fmt.Errorf("%w: embedding output has %d values, want %d", extract.ErrBadModel, len(out), b*WindowDim)
		}
		for i := range b {
			res = append(res, out[i*WindowDim:(i+1)*WindowDim:(i+1)*WindowDim])
		}
	}
	return res, nil
}

// run executes one single-input, single-output session; cancellation of ctx
// terminates the ORT run.
func run(ctx context.Context, s *ort.DynamicAdvancedSession, input []float32, shape []int64) ([]float32, []int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	in, err := ort.NewTensor(ort.Shape(shape), input)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: input tensor %v: %v", extract.ErrBadInput, shape, err)
	}
	defer in.Destroy()
	ro, err := ort.NewRunOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", extract.ErrRuntimeUnavailable, err)
	}
	defer ro.Destroy()
	outs := []ort.Value{nil}
	stop := context.AfterFunc(ctx, func() { _ = ro.Terminate() })
	err = s.RunWithOptions([]ort.Value{in}, outs, ro)
	stop()
	if outs[0] != nil {
		defer outs[0].Destroy()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("%w: running model: %v", extract.ErrBadModel, err)
	}
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, nil, errors.New("audio: model output is not a float32 tensor")
	}
	return append([]float32(nil), t.GetData()...), append([]int64(nil), t.GetShape()...), nil
}

// newSession creates a one-input, one-output session; threads > 0 fixes
// the intra-op thread count (and one inter-op thread).
func newSession(data []byte, input, output string, threads int) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", extract.ErrRuntimeUnavailable, err)
	}
	defer so.Destroy()
	if threads > 0 {
		if err := so.SetIntraOpNumThreads(threads); err != nil {
			return nil, fmt.Errorf("%w: %v", extract.ErrRuntimeUnavailable, err)
		}
		_ = so.SetInterOpNumThreads(1)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{input}, []string{output}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: creating session: %v", extract.ErrBadModel, err)
	}
	return s, nil
}
