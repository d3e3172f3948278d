package audio

import (
	"bytes"
	"crypto/md5"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"
)

// flacSpec: a FLAC file from mewkiz/flac's encoder (constant/fixed/verbatim).
type flacSpec struct {
	rate, bps  int
	chans      [][]int32 // per channel
	block      int
	layout     frame.Channels // 0: independent channels
	noTotal    bool           // leave STREAMINFO's sample count unknown
	noMD5, bad bool           // omit the MD5 / record a wrong one
}

func buildFLAC(t testing.TB, s flacSpec) []byte {
	t.Helper()
	n, nch := len(s.chans[0]), len(s.chans)
	info := &meta.StreamInfo{
		BlockSizeMin: uint16(s.block), BlockSizeMax: uint16(s.block),
		SampleRate: uint32(s.rate), NChannels: uint8(nch), BitsPerSample: uint8(s.bps),
	}
	if !s.noTotal {
		info.NSamples = uint64(n)
	}
	if !s.noMD5 {
		h := md5.New()
		width := (s.bps + 7) / 8
		for i := range n {
			for _, ch := range s.chans {
				for b := range width {
					h.Write([]byte{byte(uint32(ch[i]) >> (8 * b))})
				}
			}
		}
		copy(info.MD5sum[:], h.Sum(nil))
		if s.bad {
			info.MD5sum[0] ^= 1
		}
	}
	layout := s.layout
	if layout == 0 {
		layout = frame.Channels(nch - 1) // ChannelsMono … 8 channels
	}
	var buf bytes.Buffer
	enc, err := flac.NewEncoder(&buf, info)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < n; off += s.block {
		m := min(s.block, n-off)
		f := &frame.Frame{Header: frame.Header{
			HasFixedBlockSize: true, BlockSize: uint16(m), SampleRate: uint32(s.rate),
			Channels: layout, BitsPerSample: uint8(s.bps),
		}}
		for _, ch := range s.chans {
			f.Subframes = append(f.Subframes, &frame.Subframe{
				SubHeader: frame.SubHeader{Pred: frame.PredVerbatim},
				Samples:   append([]int32(nil), ch[off:off+m]...), NSamples: m,
			})
		}
		if err := enc.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pcm returns nch channels of n samples at bps bits: a tone plus noise,
// full-scale extremes, and a silent stretch (a constant subframe).
func pcm(seed uint64, nch, n, bps int) [][]int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	top := int32(1)<<(bps-1) - 1
	out := make([][]int32, nch)
	for c := range out {
		out[c] = make([]int32, n)
		for i := range n {
			v := 0.6*math.Sin(2*math.Pi*440*float64(i)/8000+float64(c)) + 0.2*(rng.Float64()*2-1)
			out[c][i] = int32(math.Round(v * float64(top)))
			switch {
			case i > n/2 && i < n/2+300:
				out[c][i] = 0
			case i == 7:
				out[c][i] = -top - 1
			case i == 8:
				out[c][i] = top
			}
		}
	}
	return out
}

func TestDecodeFLACExact(t *testing.T) {
	for _, tc := range []struct {
		name               string
		rate, bps, nch, bs int
		layout             frame.Channels
		noTotal, noMD5     bool
	}{
		{"8bit mono", 8000, 8, 1, 4096, 0, false, false},
		{"12bit 3ch", 22050, 12, 3, 1152, 0, false, false},
		{"16bit stereo", 44100, 16, 2, 4096, 0, false, false},
		{"16bit mid/side", 48000, 16, 2, 1000, frame.ChannelsMidSide, false, false},
		{"16bit left/side", 16000, 16, 2, 576, frame.ChannelsLeftSide, true, true},
		{"20bit mono no total", 96000, 20, 1, 4096, 0, true, false},
		{"24bit 6ch", 48000, 24, 6, 4608, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := pcm(uint64(tc.bps), tc.nch, 10000, tc.bps)
			data := buildFLAC(t, flacSpec{rate: tc.rate, bps: tc.bps, chans: src, block: tc.bs,
				layout: tc.layout, noTotal: tc.noTotal, noMD5: tc.noMD5})
			if f := Format(data); f != "flac" {
				t.Fatalf("Format %q", f)
			}
			c, err := DecodeFLAC(data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if c.SampleRate != tc.rate || c.Channels != tc.nch || c.Bits != tc.bps || len(c.Samples) != 10000 {
				t.Fatalf("got %d Hz %d ch %d bit, %d samples", c.SampleRate, c.Channels, c.Bits, len(c.Samples))
			}
			full := math.Ldexp(1, tc.bps-1)
			for i, v := range c.Samples {
				var sum int64
				for _, ch := range src {
					sum += int64(ch[i])
				}
				// Exact: the mean of the source integers, scaled by 2^(bps-1).
				if want := float32(float64(sum) / (float64(tc.nch) * full)); v != want {
					t.Fatalf("sample %d: got %v want %v", i, v, want)
				}
				if tc.nch == 1 && float64(v)*full != float64(src[0][i]) {
					t.Fatalf("sample %d: %v×2^%d is not source integer %d", i, v, tc.bps-1, src[0][i])
				}
			}
		})
	}
}

// A file encoded by the reference encoder (libFLAC -8: LPC subframes,
// stereo decorrelation, seek table, tags) decodes to exactly the same
// samples as its source WAV; its MD5 signature is verified along the way.
func TestDecodeFLACReference(t *testing.T) {
	fl, err := os.ReadFile("testdata/libflac.flac")
	if err != nil {
		t.Fatal(err)
	}
	wv, err := os.ReadFile("testdata/libflac_src.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeClip(fl, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeClip(wv, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got.SampleRate != want.SampleRate || got.Channels != 2 || len(got.Samples) != len(want.Samples) {
		t.Fatalf("flac %d Hz %d ch %d samples; wav %d Hz %d samples", got.SampleRate, got.Channels, len(got.Samples), want.SampleRate, len(want.Samples))
	}
	for i := range want.Samples {
		if got.Samples[i] != want.Samples[i] {
			t.Fatalf("sample %d: flac %v wav %v", i, got.Samples[i], want.Samples[i])
		}
	}
	// Behind an ID3v2 tag it is still FLAC.
	tagged := append(id3Tag(40), fl...)
	if f := Format(tagged); f != "flac" {
		t.Fatalf("ID3-tagged FLAC sniffed as %q", f)
	}
	if c, err := DecodeClip(tagged, DefaultLimits()); err != nil || len(c.Samples) != len(want.Samples) {
		t.Fatalf("ID3-tagged FLAC: %v", err)
	}
}

// id3Tag is an ID3v2.3 tag with n bytes of zero padding as its body.
func id3Tag(n int) []byte {
	return append([]byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}, make([]byte, n)...)
}

