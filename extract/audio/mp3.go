package audio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// mpegHeader is the part of an MPEG audio frame header the decoder needs.
type mpegHeader struct {
	version  int // 1, 2 or 25 (MPEG-2.5)
	layer    int // 1, 2 or 3
	bitrate  int // bit/s; 0 = free format
	rate     int // Hz
	padding  int
	channels int
	crc      bool
}

var (
	mpegRates      = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
	layer3Bitrates = [2][15]int{
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}, // MPEG-1
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},     // MPEG-2/2.5
	}
)

// parseMPEGHeader decodes the 4-byte frame header at b[0:4]. ok is false
// unless it has the 11-bit sync and no reserved field values (the reserved
// layer value also excludes AAC's ADTS headers).
func parseMPEGHeader(b []byte) (h mpegHeader, ok bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, false
	}
	ver, layer := (b[1]>>3)&3, (b[1]>>1)&3
	br, sr := b[2]>>4, (b[2]>>2)&3
	if ver == 1 || layer == 0 || br == 15 || sr == 3 || b[3]&3 == 2 {
		return h, false
	}
	h = mpegHeader{
		version: [4]int{25, 0, 2, 1}[ver],
		layer:   4 - int(layer),
		rate:    mpegRates[ver][sr],
		padding: int(b[2]>>1) & 1,
		crc:     b[1]&1 == 0,
	}
	h.channels = 2
	if b[3]>>6 == 3 {
		h.channels = 1
	}
	if h.layer == 3 {
		h.bitrate = 1000 * layer3Bitrates[min(h.version, 2)-1][br]
	}
	return h, true
}

// samplesPerFrame of a Layer III frame.
func (h mpegHeader) samplesPerFrame() int {
	if h.version == 1 {
		return 1152
	}
	return 576
}

// size in bytes of a Layer III frame, header included.
func (h mpegHeader) size() int {
	coef := 144
	if h.version != 1 {
		coef = 72
	}
	return coef*h.bitrate/h.rate + h.padding
}

// mpegStream is what a pass over the frame headers tells before decoding.
type mpegStream struct {
	first    mpegHeader
	start    int // offset of the first audio frame (after an Info frame)
	end      int // end of the last complete frame
	frames   int // audio frames, Info frame excluded
	channels int
	// Gapless trim from a LAME/Xing tag: samples to drop at each end.
	trimStart, trimEnd int
}

// scanMPEG walks the frame headers of an MPEG audio stream. It checks what
// go-mp3 would otherwise handle silently or not at all: Layer I/II and
// MPEG-2.5 (unsupported), free-format bit rates, sample-rate changes, a
// truncated last frame (go-mp3 treats it as a clean end), and junk after the
// last frame other than tags or zero padding (a sign of corruption). The
// frame count bounds the decoded length, so limits hold before decoding.
func scanMPEG(b []byte) (*mpegStream, error) {
	s := &mpegStream{}
	off := 0
	for {
		h, ok := parseMPEGHeader(b[off:])
		if !ok {
			break
		}
		switch {
		case h.layer != 3:
			return nil, badAudio("MPEG Layer %d audio is not supported (Layer III only)", h.layer)
		case h.version == 25:
			return nil, badAudio("MPEG-2.5 audio is not supported")
		case h.bitrate == 0:
			return nil, badAudio("free-format MP3 is not supported")
		case s.frames > 0 && h.rate != s.first.rate:
			return nil, badAudio("sample rate changes from %d to %d Hz at offset %d", s.first.rate, h.rate, off)
		}
		n := h.size()
		if off+n > len(b) {
			return nil, badAudio("truncated MP3: frame at offset %d needs %d bytes, %d left", off, n, len(b)-off)
		}
		if off == 0 && s.readInfoFrame(b[:n], h) {
			s.start = n
		} else {
			if s.frames == 0 {
				s.first = h
			}
			s.frames++
			s.channels = max(s.channels, h.channels)
		}
		off += n
	}
	s.end = off
	if s.frames == 0 {
		return nil, badAudio("no MPEG audio frame at offset %d", off)
	}
	tail := b[off:]
	for _, tag := range []string{"TAG", "APETAGEX", "LYRICSBEGIN", "ID3"} {
		if bytes.HasPrefix(tail, []byte(tag)) {
			return s, nil
		}
	}
	if len(bytes.Trim(tail, "\x00")) > 0 {
		return nil, badAudio("corrupt MP3: %d bytes that are not an MPEG frame at offset %d", len(tail), off)
	}
	return s, nil
}

