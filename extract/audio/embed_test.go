package audio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reef-ml/reef/extract"
	ort "github.com/yalue/onnxruntime_go"
)

const testModelDir = "../../models/audio"

// openTestEmbedder opens ORT and the models, skipping cleanly when absent.
func openTestEmbedder(tb testing.TB) *Embedder {
	tb.Helper()
	for _, f := range []string{MelModelFile, EmbeddingModelFile} {
		if _, err := os.Stat(filepath.Join(testModelDir, f)); err != nil {
			tb.Skipf("audio models missing (%v); run scripts/fetch-audio-models.sh", err)
		}
	}
	rt, err := extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: os.Getenv(extract.EnvLibraryPath)})
	if errors.Is(err, extract.ErrRuntimeUnavailable) {
		rt, err = extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: "../../third_party/onnxruntime/libonnxruntime.so.1"})
	}
	if err != nil {
		tb.Skipf("ONNX Runtime unavailable (%v); run scripts/fetch-onnxruntime.sh", err)
	}
	e, err := NewEmbedder(rt, testModelDir, Options{})
	if err != nil {
		rt.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(); rt.Close() })
	return e
}

func toneF32(freq float64, dur float64) []float32 {
	out := make([]float32, int(dur*SampleRate))
	for i := range out {
		out[i] = float32(0.5 * math.Sin(2*math.Pi*freq*float64(i)/SampleRate))
	}
	return out
}

func cosDist(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return 1 - d
}

// speak renders text with espeak-ng and returns 16 kHz mono samples.
func speak(t *testing.T, text, voice string, speed int) []float32 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "s.wav")
	cmd := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", out, text)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(data, DefaultLimits())
	if err != nil {
		t.Fatalf("decoding espeak-ng output: %v", err)
	}
	return s
}

