package audio

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// ErrBadAudio is wrapped by every error caused by the audio input itself:
// malformed or truncated containers, unsupported encodings and inputs over
// the configured Limits.
var ErrBadAudio = errors.New("audio: bad audio")

func badAudio(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadAudio}, args...)...)
}

// Limits bound what the decoders accept. Where the container states its
// length (WAV data chunk, FLAC STREAMINFO, MP3 frame headers, which are
// scanned before decoding) they are checked before any audio is decoded;
// a FLAC stream of unstated length is checked frame by frame. Sample
// buffers grow with the audio actually decoded, not with a header's claim.
type Limits struct {
	// MaxDuration is the longest accepted clip; 0 means no limit.
	MaxDuration time.Duration
	// MaxBytes bounds the total number of input bytes read (header, skipped
	// chunks and sample data); 0 means no limit.
	MaxBytes int64
	// MaxChannels bounds the channel count; 0 means 64.
	MaxChannels int
	// MaxSamples bounds the decoded mono samples (4 bytes each), whatever
	// the rate: without it a tiny FLAC of silence at 768 kHz could claim
	// 10 minutes and 1.8 GB. 0 means no limit.
	MaxSamples int64
}

// DefaultLimits allows up to 10 minutes, 256 MiB of input and 10 minutes'
// worth of samples at 48 kHz (28.8 M, 115 MB decoded).
func DefaultLimits() Limits {
	return Limits{MaxDuration: 10 * time.Minute, MaxBytes: 256 << 20, MaxChannels: 64, MaxSamples: 10 * 60 * 48000}
}

// Clip is decoded, downmixed (mono) audio at its native sample rate, with
// samples in [-1, 1] for integer encodings (float WAV is passed through
// unscaled; the decoder rejects float samples beyond ±1000).
type Clip struct {
	SampleRate int
	Samples    []float32
	// Channels is the channel count of the source before downmixing.
	Channels int
	// Bits is the source sample width (16 for MP3, the decoder's output).
	Bits int
}

// Duration of the clip.
func (c *Clip) Duration() time.Duration {
	if c.SampleRate <= 0 {
		return 0
	}
	return time.Duration(float64(len(c.Samples)) / float64(c.SampleRate) * float64(time.Second))
}

// Container names returned by Format.
const (
	FormatWAV  = "wav"
	FormatFLAC = "flac"
	FormatMP3  = "mp3"
)

// Format names the container of an audio file from its magic bytes:
// "wav" (RIFF/WAVE), "flac" ("fLaC", also behind an ID3v2 tag), "mp3" (an
// ID3v2 tag or an MPEG audio frame header at offset 0), or "" when none
// matches. It looks at headers only and does not validate the rest.
func Format(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		return FormatWAV
	case bytes.HasPrefix(data, []byte("fLaC")):
		return FormatFLAC
	case bytes.HasPrefix(data, []byte("ID3")):
		// FLAC files are sometimes tagged with ID3v2 as well.
		if body, err := skipID3v2(data); err == nil && bytes.HasPrefix(body, []byte("fLaC")) {
			return FormatFLAC
		}
		return FormatMP3
	}
	if _, ok := parseMPEGHeader(data); ok {
		return FormatMP3
	}
	return ""
}

// DecodeClip decodes a WAV, FLAC or MP3 file, sniffed by Format, to mono at
// its native sample rate. Every malformed, unsupported or over-limit input
// yields an error wrapping ErrBadAudio.
func DecodeClip(data []byte, lim Limits) (*Clip, error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, badAudio("input of %d bytes exceeds limit %d", len(data), lim.MaxBytes)
	}
	switch Format(data) {
	case FormatWAV:
		return DecodeWAVBytes(data, lim)
	case FormatFLAC:
		return DecodeFLAC(data, lim)
	case FormatMP3:
		return DecodeMP3(data, lim)
	}
	return nil, badAudio("unrecognised audio format (supported: WAV, FLAC, MP3)")
}

// maxPrealloc caps how many output samples a decoder reserves from a
// header's claim; beyond it the slice grows as audio actually decodes, so a
// tiny file declaring hours of audio costs nothing until it delivers them.
const maxPrealloc = 1 << 20

func maxChannels(lim Limits) int {
	if lim.MaxChannels <= 0 {
		return 64
	}
	return lim.MaxChannels
}

// skipID3v2 returns data after any leading ID3v2 tags (and zero padding
// some taggers leave after them), or data itself when there is none. Tag
// sizes are checked against the input here so that no decoder is asked to
// skip or allocate past the end.
func skipID3v2(data []byte) ([]byte, error) {
	for bytes.HasPrefix(data, []byte("ID3")) {
		if len(data) < 10 {
			return nil, badAudio("truncated ID3v2 header")
		}
		sz := data[6:10]
		if (sz[0]|sz[1]|sz[2]|sz[3])&0x80 != 0 {
			return nil, badAudio("ID3v2 tag size is not synchsafe")
		}
		n := 10 + (int(sz[0])<<21 | int(sz[1])<<14 | int(sz[2])<<7 | int(sz[3]))
		if data[5]&0x10 != 0 { // footer present
			n += 10
		}
		if n > len(data) {
			return nil, badAudio("ID3v2 tag of %d bytes exceeds the %d-byte input", n, len(data))
		}
		data = data[n:]
		for len(data) > 0 && data[0] == 0 {
			data = data[1:]
		}
	}
	return data, nil
}
