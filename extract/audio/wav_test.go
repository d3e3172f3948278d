package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/cmplx"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildWAV encodes interleaved samples in [-1,1] as a WAV file.
func buildWAV(rate, channels, bits int, float bool, interleaved []float64) []byte {
	var data bytes.Buffer
	le := binary.LittleEndian
	for _, v := range interleaved {
		switch {
		case float && bits == 32:
			binary.Write(&data, le, float32(v))
		case float && bits == 64:
			binary.Write(&data, le, v)
		case bits == 8:
			data.WriteByte(byte(int(math.Round(v*127)) + 128))
		case bits == 16:
			binary.Write(&data, le, int16(math.Round(v*32767)))
		case bits == 24:
			x := int32(math.Round(v * 8388607))
			data.Write([]byte{byte(x), byte(x >> 8), byte(x >> 16)})
		case bits == 32:
			binary.Write(&data, le, int32(math.Round(v*2147483647)))
		}
	}
	tag := uint16(1)
	if float {
		tag = 3
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(4+8+16+8+5+1+8+data.Len()))
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	binary.Write(&b, le, uint32(16))
	binary.Write(&b, le, tag)
	binary.Write(&b, le, uint16(channels))
	binary.Write(&b, le, uint32(rate))
	binary.Write(&b, le, uint32(rate*channels*bits/8))
	binary.Write(&b, le, uint16(channels*bits/8))
	binary.Write(&b, le, uint16(bits))
	// An odd-sized unknown chunk (with pad byte) to exercise skipping.
	b.WriteString("LIST")
	binary.Write(&b, le, uint32(5))
	b.Write([]byte{1, 2, 3, 4, 5, 0})
	b.WriteString("data")
	binary.Write(&b, le, uint32(data.Len()))
	b.Write(data.Bytes())
	return b.Bytes()
}

