package audio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

const (
	wavFormatPCM        = 1
	wavFormatFloat      = 3
	wavFormatExtensible = 0xFFFE
	maxFmtChunk         = 1 << 12 // real fmt chunks are 16, 18 or 40 bytes
	maxSampleRate       = 768000
	// maxFloatSample bounds float samples. Float WAV is nominally ±1; 60 dB
	// of headroom covers any real overshoot, while values near the float32
	// limit (3.4e38) are corruption and overflow to ±Inf once filtered.
	maxFloatSample = 1e3
)

type wavFormat struct {
	tag        uint16
	channels   int
	rate       int
	blockAlign int
	bits       int
	float      bool
}

// countingReader tracks the number of bytes consumed and enforces MaxBytes.
type countingReader struct {
	r   *bufio.Reader
	n   int64
	max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.max > 0 {
		left := c.max - c.n
		if left <= 0 {
			return 0, badAudio("input exceeds %d bytes", c.max)
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readFull reads exactly len(p) bytes, mapping short reads to ErrBadAudio.
func readFull(r io.Reader, p []byte, what string) error {
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, ErrBadAudio) {
			return err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badAudio("truncated %s", what)
		}
		return fmt.Errorf("audio: reading %s: %w", what, err)
	}
	return nil
}

// DecodeWAVBytes is DecodeWAV over an in-memory file.
func DecodeWAVBytes(data []byte, lim Limits) (*Clip, error) {
	return DecodeWAV(bytes.NewReader(data), lim)
}

// DecodeWAV parses a RIFF/WAVE stream (PCM 8/16/24/32-bit integer, 32/64-bit
// IEEE float, WAVE_FORMAT_EXTENSIBLE with those sub-formats, any channel
// count up to Limits.MaxChannels) and returns it downmixed to mono by
// averaging channels. Chunks other than "fmt " and "data" are skipped. The
// reader is wrapped in a bufio.Reader; it is read up to the end of the data
// chunk only. Malformed, truncated or over-limit input yields an error
// wrapping ErrBadAudio; the decoder never panics on any input.
func DecodeWAV(r io.Reader, lim Limits) (*Clip, error) {
	maxCh := lim.MaxChannels
	if maxCh <= 0 {
		maxCh = 64
	}
	cr := &countingReader{r: bufio.NewReaderSize(r, 64<<10), max: lim.MaxBytes}
	var hdr [12]byte
	if err := readFull(cr, hdr[:], "RIFF header"); err != nil {
		return nil, err
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, badAudio("not a RIFF/WAVE file")
	}
	var fmtc *wavFormat
	for {
		var ch [8]byte
		if err := readFull(cr, ch[:], "chunk header"); err != nil {
			if fmtc == nil {
				return nil, badAudio("no fmt chunk")
			}
			return nil, badAudio("no data chunk")
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if fmtc != nil {
				return nil, badAudio("duplicate fmt chunk")
			}
			if size < 16 || size > maxFmtChunk {
				return nil, badAudio("fmt chunk size %d", size)
			}
			buf := make([]byte, size+size&1)
			if err := readFull(cr, buf, "fmt chunk"); err != nil {
				return nil, err
			}
			f, err := parseFmt(buf[:size], maxCh)
			if err != nil {
				return nil, err
			}
			fmtc = f
		case "data":
			if fmtc == nil {
				return nil, badAudio("data chunk before fmt chunk")
			}
			return readData(cr, fmtc, size, lim)
		default:
			if err := skip(cr, size+size&1); err != nil {
				return nil, err
			}
		}
	}
}

func skip(r io.Reader, n int64) error {
	got, err := io.CopyN(io.Discard, r, n)
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, ErrBadAudio) {
			return err
		}
		return fmt.Errorf("audio: skipping chunk: %w", err)
	}
	if got != n {
		return badAudio("truncated chunk")
	}
	return nil
}