// readInfoFrame recognises a Xing/Info frame, which carries stream metadata
// instead of audio, and reads the encoder delay and padding from a LAME
// tag. Decoders add 529 samples of delay of their own (the synthesis
// filterbank), which the trim includes.
func (s *mpegStream) readInfoFrame(f []byte, h mpegHeader) bool {
	side := 32 // side-information bytes
	switch {
	case h.version == 1 && h.channels == 1, h.version != 1 && h.channels == 2:
		side = 17
	case h.version != 1:
		side = 9
	}
	p := 4 + side
	if h.crc {
		p += 2
	}
	if p+8 > len(f) || (string(f[p:p+4]) != "Xing" && string(f[p:p+4]) != "Info") {
		return false
	}
	flags := binary.BigEndian.Uint32(f[p+4:])
	p += 8
	for _, fl := range []struct {
		bit  uint32
		size int
	}{{1, 4}, {2, 4}, {4, 100}, {8, 4}} {
		if flags&fl.bit != 0 {
			p += fl.size
		}
	}
	// LAME tag: 9-byte encoder version, then the delay/padding pair (12 bits
	// each) 21 bytes in.
	if p+24 <= len(f) {
		enc := string(f[p : p+4])
		if enc == "LAME" || enc == "Lavc" || enc == "Lavf" {
			dp := f[p+21:]
			delay := int(dp[0])<<4 | int(dp[1])>>4
			pad := int(dp[1]&0x0F)<<8 | int(dp[2])
			const decoderDelay = 529
			s.trimStart = delay + decoderDelay
			s.trimEnd = max(0, pad-decoderDelay)
		}
	}
	return true
}

// DecodeMP3 decodes an MPEG-1/2 Layer III stream (optionally behind ID3v2
// tags) to mono at its native rate, averaging the two channels go-mp3
// always produces and scaling its 16-bit output to [-1, 1). Encoder and
// decoder delay are trimmed when a LAME tag records them. The frame count
// is read from the headers first, so MaxDuration is enforced before
// decoding starts (and again while decoding); malformed input of any kind
// yields an error wrapping ErrBadAudio, never a panic.
func DecodeMP3(data []byte, lim Limits) (c *Clip, err error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, badAudio("input of %d bytes exceeds limit %d", len(data), lim.MaxBytes)
	}
	body, err := skipID3v2(data)
	if err != nil {
		return nil, err
	}
	s, err := scanMPEG(body)
	if err != nil {
		return nil, err
	}
	if maxCh := maxChannels(lim); s.channels > maxCh {
		return nil, badAudio("channel count %d (max %d)", s.channels, maxCh)
	}
	rate, spf := s.first.rate, s.first.samplesPerFrame()
	raw := s.frames * spf // bounded by the input: ≥ 24 bytes per 576 samples
	want := max(0, raw-s.trimStart-s.trimEnd)
	maxFrames := limitsFrames(lim, rate)
	if maxFrames > 0 && int64(want) > maxFrames {
		return nil, badAudio("duration %.1fs exceeds limit %s (or %d samples)", float64(want)/float64(rate), lim.MaxDuration, lim.MaxSamples)
	}
	defer recoverBadAudio("MP3", &c, &err)
	// go-mp3 reads headers and resyncs a byte at a time, hence bufio; it also
	// hides Seek, which would make go-mp3 pre-scan the whole stream again.
	dec, err := mp3.NewDecoder(bufio.NewReaderSize(bytes.NewReader(body[s.start:s.end]), 32<<10))
	if err != nil {
		return nil, badAudio("MP3: %v", err)
	}
	if dec.SampleRate() != rate {
		return nil, badAudio("MP3 decoder reports %d Hz, headers say %d", dec.SampleRate(), rate)
	}
	out := make([]float32, 0, raw)
	buf := make([]byte, 4*1152*8)
	for {
		n, rerr := io.ReadFull(dec, buf)
		for i := 0; i+4 <= n; i += 4 {
			l := int16(binary.LittleEndian.Uint16(buf[i:]))
			r := int16(binary.LittleEndian.Uint16(buf[i+2:]))
			out = append(out, float32(int32(l)+int32(r))/65536)
		}
		if maxFrames > 0 && int64(len(out)-s.trimStart) > maxFrames {
			return nil, badAudio("duration exceeds limit %s (or %d samples)", lim.MaxDuration, lim.MaxSamples)
		}
		if len(out) > raw {
			return nil, badAudio("MP3 decoder produced more samples than the stream has frames")
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, badAudio("MP3 frame after %d samples: %v", len(out), rerr)
		}
	}
	if s.trimStart+s.trimEnd < len(out) {
		out = out[s.trimStart : len(out)-s.trimEnd]
	}
	if len(out) == 0 {
		return nil, badAudio("MP3 stream decoded to no audio")
	}
	return &Clip{SampleRate: rate, Samples: out, Channels: s.channels, Bits: 16}, nil
}