func TestEmbedderBasics(t *testing.T) {
	e := openTestEmbedder(t)
	ctx := context.Background()
	if e.Dim() != 192 {
		t.Fatalf("Dim %d", e.Dim())
	}
	// Window count: 3 s → ⌊48000/160⌋−3 = 297 frames → (297−76)/8+1 = 28.
	w, err := e.WindowEmbeddings(ctx, toneF32(440, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 28 || len(w[0]) != 96 {
		t.Fatalf("got %d windows of %d", len(w), len(w[0]))
	}
	// Short clips are padded to one window; empty input works too.
	for _, n := range []int{0, 100, MinSamples - 1, MinSamples} {
		w, err := e.WindowEmbeddings(ctx, make([]float32, n))
		if err != nil || len(w) != 1 {
			t.Fatalf("n=%d: %d windows, %v", n, len(w), err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, 2*SampleRate)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64() * 0.1)
	}
	clips := map[string][]float32{"tone440": toneF32(440, 2), "tone2k": toneF32(2000, 2), "noise": noise}
	vecs := map[string][]float32{}
	for name, c := range clips {
		a, err := e.EmbedClip(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.EmbedClip(ctx, append([]float32(nil), c...))
		if err != nil {
			t.Fatal(err)
		}
		var norm float64
		for _, v := range a {
			norm += float64(v) * float64(v)
		}
		if math.Abs(norm-1) > 1e-4 {
			t.Fatalf("%s: norm² %v", name, norm)
		}
		if d := cosDist(a, b); d > 1e-5 {
			t.Fatalf("%s: identical clips at distance %v", name, d)
		}
		vecs[name] = a
	}
	t.Logf("tone440–tone2k %.4f, tone440–noise %.4f, tone2k–noise %.4f",
		cosDist(vecs["tone440"], vecs["tone2k"]), cosDist(vecs["tone440"], vecs["noise"]), cosDist(vecs["tone2k"], vecs["noise"]))

	// Chunked melspectrogram equals a single run.
	long := make([]float32, (melChunkFrames+500)*hop)
	for i := range long {
		long[i] = float32(rng.NormFloat64() * 0.2)
	}
	x := scaleInput(long)
	mel, frames, err := e.melFrames(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	whole, shape, err := run(ctx, e.mel, x, []int64{1, int64(len(x))})
	if err != nil {
		t.Fatal(err)
	}
	if int(shape[2]) != frames {
		t.Fatalf("frames %d vs %d", frames, shape[2])
	}
	var maxd float64
	for i, v := range whole {
		maxd = math.Max(maxd, math.Abs(float64(v/10+2-mel[i])))
	}
	if maxd > 1e-3 {
		t.Fatalf("chunked mel differs by %v", maxd)
	}

	// EmbedFile via WAV at 44.1 kHz stereo.
	src := tone(440, 44100, 1.5, 0.5)
	inter := make([]float64, 0, 2*len(src))
	for _, v := range src {
		inter = append(inter, v, v)
	}
	fv, err := e.EmbedFile(ctx, buildWAV(44100, 2, 16, false, inter))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := e.EmbedClip(ctx, toneF32(440, 1.5))
	t.Logf("44.1k stereo WAV tone vs native 16k tone: %.5f", cosDist(fv, ref))
	if d := cosDist(fv, ref); d > 0.01 {
		t.Fatalf("resampled file vs native: %v", d)
	}
	if _, err := e.EmbedFile(ctx, []byte("RIFF....WAVEjunk")); !errors.Is(err, ErrBadAudio) {
		t.Fatalf("corrupt file: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.EmbedClip(cctx, toneF32(440, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	e.Close()
	if _, err := e.EmbedClip(ctx, nil); !errors.Is(err, extract.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestSpokenWords(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed (apt-get install -y espeak-ng)")
	}
	e := openTestEmbedder(t)
	ctx := context.Background()
	words := []string{"yes", "seven"}
	type rend struct {
		voice string
		speed int
	}
	rends := []rend{{"en", 150}, {"en-us", 120}, {"en+f3", 175}, {"en-gb-x-rp", 140}, {"en+m3", 200}}
	vec := map[string][][]float32{}
	for _, w := range words {
		for _, r := range rends {
			v, err := e.EmbedClip(ctx, speak(t, w, r.voice, r.speed))
			if err != nil {
				t.Fatal(err)
			}
			vec[w] = append(vec[w], v)
		}
	}
	var same, diff []float64
	for _, w := range words {
		for i := range rends {
			for j := i + 1; j < len(rends); j++ {
				same = append(same, cosDist(vec[w][i], vec[w][j]))
			}
		}
	}
	for i := range rends {
		for j := range rends {
			diff = append(diff, cosDist(vec[words[0]][i], vec[words[1]][j]))
		}
	}
	stats := func(x []float64) (mean, lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range x {
			mean += v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		return mean / float64(len(x)), lo, hi
	}
	sm, slo, shi := stats(same)
	dm, dlo, dhi := stats(diff)
	t.Logf("cosine distance, same word (%d pairs): mean %.4f [%.4f, %.4f]", len(same), sm, slo, shi)
	t.Logf("cosine distance, yes vs seven (%d pairs): mean %.4f [%.4f, %.4f]", len(diff), dm, dlo, dhi)
	// Same voice and speed, different words vs same word.
	for i, r := range rends {
		t.Logf("  %s -s %d: yes–seven %.4f", r.voice, r.speed, cosDist(vec["yes"][i], vec["seven"][i]))
	}
	if dm <= sm {
		t.Fatalf("different words (mean %.4f) not farther apart than same word (mean %.4f)", dm, sm)
	}
	// Nearest-neighbour check: each clip's nearest other clip is the same word.
	var hits, total int
	for _, w := range words {
		for i, v := range vec[w] {
			best, bestW := math.Inf(1), ""
			for _, w2 := range words {
				for j, u := range vec[w2] {
					if w2 == w && j == i {
						continue
					}
					if d := cosDist(v, u); d < best {
						best, bestW = d, w2
					}
				}
			}
			total++
			if bestW == w {
				hits++
			}
		}
	}
	t.Logf("nearest-neighbour word accuracy: %d/%d", hits, total)
}

func benchClip() []float32 {
	rng := rand.New(rand.NewPCG(3, 4))
	x := toneF32(300, 3)
	for i := range x {
		x[i] += float32(rng.NormFloat64() * 0.05)
	}
	return x
}

// BenchmarkEmbedClip: 3 s clips through the full Go pipeline.
func BenchmarkEmbedClip(b *testing.B) {
	e := openTestEmbedder(b)
	ctx := context.Background()
	x := benchClip()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.EmbedClip(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "clips/s")
}

// BenchmarkBareORT: the same two model runs on prebuilt tensors, no Go-side
// scaling, windowing, copying or pooling.
func BenchmarkBareORT(b *testing.B) {
	e := openTestEmbedder(b)
	ctx := context.Background()
	x := scaleInput(benchClip())
	mel, frames, err := e.melFrames(ctx, x)
	if err != nil {
		b.Fatal(err)
	}
	nw := Windows(frames)
	win := make([]float32, 0, nw*WindowFrames*MelBins)
	for w := range nw {
		off := w * StrideFrames * MelBins
		win = append(win, mel[off:off+WindowFrames*MelBins]...)
	}
	melIn, _ := ort.NewTensor(ort.NewShape(1, int64(len(x))), x)
	embIn, _ := ort.NewTensor(ort.NewShape(int64(nw), WindowFrames, MelBins, 1), win)
	defer melIn.Destroy()
	defer embIn.Destroy()
	b.ResetTimer()
	for b.Loop() {
		o1 := []ort.Value{nil}
		if err := e.mel.Run([]ort.Value{melIn}, o1); err != nil {
			b.Fatal(err)
		}
		o2 := []ort.Value{nil}
		if err := e.emb.Run([]ort.Value{embIn}, o2); err != nil {
			b.Fatal(err)
		}
		o1[0].Destroy()
		o2[0].Destroy()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "clips/s")
}