func parseFmt(b []byte, maxCh int) (*wavFormat, error) {
	le := binary.LittleEndian
	f := &wavFormat{
		tag:        le.Uint16(b[0:2]),
		channels:   int(le.Uint16(b[2:4])),
		rate:       int(le.Uint32(b[4:8])),
		blockAlign: int(le.Uint16(b[12:14])),
		bits:       int(le.Uint16(b[14:16])),
	}
	tag := f.tag
	if tag == wavFormatExtensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
		if len(b) < 40 || le.Uint16(b[16:18]) < 22 {
			return nil, badAudio("short WAVE_FORMAT_EXTENSIBLE fmt chunk")
		}
		tag = le.Uint16(b[24:26])
	}
	switch tag {
	case wavFormatPCM:
		switch f.bits {
		case 8, 16, 24, 32:
		default:
			return nil, badAudio("unsupported PCM bit depth %d", f.bits)
		}
	case wavFormatFloat:
		if f.bits != 32 && f.bits != 64 {
			return nil, badAudio("unsupported float bit depth %d", f.bits)
		}
		f.float = true
	default:
		return nil, badAudio("unsupported WAV format tag 0x%04x", tag)
	}
	if f.channels < 1 || f.channels > maxCh {
		return nil, badAudio("channel count %d (max %d)", f.channels, maxCh)
	}
	if f.rate < 1000 || f.rate > maxSampleRate {
		return nil, badAudio("sample rate %d Hz", f.rate)
	}
	if want := f.channels * f.bits / 8; f.blockAlign != want {
		return nil, badAudio("block align %d, want %d", f.blockAlign, want)
	}
	return f, nil
}

// readData reads and downmixes the data chunk. size comes from the header
// and is validated against the limits before allocation.
func readData(r io.Reader, f *wavFormat, size int64, lim Limits) (*Clip, error) {
	frames := size / int64(f.blockAlign)
	if frames == 0 {
		return nil, badAudio("empty data chunk")
	}
	if lim.MaxBytes > 0 && size > lim.MaxBytes {
		return nil, badAudio("data chunk of %d bytes exceeds limit %d", size, lim.MaxBytes)
	}
	if maxFrames := limitsFrames(lim, f.rate); maxFrames > 0 && frames > maxFrames {
		return nil, badAudio("duration %.1fs exceeds limit %s (or %d samples)", float64(frames)/float64(f.rate), lim.MaxDuration, lim.MaxSamples)
	}
	if frames > math.MaxInt32 {
		return nil, badAudio("data chunk too large")
	}
	// The header's size is only a claim: a 44-byte file may declare 255 MiB
	// of data. Grow the output as data actually arrives instead of
	// allocating the claimed size up front.
	out := make([]float32, 0, min(frames, maxPrealloc))
	bps := f.bits / 8
	inv := 1 / float64(f.channels)
	// Read in blocks of whole frames.
	perBlock := max(1, (64<<10)/f.blockAlign)
	buf := make([]byte, perBlock*f.blockAlign)
	for idx := int64(0); idx < frames; {
		n := min(int64(perBlock), frames-idx)
		b := buf[:n*int64(f.blockAlign)]
		if err := readFull(r, b, "data chunk"); err != nil {
			return nil, err
		}
		for i := int64(0); i < n; i++ {
			fr := b[i*int64(f.blockAlign):]
			var acc float64
			for c := 0; c < f.channels; c++ {
				v, ok := sampleAt(fr[c*bps:], f)
				if !ok {
					return nil, badAudio("non-finite float sample at frame %d", idx+i)
				}
				// Also rejects values finite in float64 that would overflow
				// float32 (1e300 → +Inf) or the resampler's sums.
				if math.Abs(v) > maxFloatSample {
					return nil, badAudio("float sample %g at frame %d is outside ±%g", v, idx+i, float64(maxFloatSample))
				}
				acc += v
			}
			out = append(out, float32(acc*inv))
		}
		idx += n
	}
	return &Clip{SampleRate: f.rate, Samples: out, Channels: f.channels, Bits: f.bits}, nil
}

// sampleAt decodes one sample; integer formats are scaled to [-1, 1).
func sampleAt(b []byte, f *wavFormat) (float64, bool) {
	le := binary.LittleEndian
	if f.float {
		var v float64
		if f.bits == 32 {
			v = float64(math.Float32frombits(le.Uint32(b)))
		} else {
			v = math.Float64frombits(le.Uint64(b))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}
		return v, true
	}
	switch f.bits {
	case 8:
		return (float64(b[0]) - 128) / 128, true
	case 16:
		return float64(int16(le.Uint16(b))) / 32768, true
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float64(v) / 8388608, true
	default:
		return float64(int32(le.Uint32(b))) / 2147483648, true
	}
}