func tone(freq float64, rate int, dur float64, amp float64) []float64 {
	n := int(dur * float64(rate))
	out := make([]float64, n)
	for i := range out {
		out[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return out
}

func TestDecodeWAVFormats(t *testing.T) {
	src := tone(440, 8000, 0.1, 0.5)
	for _, tc := range []struct {
		bits  int
		float bool
		tol   float64
	}{{8, false, 1.0 / 64}, {16, false, 1e-4}, {24, false, 1e-6}, {32, false, 1e-6}, {32, true, 1e-6}, {64, true, 1e-6}} {
		for _, ch := range []int{1, 2, 6} {
			inter := make([]float64, 0, len(src)*ch)
			for _, v := range src {
				for c := 0; c < ch; c++ {
					// Channels differ but average to v.
					off := 0.1 * float64(c-(ch-1)/2)
					if ch%2 == 0 {
						off = 0.1 * (float64(c) - float64(ch-1)/2)
					} else if ch > 1 {
						off = 0.1 * float64(c-(ch-1)/2)
					}
					inter = append(inter, v+off)
				}
			}
			c, err := DecodeWAVBytes(buildWAV(8000, ch, tc.bits, tc.float, inter), DefaultLimits())
			if err != nil {
				t.Fatalf("bits=%d float=%v ch=%d: %v", tc.bits, tc.float, ch, err)
			}
			if c.SampleRate != 8000 || len(c.Samples) != len(src) || c.Channels != ch {
				t.Fatalf("bits=%d ch=%d: got rate %d len %d ch %d", tc.bits, ch, c.SampleRate, len(c.Samples), c.Channels)
			}
			for i, v := range src {
				if d := math.Abs(float64(c.Samples[i]) - v); d > tc.tol+1e-6 {
					t.Fatalf("bits=%d float=%v ch=%d sample %d: got %v want %v", tc.bits, tc.float, ch, i, c.Samples[i], v)
				}
			}
		}
	}
}

func TestDecodeWAVRejects(t *testing.T) {
	good := buildWAV(16000, 2, 16, false, make([]float64, 2*16000))
	cases := map[string][]byte{
		"empty":     nil,
		"not riff":  []byte("RIFX\x00\x00\x00\x00WAVEfmt "),
		"header":    good[:11],
		"no chunks": good[:12],
		"mid fmt":   good[:30],
		"mid list":  good[:40],
		"no data":   good[:54],
		"truncated": good[:len(good)-3],
	}
	bad := func(mut func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		mut(b)
		return b
	}
	le := binary.LittleEndian
	cases["zero channels"] = bad(func(b []byte) { le.PutUint16(b[22:], 0) })
	cases["bad bits"] = bad(func(b []byte) { le.PutUint16(b[34:], 12) })
	cases["bad align"] = bad(func(b []byte) { le.PutUint16(b[32:], 3) })
	cases["bad tag"] = bad(func(b []byte) { le.PutUint16(b[20:], 2) })
	cases["zero rate"] = bad(func(b []byte) { le.PutUint32(b[24:], 0) })
	cases["huge fmt"] = bad(func(b []byte) { le.PutUint32(b[16:], 0xFFFFFFF0) })
	cases["huge list"] = bad(func(b []byte) { le.PutUint32(b[40:], 0xFFFFFFF0) })
	cases["huge data"] = bad(func(b []byte) { le.PutUint32(b[len(b)-4*16000-4:], 0xFFFFFFF0) })
	nan := buildWAV(16000, 1, 32, true, []float64{0, math.NaN(), 0})
	cases["nan"] = nan
	// Finite in float64 but ±Inf once narrowed to float32.
	cases["float64 overflow"] = buildWAV(16000, 1, 64, true, []float64{0, 1e300, 0})
	cases["float64 overflow, averaged"] = buildWAV(16000, 2, 64, true, []float64{0, 0, -1e300, -1e300})
	// Finite float32 samples that overflow once the resampler sums them.
	cases["float32 near max"] = buildWAV(16000, 1, 32, true, []float64{0, 3e38, -3e38, 3e38, 0})
	for name, data := range cases {
		_, err := DecodeWAVBytes(data, DefaultLimits())
		if !errors.Is(err, ErrBadAudio) {
			t.Errorf("%s: got %v, want ErrBadAudio", name, err)
		}
		if _, err := Decode(data, DefaultLimits()); !errors.Is(err, ErrBadAudio) {
			t.Errorf("Decode %s: got %v, want ErrBadAudio", name, err)
		}
	}
	// Limits enforced from the header.
	if _, err := DecodeWAVBytes(good, Limits{MaxDuration: 500 * time.Millisecond}); !errors.Is(err, ErrBadAudio) {
		t.Errorf("duration limit: %v", err)
	}
	if _, err := DecodeWAVBytes(good, Limits{MaxBytes: 1000}); !errors.Is(err, ErrBadAudio) {
		t.Errorf("byte limit: %v", err)
	}
	if _, err := DecodeWAVBytes(good, Limits{MaxSamples: 1000}); !errors.Is(err, ErrBadAudio) {
		t.Errorf("sample limit: %v", err)
	}
	// 10 minutes claimed at 768 kHz: within MaxDuration, over MaxSamples.
	huge := buildWAV(768000, 1, 16, false, make([]float64, 10))
	le.PutUint32(huge[len(huge)-20-4:], 10*60*768000*2)
	if _, err := DecodeWAVBytes(huge, Limits{MaxDuration: 10 * time.Minute}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("without MaxSamples a 768 kHz 10-minute claim is read until it runs out: %v", err)
	}
	if _, err := DecodeWAVBytes(huge, Limits{MaxDuration: 10 * time.Minute, MaxSamples: DefaultLimits().MaxSamples}); err == nil || !strings.Contains(err.Error(), "samples") {
		t.Errorf("MaxSamples: %v", err)
	}
	if _, err := DecodeWAVBytes(good, DefaultLimits()); err != nil {
		t.Errorf("good: %v", err)
	}
}

// dominantFreq finds the peak of a Hann-windowed DFT, refined by
// parabolic interpolation.
func dominantFreq(x []float32, rate int) float64 {
	n := len(x)
	mag := make([]float64, n/2)
	for k := 1; k < n/2; k++ {
		var s complex128
		for i, v := range x {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
			s += complex(float64(v)*w, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/float64(n)))
		}
		mag[k] = cmplx.Abs(s)
	}
	best := 1
	for k := range mag {
		if mag[k] > mag[best] {
			best = k
		}
	}
	a, b, c := math.Log(mag[best-1]+1e-12), math.Log(mag[best]), math.Log(mag[best+1]+1e-12)
	p := 0.5 * (a - c) / (a - 2*b + c)
	return (float64(best) + p) * float64(rate) / float64(n)
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestResample(t *testing.T) {
	in := make([]float32, 44100)
	for i, v := range tone(1000, 44100, 1, 0.8) {
		in[i] = float32(v)
	}
	out := Resample(in, 44100, 16000)
	if len(out) != 16000 {
		t.Fatalf("len %d, want 16000", len(out))
	}
	mid := out[4000:6048]
	f := dominantFreq(mid, 16000)
	if math.Abs(f-1000) > 2 {
		t.Fatalf("1 kHz tone resampled to %.2f Hz", f)
	}
	gain := rms(mid) / (0.8 / math.Sqrt2)
	// Compare against an exact 1 kHz tone at 16 kHz.
	var maxErr float64
	for i := 1000; i < 15000; i++ {
		want := 0.8 * math.Sin(2*math.Pi*1000*float64(i)/16000)
		maxErr = math.Max(maxErr, math.Abs(float64(out[i])-want))
	}
	t.Logf("44.1k→16k: 1 kHz tone → %.3f Hz, gain %.5f, max abs error %.2e", f, gain, maxErr)
	if math.Abs(gain-1) > 0.001 || maxErr > 1e-3 {
		t.Fatalf("passband distortion: gain %v maxErr %v", gain, maxErr)
	}
	// A 10 kHz tone is above the 8 kHz output Nyquist and must not alias.
	for i, v := range tone(10000, 44100, 1, 0.8) {
		in[i] = float32(v)
	}
	al := rms(Resample(in, 44100, 16000)[1000:15000]) / (0.8 / math.Sqrt2)
	t.Logf("10 kHz tone after 44.1k→16k: %.1f dB", 20*math.Log10(al+1e-12))
	if al > 1e-3 {
		t.Fatalf("aliasing: 10 kHz residual %.1f dB", 20*math.Log10(al))
	}
	// Upsampling and odd ratios keep the frequency too.
	for _, from := range []int{8000, 22050, 48000, 44101} {
		x := make([]float32, from/2)
		for i, v := range tone(1000, from, 0.5, 0.5) {
			x[i] = float32(v)
		}
		y := Resample(x, from, 16000)
		if f := dominantFreq(y[1000:3048], 16000); math.Abs(f-1000) > 2 {
			t.Errorf("%d→16000: tone at %.2f Hz", from, f)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(buildWAV(8000, 1, 16, false, tone(440, 8000, 0.01, 0.5)))
	f.Add(buildWAV(8000, 2, 24, false, tone(440, 8000, 0.01, 0.5)))
	f.Add(buildWAV(8000, 1, 32, true, tone(440, 8000, 0.01, 0.5)))
	f.Add(buildWAV(8000, 3, 8, false, tone(440, 8000, 0.01, 0.5)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Add(buildWAV(767996, 1, 8, false, tone(440, 767996, 0.005, 0.5)))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDuration: 2 * time.Second, MaxBytes: 1 << 20}
		c, err := DecodeWAVBytes(data, lim)
		checkFuzzClip(t, c, err, lim, false) // float WAV is passed through unscaled
		if err != nil {
			return
		}
		// Odd rates once made this take 0.3 s per input (see resample.go).
		for i, v := range Resample(c.Samples[:min(len(c.Samples), 4000)], c.SampleRate, SampleRate) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("resampled sample %d = %v", i, v)
			}
		}
	})
}

// A WAV header may claim far more data than the file holds; the decoder
// must not allocate the claim before the data arrives.
func TestDecodeWAVClaimNotAllocated(t *testing.T) {
	data := buildWAV(768000, 1, 8, false, make([]float64, 100))
	binary.LittleEndian.PutUint32(data[len(data)-104:], 255<<20) // data chunk size
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeWAVBytes(data, DefaultLimits())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrBadAudio) {
		t.Fatalf("got %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
		t.Fatalf("allocated %d MiB for a %d-byte file", d>>20, len(data))
	}
}
