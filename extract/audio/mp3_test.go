package audio

import (
	"errors"
	"math"
	"os"
	"testing"
	"time"
)

// Fixtures made by testdata/gen.sh with lame 3.100 from sox-generated
// 440 Hz sines of amplitude 0.5.
const (
	mp3Mono44   = "testdata/tone440_44k_mono.mp3"       // 1 s, CBR 64k, no Info frame
	mp3Stereo22 = "testdata/tone440_22k_stereo_vbr.mp3" // 0.75 s, MPEG-2, VBR, LAME tag, ID3v2+v1
)

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// frameOffsets lists where each MPEG frame of an (untagged) stream starts.
func frameOffsets(b []byte) []int {
	var offs []int
	for off := 0; ; {
		h, ok := parseMPEGHeader(b[off:])
		if !ok || h.layer != 3 || off+h.size() > len(b) {
			return offs
		}
		offs = append(offs, off)
		off += h.size()
	}
}

func TestDecodeMP3Tone(t *testing.T) {
	for _, tc := range []struct {
		path           string
		rate, channels int
		// Source length and how many extra samples decoding may add: without
		// a LAME tag the encoder delay and last-frame padding stay in.
		src, slack int
	}{
		{mp3Mono44, 44100, 1, 44100, 2*1152 + 1105},
		{mp3Stereo22, 22050, 2, 16538, 0}, // gapless trim: exact length
	} {
		t.Run(tc.path, func(t *testing.T) {
			data := readFixture(t, tc.path)
			if f := Format(data); f != "mp3" {
				t.Fatalf("Format %q", f)
			}
			c, err := DecodeMP3(data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if c.SampleRate != tc.rate || c.Channels != tc.channels {
				t.Fatalf("got %d Hz, %d channels", c.SampleRate, c.Channels)
			}
			if n := len(c.Samples); n < tc.src || n > tc.src+tc.slack {
				t.Fatalf("%d samples, want %d (+%d)", n, tc.src, tc.slack)
			}
			s, err := Decode(data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			mid := s[len(s)/2-1024 : len(s)/2+1024]
			f := dominantFreq(mid, SampleRate)
			amp := rms(mid) * math.Sqrt2
			t.Logf("%s: %d samples (%v), dominant %.2f Hz, amplitude %.3f", tc.path, len(c.Samples), c.Duration(), f, amp)
			if math.Abs(f-440) > 2 || math.Abs(amp-0.5) > 0.05 {
				t.Fatalf("tone decoded as %.2f Hz amplitude %.3f, want 440 Hz 0.5", f, amp)
			}
			for i, v := range c.Samples {
				if !(v >= -1 && v <= 1) {
					t.Fatalf("sample %d = %v", i, v)
				}
			}
		})
	}
}

func TestDecodeMP3Rejects(t *testing.T) {
	mono := readFixture(t, mp3Mono44)
	stereo := readFixture(t, mp3Stereo22)
	offs := frameOffsets(mono)
	if len(offs) != 40 {
		t.Fatalf("fixture has %d frames, want 40", len(offs))
	}
	mut := func(at int, f func(b []byte)) []byte {
		b := append([]byte(nil), mono...)
		f(b[at:])
		return b
	}
	lim := DefaultLimits()
	cases := []struct {
		name string
		data []byte
		lim  Limits
	}{
		{"header only", mono[:3], lim},
		{"last frame cut", mono[:len(mono)-100], lim},
		{"cut before ID3v1", stereo[:len(stereo)-128-40], lim},
		{"ID3v2 only", id3Tag(20), lim},
		{"ID3v2 past end", append(id3Tag(1 << 20)[:10:10], mono...), lim},
		{"corrupt frame header", mut(offs[10], func(b []byte) { b[0], b[1] = 0x12, 0x34 }), lim},
		{"Layer II", mut(0, func(b []byte) { b[1] = b[1]&^0x06 | 0x04 }), lim},
		{"MPEG-2.5", mut(0, func(b []byte) { b[1] &^= 0x18 }), lim},
		{"free format", mut(0, func(b []byte) { b[2] &= 0x0F }), lim},
		{"rate change", mut(offs[5], func(b []byte) { b[2] = b[2]&^0x0C | 0x04 }), lim},
		{"duration over limit", mono, Limits{MaxDuration: 500 * time.Millisecond}},
		{"samples over limit", mono, Limits{MaxSamples: 1000}},
		{"channels over limit", stereo, Limits{MaxChannels: 1}},
		{"bytes over limit", mono, Limits{MaxBytes: 1000}},
	}
	for _, tc := range cases {
		if _, err := DecodeMP3(tc.data, tc.lim); !errors.Is(err, ErrBadAudio) {
			t.Errorf("%s: got %v, want ErrBadAudio", tc.name, err)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	// Trailing zero padding and a cut at a frame boundary are fine.
	for name, b := range map[string][]byte{
		"zero padding":   append(append([]byte(nil), mono...), make([]byte, 300)...),
		"frame boundary": mono[:offs[20]],
	} {
		if _, err := DecodeMP3(b, lim); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeMP3(f *testing.F) {
	mono := readFixture(f, mp3Mono44)
	stereo := readFixture(f, mp3Stereo22)
	f.Add(mono[:frameOffsets(mono)[6]])
	f.Add(stereo)
	f.Add(append(id3Tag(8), mono[:frameOffsets(mono)[3]]...))
	f.Add(mono[:600])
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDuration: 2 * time.Second, MaxBytes: 1 << 20}
		c, err := DecodeMP3(data, lim)
		checkFuzzClip(t, c, err, lim, true)
	})
}