func TestDecodeFLACRejects(t *testing.T) {
	src := pcm(9, 2, 8000, 16)
	good := buildFLAC(t, flacSpec{rate: 16000, bps: 16, chans: src, block: 1024})
	noTotal := buildFLAC(t, flacSpec{rate: 16000, bps: 16, chans: src, block: 1024, noTotal: true})
	ref, _ := os.ReadFile("testdata/libflac.flac")
	flip := func(b []byte, at int) []byte {
		b = append([]byte(nil), b...)
		b[at] ^= 0x40
		return b
	}
	lim := DefaultLimits()
	cases := []struct {
		name string
		data []byte
		lim  Limits
	}{
		{"signature only", good[:4], lim},
		{"mid STREAMINFO", good[:20], lim},
		{"no frames", good[:42], lim},
		{"mid first frame", good[:100], lim},
		{"last frame cut", good[:len(good)-5], lim},
		{"last frame missing, total known", good[:len(good)*3/4], lim},
		{"no-total stream cut", noTotal[:len(noTotal)-5], lim},
		{"corrupt frame (CRC)", flip(good, len(good)/2), lim},
		{"corrupt reference frame", flip(ref, len(ref)/2), lim},
		{"MD5 mismatch", buildFLAC(t, flacSpec{rate: 16000, bps: 16, chans: src, block: 1024, bad: true}), lim},
		{"ID3 tag past end", append(id3Tag(1 << 20)[:10:10], good...), lim},
		{"channels over limit", good, Limits{MaxChannels: 1}},
		{"duration over limit (header)", good, Limits{MaxDuration: 300 * time.Millisecond}},
		{"samples over limit", good, Limits{MaxSamples: 1000}},
		{"duration over limit (no total)", noTotal, Limits{MaxDuration: 300 * time.Millisecond}},
		{"bytes over limit", good, Limits{MaxBytes: 1000}},
		{"sample rate 0", func() []byte { b := append([]byte(nil), good...); b[18], b[19], b[20] = 0, 0, b[20]&0x0F; return b }(), lim},
	}
	for _, tc := range cases {
		if _, err := DecodeFLAC(tc.data, tc.lim); !errors.Is(err, ErrBadAudio) {
			t.Errorf("%s: got %v, want ErrBadAudio", tc.name, err)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if _, err := DecodeFLAC(good, lim); err != nil {
		t.Fatalf("good file: %v", err)
	}
}

// A tiny file whose STREAMINFO claims ten minutes allocates nothing like
// ten minutes of samples before failing.
func TestDecodeFLACClaimNotAllocated(t *testing.T) {
	data := buildFLAC(t, flacSpec{rate: 48000, bps: 16, chans: pcm(3, 1, 100, 16), block: 100, noMD5: true})
	// STREAMINFO's 36-bit sample count sits in bytes 21..25 of the file.
	claim := uint64(599 * 48000)
	data[21] = data[21]&0xF0 | byte(claim>>32)
	data[22], data[23], data[24], data[25] = byte(claim>>24), byte(claim>>16), byte(claim>>8), byte(claim)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeFLAC(data, DefaultLimits())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrBadAudio) {
		t.Fatalf("got %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
		t.Fatalf("allocated %d MiB for a %d-byte file", d>>20, len(data))
	}
}

func FuzzDecodeFLAC(f *testing.F) {
	f.Add(buildFLAC(f, flacSpec{rate: 8000, bps: 16, chans: pcm(1, 2, 300, 16), block: 128}))
	f.Add(buildFLAC(f, flacSpec{rate: 8000, bps: 8, chans: pcm(2, 1, 200, 8), block: 64, noTotal: true}))
	f.Add(buildFLAC(f, flacSpec{rate: 8000, bps: 24, chans: pcm(3, 2, 100, 24), block: 100, layout: frame.ChannelsMidSide}))
	if ref, err := os.ReadFile("testdata/libflac.flac"); err == nil {
		f.Add(ref[:min(len(ref), 1500)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDuration: 2 * time.Second, MaxBytes: 1 << 20}
		c, err := DecodeFLAC(data, lim)
		checkFuzzClip(t, c, err, lim, true)
	})
}

// checkFuzzClip asserts the decoder contract on arbitrary input: errors
// wrap ErrBadAudio; clips are non-empty, within MaxDuration and finite
// (and in [-1, 1] for integer formats).
func checkFuzzClip(t *testing.T, c *Clip, err error, lim Limits, integer bool) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrBadAudio) {
			t.Fatalf("error not wrapping ErrBadAudio: %v", err)
		}
		return
	}
	if c == nil || len(c.Samples) == 0 || c.SampleRate <= 0 {
		t.Fatalf("empty clip without error")
	}
	if float64(len(c.Samples)) > lim.MaxDuration.Seconds()*float64(c.SampleRate)+1 {
		t.Fatalf("duration limit not enforced: %d samples at %d Hz", len(c.Samples), c.SampleRate)
	}
	for i, v := range c.Samples {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || (integer && (v < -1 || v > 1)) {
			t.Fatalf("sample %d is %v", i, v)
		}
	}
}
