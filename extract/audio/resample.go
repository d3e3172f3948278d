package audio

import (
	"math"
	"sync"
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
//   - every coefficient row is normalised to unit DC gain;
//   - signal outside the clip is taken as zero.
//
// Cost is bounded for every rate pair (odd rates such as 767996 or 1001 Hz
// used to build thousands of rows of Bessel-function taps for a few hundred
// outputs): the window comes from a lookup table and the sinc from a sine
// recurrence, and a per-phase table is only built when it has fewer rows
// than there are outputs. A table has at most maxPhases rows; for L above
// that, rows sit on a grid of maxPhases phases and each output interpolates
// linearly between its two neighbouring rows (coefficient error ~1e-7,
// far below the stopband). Otherwise coefficients are computed exactly per
// output. Work is O(outputs × taps + min(rows, outputs) × taps).
const (
	resampleZeros  = 16
	resampleBeta   = 9.0
	resampleCutoff = 0.95
	maxPhases      = 4096
	// kaiserTableN intervals over r ∈ [0, 1]; linear interpolation in it is
	// accurate to ~1e-7 of the window's peak.
	kaiserTableN = 4096
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

// kaiserExact is the Kaiser window at r = distance/half-width, |r| ≤ 1.
func kaiserExact(r float64) float64 {
	return bessel0(resampleBeta*math.Sqrt(max(0, 1-r*r))) / bessel0(resampleBeta)
}

// kaiserTable samples the window once per process (4097 Bessel evaluations).
var kaiserTable = sync.OnceValue(func() []float64 {
	t := make([]float64, kaiserTableN+2)
	for i := range kaiserTableN + 1 {
		t[i] = kaiserExact(float64(i) / kaiserTableN)
	}
	t[kaiserTableN+1] = t[kaiserTableN] // guard for r == 1 exactly
	return t
})

// kaiser interpolates the window for |r| < 1 and is 0 outside.
func kaiser(tab []float64, r float64) float64 {
	r = math.Abs(r)
	if r >= 1 {
		return 0
	}
	x := r * kaiserTableN
	i := int(x)
	f := x - float64(i)
	return tab[i] + f*(tab[i+1]-tab[i])
}

// filter is one rate pair's windowed-sinc design.
type filter struct {
	fc   float64 // cutoff in cycles per input sample
	half int     // taps each side of the output position
	taps int
	win  []float64
	tmp  []float64 // scratch for one row
}

// coeffs fills dst (len taps) for an output at fractional input position
// frac ∈ [0, 1] past the base index. Tap k multiplies input index
// base-half+1+k, at distance d = k-half+1-frac from the output position.
func (f *filter) coeffs(frac float64, dst []float32) {
	w := 2 * math.Pi * f.fc // sinc argument step per tap: θ = π·2fc·d
	d0 := float64(1-f.half) - frac
	s, c := math.Sincos(w * d0)
	sd, cd := math.Sincos(w)
	inv := 1 / float64(f.half)
	var sum float64
	tmp := f.tmp[:len(dst)]
	for k := range tmp {
		d := d0 + float64(k)
		th := w * d
		sinc := 1.0
		if math.Abs(th) > 1e-9 {
			sinc = s / th
		}
		tmp[k] = sinc * kaiser(f.win, d*inv)
		sum += tmp[k]
		s, c = s*cd+c*sd, c*cd-s*sd // rotate by w: sin/cos of the next θ
	}
	if sum == 0 {
		sum = 1
	}
	for k, v := range tmp {
		dst[k] = float32(v / sum)
	}
}

// dot applies row to in[start:start+len(row)], treating indices outside in
// as zero.
func dot(row, in []float32, start int) float32 {
	if start >= 0 && start+len(row) <= len(in) {
		seg := in[start : start+len(row)]
		var a0, a1, a2, a3 float32
		k := 0
		for ; k+4 <= len(row); k += 4 {
			a0 += row[k] * seg[k]
			a1 += row[k+1] * seg[k+1]
			a2 += row[k+2] * seg[k+2]
			a3 += row[k+3] * seg[k+3]
		}
		for ; k < len(row); k++ {
			a0 += row[k] * seg[k]
		}
		return (a0 + a1) + (a2 + a3)
	}
	var acc float32
	lo, hi := max(0, -start), min(len(row), len(in)-start)
	for k := lo; k < hi; k++ {
		acc += row[k] * in[start+k]
	}
	return acc
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
	L, M := int64(to/g), int64(from/g) // output n ↔ input n·M/L
	fc := 0.5 * resampleCutoff * math.Min(1, float64(L)/float64(M))
	half := int(math.Ceil(resampleZeros / (2 * fc)))
	f := &filter{fc: fc, half: half, taps: 2 * half, win: kaiserTable(), tmp: make([]float64, 2*half)}
	outLen := int((int64(len(in))*L + M - 1) / M)
	out := make([]float32, outLen)

	rows := int64(min(L, maxPhases))
	interp := L > maxPhases
	if rows >= int64(outLen) {
		// Fewer outputs than table rows: exact coefficients per output.
		row := make([]float32, f.taps)
		for o := range out {
			pos := int64(o) * M
			f.coeffs(float64(pos%L)/float64(L), row)
			out[o] = dot(row, in, int(pos/L)-half+1)
		}
		return out
	}
	nrows := rows
	if interp {
		nrows++ // row `rows` is phase 1.0, the upper neighbour of the last
	}
	table := make([][]float32, nrows)
	for p := range table {
		table[p] = make([]float32, f.taps)
		f.coeffs(float64(p)/float64(rows), table[p])
	}
	for o := range out {
		pos := int64(o) * M
		start := int(pos/L) - half + 1
		phase := pos % L
		if !interp {
			out[o] = dot(table[phase], in, start)
			continue
		}
		num := phase * rows
		p := num / L
		t := float32(num%L) / float32(L)
		a, b := dot(table[p], in, start), dot(table[p+1], in, start)
		out[o] = a + t*(b-a)
	}
	return out
}
