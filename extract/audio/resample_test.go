package audio

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func toneAt(freq float64, rate int, n int, amp float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// TestResampleQuality: a passband tone keeps its amplitude and phase (the
// residual against the ideal 16 kHz tone is small, which also rules out
// imaging when upsampling), and a tone above the 8 kHz output Nyquist is
// suppressed rather than aliased. Paths: 44101 and 1001 Hz interpolate
// between quantised phase rows (L = 16000), 767996 Hz builds a 4000-row
// table, and 767993 Hz (0.25 s: fewer outputs than phases) computes exact
// coefficients per output.
func TestResampleQuality(t *testing.T) {
	for _, tc := range []struct {
		from       int
		pass, stop float64 // Hz; stop 0 = no tone above output Nyquist fits
		secs       float64 // clip length; 0 = 0.5 s
	}{
		{44100, 1000, 10000, 0},
		{48000, 1000, 12000, 0},
		{22050, 1000, 9000, 0},
		{8000, 1000, 0, 0},
		{96000, 1000, 30000, 0},
		{44101, 1000, 10000, 0},
		{767996, 1000, 100000, 0},
		{767993, 1000, 9000, 0.25},
		{1001, 200, 0, 0}, // 1 kHz is above this rate's 500 Hz Nyquist
	} {
		t.Run(fmt.Sprint(tc.from), func(t *testing.T) {
			n := tc.from / 2
			if tc.secs > 0 {
				n = int(tc.secs * float64(tc.from))
			}
			const amp = 0.8
			out := Resample(toneAt(tc.pass, tc.from, n, amp), tc.from, SampleRate)
			if want := (n*SampleRate + tc.from - 1) / tc.from; len(out) != want {
				t.Fatalf("len %d, want %d", len(out), want)
			}
			// Skip 50 ms at each end, where the clip edge is in the window.
			lo, hi := SampleRate/20, len(out)-SampleRate/20
			mid := out[lo:hi]
			ideal := toneAt(tc.pass, SampleRate, hi, amp)[lo:hi]
			var res float64
			for i, v := range mid {
				d := float64(v - ideal[i])
				res += d * d
			}
			gain := rms(mid) / (amp / math.Sqrt2)
			resDB := 20 * math.Log10(math.Sqrt(res/float64(len(mid)))/(amp/math.Sqrt2)+1e-12)
			msg := fmt.Sprintf("%d→16k: %.0f Hz gain %.5f, residual %.1f dB", tc.from, tc.pass, gain, resDB)
			if tc.stop > 0 {
				al := Resample(toneAt(tc.stop, tc.from, n, amp), tc.from, SampleRate)
				aDB := 20 * math.Log10(rms(al[lo:hi])/(amp/math.Sqrt2)+1e-12)
				msg += fmt.Sprintf("; %.0f Hz → %.1f dB", tc.stop, aDB)
				if aDB > -80 {
					t.Errorf("content above output Nyquist not attenuated: %s", msg)
				}
			}
			t.Log(msg)
			if math.Abs(gain-1) > 0.01 || resDB > -60 {
				t.Errorf("passband distortion: %s", msg)
			}
		})
	}
}

// The window lookup table matches the Bessel-function definition.
func TestKaiserTable(t *testing.T) {
	tab := kaiserTable()
	rng := rand.New(rand.NewPCG(5, 6))
	var worst float64
	for range 100000 {
		r := rng.Float64()*2 - 1
		worst = math.Max(worst, math.Abs(kaiser(tab, r)-kaiserExact(r)))
	}
	t.Logf("max window error %.2e", worst)
	if worst > 1e-6 {
		t.Fatalf("window table error %v", worst)
	}
	if kaiser(tab, 1) != 0 || kaiser(tab, -1.5) != 0 || kaiser(tab, 0) != 1 {
		t.Fatal("window edges")
	}
}

// Outputs interpolated between quantised phase rows (L > maxPhases) match
// outputs computed with exact per-output coefficients.
func TestResampleInterpolatedPhases(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, from := range []int{44101, 1001, 767993} {
		in := make([]float32, from) // 1 s: 16000 outputs, more than maxPhases
		for i := range in {
			in[i] = float32(rng.NormFloat64() * 0.3)
		}
		out := Resample(in, from, SampleRate)
		g := gcd(from, SampleRate)
		L, M := int64(SampleRate/g), int64(from/g)
		if L <= maxPhases || int64(len(out)) <= maxPhases {
			t.Fatalf("%d: not on the interpolated path (L=%d, outputs %d)", from, L, len(out))
		}
		fc := 0.5 * resampleCutoff * math.Min(1, float64(L)/float64(M))
		half := int(math.Ceil(resampleZeros / (2 * fc)))
		f := &filter{fc: fc, half: half, taps: 2 * half, win: kaiserTable(), tmp: make([]float64, 2*half)}
		row := make([]float32, f.taps)
		var worst float64
		for o := 0; o < len(out); o += 97 {
			pos := int64(o) * M
			f.coeffs(float64(pos%L)/float64(L), row)
			worst = math.Max(worst, math.Abs(float64(dot(row, in, int(pos/L)-half+1)-out[o])))
		}
		t.Logf("%d→16k: max |interpolated − exact| %.2e", from, worst)
		if worst > 1e-5 {
			t.Errorf("%d: interpolated phases differ by %v", from, worst)
		}
	}
}

// BenchmarkResample covers the odd rates that made the WAV fuzz smoke slow
// (a huge L: 767996/767993 Hz, 1001 Hz) next to the common rates.
func BenchmarkResample(b *testing.B) {
	for _, c := range []struct{ from, n int }{
		{767996, 4000}, {767993, 767993}, {1001, 4000}, {1001, 1001}, {44101, 4000},
		{44100, 44100}, {48000, 48000}, {8000, 8000}, {22050, 22050},
	} {
		in := toneAt(1000, c.from, c.n, 0.5)
		b.Run(fmt.Sprintf("%d_n%d", c.from, c.n), func(b *testing.B) {
			for b.Loop() {
				_ = Resample(in, c.from, SampleRate)
			}
		})
	}
}
