package audio

import (
	"math"
)

// Resampler quality. Resample uses a rational polyphase windowed-sinc filter:
//
//   - ratio out/in reduced to L/M by the gcd of the two rates; output sample n
//     sits at input position n·M/L, i.e. integer index ⌊nM/L⌋ and phase nM mod L;
//   - the low-pass cutoff is 0.95 × min(in, out) Nyquist, so when
//     downsampling (e.g. 44.1 kHz → 16 kHz) the passband reaches 7.6 kHz and
//     content above the output Nyquist is suppressed rather than aliased;
//   - the sinc is truncated to ±resampleZeros zero crossings of the cutoff
//     and shaped by a Kaiser window (β = 9), giving roughly 85–90 dB stopband
//     attenuation, < 0.01 dB passband ripple and a transition band from 0.95
//     to ~1.05 × the output Nyquist (anything aliasing back from just above
//     Nyquist lands in the top few hundred Hz, irrelevant to speech features);
//   - per-phase coefficient tables are precomputed and normalised to unit DC
//     gain when there are at most maxPhaseTables phases (every common rate
//     pair: 8/11.025/22.05/32/44.1/48/96 kHz → 16 kHz); otherwise
//     coefficients are computed per output sample (slower, same quality);
//   - signal outside the clip is taken as zero.
const (
	resampleZeros  = 16
	resampleBeta   = 9.0
	resampleCutoff = 0.95
	maxPhaseTables = 4096
)

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// bessel0 is the zeroth-order modified Bessel function of the first kind.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	y := x * x / 4
	for k := 1; k < 64; k++ {
		term *= y / float64(k*k)
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

// Resample converts mono audio from rate `from` to rate `to` (both > 0).
func Resample(in []float32, from, to int) []float32 {
	if from <= 0 || to <= 0 || len(in) == 0 {
		return nil
	}
	if from == to {
		return append([]float32(nil), in...)
	}
	g := gcd(from, to)
	L, M := to/g, from/g // output n ↔ input n·M/L
	// Cutoff in cycles per input sample.
	fc := 0.5 * resampleCutoff * math.Min(1, float64(L)/float64(M))
	half := int(math.Ceil(resampleZeros / (2 * fc))) // taps each side, in input samples
	taps := 2 * half
	outLen := int((int64(len(in))*int64(L) + int64(M) - 1) / int64(M))
	out := make([]float32, outLen)
	i0 := bessel0(resampleBeta)

	coeffs := func(frac float64, dst []float64) {
		// tap k multiplies input index base-half+1+k; its distance from the
		// output position is (k - half + 1) - frac.
		sum := 0.0
		for k := range dst {
			d := float64(k-half+1) - frac
			w := 0.0
			if r := d / float64(half); r > -1 && r < 1 {
				w = bessel0(resampleBeta*math.Sqrt(1-r*r)) / i0
			}
			x := 2 * fc * d
			s := 1.0
			if x != 0 {
				s = math.Sin(math.Pi*x) / (math.Pi * x)
			}
			dst[k] = s * w
			sum += dst[k]
		}
		if sum != 0 {
			for k := range dst {
				dst[k] /= sum
			}
		}
	}

	var table [][]float32
	if L <= maxPhaseTables {
		table = make([][]float32, L)
		tmp := make([]float64, taps)
		for p := range L {
			coeffs(float64(p)/float64(L), tmp)
			row := make([]float32, taps)
			for k, v := range tmp {
				row[k] = float32(v)
			}
			table[p] = row
		}
	}
	tmp := make([]float64, taps)
	n := len(in)
	for o := range out {
		pos := int64(o) * int64(M)
		base := int(pos / int64(L))
		phase := int(pos % int64(L))
		start := base - half + 1
		var acc float64
		if table != nil {
			row := table[phase]
			if start >= 0 && start+taps <= n {
				seg := in[start : start+taps]
				var a float32
				for k, c := range row {
					a += c * seg[k]
				}
				out[o] = a
				continue
			}
			for k, c := range row {
				if j := start + k; j >= 0 && j < n {
					acc += float64(c) * float64(in[j])
				}
			}
		} else {
			coeffs(float64(phase)/float64(L), tmp)
			for k, c := range tmp {
				if j := start + k; j >= 0 && j < n {
					acc += c * float64(in[j])
				}
			}
		}
		out[o] = float32(acc)
	}
	return out
}
