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
// limits before the pixel data is decoded. Errors wrap ErrBadImage.
func DecodeImage(data []byte, limits ImageLimits) (img image.Image, err error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds the %d-byte limit", ErrBadImage, len(data), limits.MaxBytes)
	}
	format := imageFormat(data)
	if format == "" {
		return nil, fmt.Errorf("%w: unsupported or unrecognised format (want JPEG, PNG, GIF or WebP)", ErrBadImage)
	}
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
	limits = limits.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limits.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrBadImage, path, err)
	}
	img, err := DecodeImage(data, limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
