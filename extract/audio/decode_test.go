package audio

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	wav := buildWAV(8000, 1, 16, false, tone(440, 8000, 0.01, 0.5))
	flacFile := readFixture(t, "testdata/libflac.flac")
	mono := readFixture(t, mp3Mono44)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"wav", wav, "wav"},
		{"flac", flacFile, "flac"},
		{"ID3v2 + flac", append(id3Tag(16), flacFile...), "flac"},
		{"mp3 frame sync", mono, "mp3"},
		{"ID3v2 + mp3", readFixture(t, mp3Stereo22), "mp3"},
		{"ID3v2, truncated", []byte("ID3\x03"), "mp3"},
		{"AAC ADTS", []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC}, ""},
		{"reserved MPEG version", []byte{0xFF, 0xEB, 0x90, 0x00}, ""},
		{"RIFF but AVI", []byte("RIFF\x00\x00\x00\x00AVI LIST"), ""},
		{"Ogg", []byte("OggS\x00\x02"), ""},
		{"empty", nil, ""},
		{"short", []byte{0xFF}, ""},
	} {
		if got := Format(tc.data); got != tc.want {
			t.Errorf("%s: Format %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Decode sniffs each container and always returns 16 kHz mono.
func TestDecodeAllFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		dur  float64 // seconds
		tol  float64
	}{
		{"wav 44.1k stereo", buildWAV(44100, 2, 16, false, tone(440, 44100, 1, 0.5)) /* 2 channels: 0.5 s */, 0.5, 0.001},
		{"flac 8k stereo", readFixture(t, "testdata/libflac.flac"), 0.25, 0.001},
		{"mp3 44.1k mono", readFixture(t, mp3Mono44), 1.0, 0.075},
		{"mp3 22.05k stereo", readFixture(t, mp3Stereo22), 0.75, 0.001},
	} {
		s, err := Decode(tc.data, DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := float64(len(s)) / SampleRate; d < tc.dur-0.001 || d > tc.dur+tc.tol {
			t.Errorf("%s: %.4fs at 16 kHz, want %.3fs", tc.name, d, tc.dur)
		}
		for i, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: sample %d = %v", tc.name, i, v)
			}
		}
	}
	for name, data := range map[string][]byte{
		"unknown": []byte("OggS\x00\x02 not supported"),
		"empty":   nil,
		"huge":    make([]byte, 2000),
	} {
		_, err := Decode(data, Limits{MaxBytes: 1000})
		if !errors.Is(err, ErrBadAudio) {
			t.Errorf("%s: got %v, want ErrBadAudio", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	mono := readFixture(f, mp3Mono44)
	flacFile := readFixture(f, "testdata/libflac.flac")
	f.Add(buildWAV(8000, 2, 16, false, tone(440, 8000, 0.01, 0.5)))
	f.Add(buildWAV(11025, 1, 32, true, tone(440, 11025, 0.01, 0.5)))
	f.Add(flacFile[:min(len(flacFile), 1200)])
	f.Add(buildFLAC(f, flacSpec{rate: 22050, bps: 16, chans: pcm(4, 1, 200, 16), block: 100}))
	f.Add(mono[:frameOffsets(mono)[4]])
	f.Add(append(id3Tag(4), mono[:frameOffsets(mono)[2]]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxDuration: 2 * time.Second, MaxBytes: 1 << 20}
		s, err := Decode(data, lim)
		if err != nil {
			if !errors.Is(err, ErrBadAudio) {
				t.Fatalf("error not wrapping ErrBadAudio: %v", err)
			}
			return
		}
		// 16 kHz output of at most 2 s, plus rounding.
		if len(s) == 0 || len(s) > 2*SampleRate+1 {
			t.Fatalf("%d samples", len(s))
		}
		for i, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("sample %d = %v", i, v)
			}
		}
	})
}

// BenchmarkDecode: native-rate decoding (clip) and the full Decode to
// 16 kHz (16k), reported as seconds of audio per second of CPU.
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		data []byte
		secs float64
	}{
		{"wav_44k_stereo_10s", buildWAV(44100, 2, 16, false, tone(440, 44100, 20, 0.5)), 10},
		{"flac_44k_stereo_10s", buildFLAC(b, flacSpec{rate: 44100, bps: 16, chans: pcm(1, 2, 441000, 16), block: 4096}), 10},
		{"flac_libflac_8k_0.25s", readFixture(b, "testdata/libflac.flac"), 0.25},
		{"mp3_44k_mono_1s", readFixture(b, mp3Mono44), 1.0449},
		{"mp3_22k_stereo_0.75s", readFixture(b, mp3Stereo22), 0.75},
	}
	for _, tc := range cases {
		for _, full := range []bool{false, true} {
			name := tc.name + "/clip"
			if full {
				name = tc.name + "/16k"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(tc.data)))
				for b.Loop() {
					var err error
					if full {
						_, err = Decode(tc.data, DefaultLimits())
					} else {
						_, err = DecodeClip(tc.data, DefaultLimits())
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(tc.secs*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
			})
		}
	}
}

// A panic inside a wrapped decoder comes back as ErrBadAudio.
func TestRecoverBadAudio(t *testing.T) {
	decode := func() (c *Clip, err error) {
		defer recoverBadAudio("test", &c, &err)
		c = &Clip{}
		var idx []int
		_ = idx[3] // index out of range, as a hostile file might cause
		return c, nil
	}
	c, err := decode()
	if c != nil || !errors.Is(err, ErrBadAudio) {
		t.Fatalf("got %v, %v", c, err)
	}
	t.Log(err)
}
