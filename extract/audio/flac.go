package audio

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
)

// recoverBadAudio turns a panic inside a third-party decoder into an
// ErrBadAudio error. The decoders index into buffers sized from the input
// and can panic on hostile files; the decoder state is discarded with the
// error, so nothing observes it afterwards.
func recoverBadAudio(codec string, c **Clip, err *error) {
	if r := recover(); r != nil {
		*c = nil
		*err = badAudio("%s decoder failed on malformed input: %v", codec, r)
	}
}

// limitsFrames is the tighter of MaxDuration at rate and MaxSamples, in
// sample frames (0 = none).
func limitsFrames(lim Limits, rate int) int64 {
	var n int64
	if lim.MaxDuration > 0 {
		n = int64(lim.MaxDuration.Seconds() * float64(rate))
	}
	if lim.MaxSamples > 0 && (n == 0 || lim.MaxSamples < n) {
		n = lim.MaxSamples
	}
	return n
}

// DecodeFLAC decodes a FLAC stream (optionally behind an ID3v2 tag) to mono
// at its native rate: channels are averaged and integer samples scaled to
// [-1, 1). Limits are checked against STREAMINFO before any sample buffer is
// allocated; when STREAMINFO leaves the length unknown, MaxDuration is
// enforced frame by frame. Frame CRCs are checked by the decoder, and the
// STREAMINFO MD5 of the decoded audio when the encoder recorded one, so a
// truncated or corrupted file yields an error wrapping ErrBadAudio, never
// partial audio or a panic.
func DecodeFLAC(data []byte, lim Limits) (c *Clip, err error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, badAudio("input of %d bytes exceeds limit %d", len(data), lim.MaxBytes)
	}
	body, err := skipID3v2(data)
	if err != nil {
		return nil, err
	}
	defer recoverBadAudio("FLAC", &c, &err)
	// flac.New buffers its reader itself (bufio), so the frame parser's
	// bit-level reads do not hit the bytes.Reader one at a time.
	stream, err := flac.New(bytes.NewReader(body))
	if err != nil {
		return nil, badAudio("FLAC header: %v", err)
	}
	info := stream.Info
	rate, nch, bps := int(info.SampleRate), int(info.NChannels), int(info.BitsPerSample)
	if maxCh := maxChannels(lim); nch < 1 || nch > maxCh {
		return nil, badAudio("channel count %d (max %d)", nch, maxCh)
	}
	if rate < 1000 || rate > maxSampleRate {
		return nil, badAudio("sample rate %d Hz", rate)
	}
	if bps < 4 || bps > 32 {
		return nil, badAudio("FLAC bit depth %d", bps)
	}
	total := int64(info.NSamples) // 0: unknown
	maxFrames := limitsFrames(lim, rate)
	if total < 0 || total > math.MaxInt32 {
		return nil, badAudio("FLAC declares %d samples", info.NSamples)
	}
	if maxFrames > 0 && total > maxFrames {
		return nil, badAudio("duration %.1fs exceeds limit %s (or %d samples)", float64(total)/float64(rate), lim.MaxDuration, lim.MaxSamples)
	}
	var sum hash.Hash
	if info.MD5sum != [md5.Size]byte{} {
		sum = md5.New()
	}
	out := make([]float32, 0, min(max(total, 4096), maxPrealloc))
	scale := 1 / (float64(nch) * math.Ldexp(1, bps-1))
	lo, hi := -int64(1)<<(bps-1), int64(1)<<(bps-1)-1
	for n := 0; total == 0 || int64(len(out)) < total; n++ {
		fr, err := stream.Next()
		if errors.Is(err, io.EOF) && total == 0 {
			break
		}
		if err != nil {
			return nil, flacFrameErr(n, len(out), total, err)
		}
		if err := checkFLACFrame(fr, nch, bps, rate); err != nil {
			return nil, badAudio("FLAC frame %d: %v", n, err)
		}
		if err := fr.Parse(); err != nil {
			return nil, flacFrameErr(n, len(out), total, err)
		}
		m := len(fr.Subframes[0].Samples)
		for _, sf := range fr.Subframes {
			if len(sf.Samples) != m {
				return nil, badAudio("FLAC frame %d: subframes of unequal length", n)
			}
		}
		if next := int64(len(out) + m); (total > 0 && next > total) || (maxFrames > 0 && next > maxFrames) {
			if total > 0 && next > total {
				return nil, badAudio("FLAC frame %d runs past the %d samples STREAMINFO declares", n, total)
			}
			return nil, badAudio("duration exceeds limit %s (or %d samples)", lim.MaxDuration, lim.MaxSamples)
		}
		for i := range m {
			var acc int64
			for _, sf := range fr.Subframes {
				v := int64(sf.Samples[i])
				// Crafted predictors can overflow past the declared depth
				// while the CRC still matches; such audio is not valid FLAC.
				if v < lo || v > hi {
					return nil, badAudio("FLAC frame %d: sample %d outside the %d-bit range", n, v, bps)
				}
				acc += v
			}
			out = append(out, float32(float64(acc)*scale))
		}
		if sum != nil {
			hashFLACFrame(sum, fr, bps)
		}
	}
	if len(out) == 0 {
		return nil, badAudio("FLAC stream has no audio frames")
	}
	if sum != nil && !bytes.Equal(sum.Sum(nil), info.MD5sum[:]) {
		return nil, badAudio("FLAC audio does not match its STREAMINFO MD5 signature")
	}
	return &Clip{SampleRate: rate, Samples: out, Channels: nch, Bits: bps}, nil
}

// flacFrameErr names a frame-level failure; running out of input is
// reported as truncation.
func flacFrameErr(n, got int, total int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if total > 0 {
			return badAudio("truncated FLAC stream: frame %d ends early, %d of %d samples", n, got, total)
		}
		return badAudio("truncated FLAC stream: frame %d ends early", n)
	}
	return badAudio("FLAC frame %d: %v", n, err)
}

// checkFLACFrame rejects frame headers that contradict STREAMINFO. A zero
// bit depth means "see STREAMINFO"; the library leaves it unset, so it is
// filled in here before the subframes are parsed with it.
func checkFLACFrame(fr *frame.Frame, nch, bps, rate int) error {
	if fr.BitsPerSample == 0 {
		fr.BitsPerSample = uint8(bps)
	}
	switch {
	case int(fr.BitsPerSample) != bps:
		return fmt.Errorf("bit depth %d differs from STREAMINFO %d", fr.BitsPerSample, bps)
	case fr.Channels.Count() != nch:
		return fmt.Errorf("%d channels, STREAMINFO says %d", fr.Channels.Count(), nch)
	case fr.SampleRate != 0 && int(fr.SampleRate) != rate:
		return fmt.Errorf("sample rate %d Hz, STREAMINFO says %d", fr.SampleRate, rate)
	}
	return nil
}

// hashFLACFrame feeds the frame's samples to the running MD5 the way the
// FLAC format defines its signature: interleaved, little-endian, signed,
// ⌈bps/8⌉ bytes per sample.
func hashFLACFrame(h hash.Hash, fr *frame.Frame, bps int) {
	width := (bps + 7) / 8
	m := len(fr.Subframes[0].Samples)
	buf := make([]byte, 0, m*len(fr.Subframes)*width)
	for i := range m {
		for _, sf := range fr.Subframes {
			v := uint32(sf.Samples[i])
			for b := range width {
				buf = append(buf, byte(v>>(8*b)))
			}
		}
	}
	h.Write(buf)
}
