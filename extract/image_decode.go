package extract

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/webp"
)

// ImageLimits bounds what DecodeImage accepts. Zero fields take defaults.
type ImageLimits struct {
	// MaxBytes is the largest encoded file accepted (default 64 MiB).
	MaxBytes int64
	// MaxPixels is the largest width×height accepted (default 50 MP). It is
	// checked from the header before any pixel data is decoded.
	MaxPixels int64
}

// Default image limits.
const (
	DefaultMaxImageBytes  = 64 << 20
	DefaultMaxImagePixels = 50_000_000
)

// DefaultImageLimits returns the default limits (64 MiB, 50 MP).
func DefaultImageLimits() ImageLimits {
	return ImageLimits{MaxBytes: DefaultMaxImageBytes, MaxPixels: DefaultMaxImagePixels}
}

func (l ImageLimits) withDefaults() ImageLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxImageBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxImagePixels
	}
	return l
}

// imageFormat identifies the container from magic bytes; only the formats
// reef supports are recognised (no reliance on global image.RegisterFormat).
func imageFormat(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(b) >= 6 && (bytes.Equal(b[:6], []byte("GIF87a")) || bytes.Equal(b[:6], []byte("GIF89a"))):
		return "gif"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "webp"
	}
	return ""
}

type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var codecs = map[string]codec{ // read-only after init
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode}, // first frame
	"webp": {webp.DecodeConfig, webp.Decode},
}

// DecodeImage decodes a JPEG, PNG, GIF (first frame) or WebP image, applying
// the JPEG EXIF orientation. The header's pixel count is checked against
// limits before the pixel data is decoded. Errors wrap ErrBadImage. JPEGs
// are decoded with libjpeg-turbo when its library is installed (see
// JPEGDecoder), else with Go's image/jpeg.
func DecodeImage(data []byte, limits ImageLimits) (image.Image, error) {
	img, _, err := decodeImageScaled(data, limits, 0)
	return img, err
}

// decodeImageScaled is DecodeImage, except that a JPEG decoded by
// libjpeg-turbo may come out at 1/2, 1/4 or 1/8 of its size (the scaled
// IDCT, much cheaper than decoding every pixel and shrinking afterwards)
// when both sides stay at least minSide. scale is decoded pixels per
// original pixel (1 unless scaled), for mapping coordinates given in the
// original image.
func decodeImageScaled(data []byte, limits ImageLimits, minSide int) (img image.Image, scale float64, err error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return nil, 0, fmt.Errorf("%w: %d bytes exceeds the %d-byte limit", ErrBadImage, len(data), limits.MaxBytes)
	}
	format := imageFormat(data)
	if format == "" {
		return nil, 0, fmt.Errorf("%w: unsupported or unrecognised format (want JPEG, PNG, GIF or WebP)", ErrBadImage)
	}
	if format == "jpeg" && turboLoad() {
		img, scale, final, err := decodeJPEGTurbo(data, limits, minSide)
		if err == nil || final {
			return img, scale, err
		}
		// libjpeg-turbo refused it (corrupt data, CMYK, 12-bit, …): Go's
		// decoder gives the verdict, so what is accepted does not change.
	}
	img, err = decodeImageGo(data, format, limits)
	return img, 1, err
}

// decodeJPEGTurbo decodes with libjpeg-turbo, scaled by the largest power
// of two ≤ 8 that keeps both sides ≥ minSide. final marks an error that
// stands (the header breaks the limits); others let Go's decoder decide.
func decodeJPEGTurbo(data []byte, limits ImageLimits, minSide int) (img image.Image, scale float64, final bool, err error) {
	w, h, err := turboHeader(data)
	if err != nil {
		return nil, 0, false, err
	}
	if w <= 0 || h <= 0 {
		return nil, 0, false, fmt.Errorf("%w: jpeg has empty dimensions %dx%d", ErrBadImage, w, h)
	}
	if px := int64(w) * int64(h); px > limits.MaxPixels {
		return nil, 0, true, fmt.Errorf("%w: %dx%d = %d pixels exceeds the %d-pixel limit", ErrBadImage, w, h, px, limits.MaxPixels)
	}
	den := 1
	for den < 8 && minSide > 0 && ceilDiv(w, 2*den) >= minSide && ceilDiv(h, 2*den) >= minSide {
		den *= 2
	}
	rgba, err := turboDecode(data, w, h, den)
	if err != nil {
		return nil, 0, false, err
	}
	img = rgba
	if o := EXIFOrientation(data); o > 1 {
		img = ApplyOrientation(img, o)
	}
	return img, 1 / float64(den), false, nil
}

// decodeImageGo decodes with the Go codecs.
func decodeImageGo(data []byte, format string, limits ImageLimits) (img image.Image, err error) {
	c := codecs[format]
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrBadImage, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s has empty dimensions %dx%d", ErrBadImage, format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > limits.MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d = %d pixels exceeds the %d-pixel limit", ErrBadImage, cfg.Width, cfg.Height, px, limits.MaxPixels)
	}
	// Third-party decoders are not guaranteed panic-free on hostile input.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: %s decoder failed: %v", ErrBadImage, format, r)
		}
	}()
	img, err = c.decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s is truncated: %v", ErrBadImage, format, err)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrBadImage, format, err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%w: decoded image is empty", ErrBadImage)
	}
	if format == "jpeg" {
		if o := EXIFOrientation(data); o > 1 {
			img = ApplyOrientation(img, o)
		}
	}
	return img, nil
}

// DecodeImageFile reads and decodes a file, refusing files over
// limits.MaxBytes without reading them fully.
func DecodeImageFile(path string, limits ImageLimits) (image.Image, error) {
	img, _, err := decodeFileScaled(path, limits, 0)
	return img, err
}

// decodeFileScaled is DecodeImageFile with decodeImageScaled's scaling.
func decodeFileScaled(path string, limits ImageLimits, minSide int) (image.Image, float64, error) {
	limits = limits.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limits.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: reading %s: %v", ErrBadImage, path, err)
	}
	img, scale, err := decodeImageScaled(data, limits, minSide)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return img, scale, nil
}
