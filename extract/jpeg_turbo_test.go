package extract

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// skipNoTurbo skips tests of the libjpeg-turbo path where it is absent.
func skipNoTurbo(t testing.TB) {
	t.Helper()
	if !turboLoad() {
		t.Skip("libturbojpeg not installed (make setup installs it)")
	}
}

// photoJPEG is a smooth, colourful w×h JPEG (4:2:0, as cameras write):
// decoders differ most on chroma noise, which photos have little of.
func photoJPEG(t testing.TB, w, h int, q int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(127 + 120*math.Sin(6*fx+2*fy))
			img.Pix[i+1] = uint8(127 + 120*math.Cos(5*fy-3*fx))
			img.Pix[i+2] = uint8(255 * fx * fy)
			img.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// meanAbsDiff is the mean absolute RGB difference of two same-size images.
func meanAbsDiff(t testing.TB, a, b image.Image) float64 {
	t.Helper()
	ra, rb := toRGBA(a), toRGBA(b)
	if ra.Rect != rb.Rect {
		t.Fatalf("sizes differ: %v vs %v", ra.Rect, rb.Rect)
	}
	var s, n float64
	for i := range ra.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(ra.Pix[i]) - float64(rb.Pix[i])
		s += max(d, -d)
		n++
	}
	return s / n
}

// libjpeg-turbo and image/jpeg differ only in chroma upsampling (libjpeg's
// smooth "fancy" filter vs replication) and rounding: a few levels where
// colour changes fast, as in these small synthetic images; a wrong channel
// order or colour conversion would be off by tens.
func TestTurboMatchesGoDecoder(t *testing.T) {
	skipNoTurbo(t)
	for _, sz := range [][2]int{{300, 200}, {1, 1}, {97, 65}, {640, 481}} {
		data := photoJPEG(t, sz[0], sz[1], 90)
		got, err := DecodeImage(data, ImageLimits{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeImageGo(data, "jpeg", DefaultImageLimits())
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(t, got, want); d > 2.5 {
			t.Errorf("%v: mean |turbo - Go| = %.2f per channel", sz, d)
		}
	}
	// Grey JPEGs come out as RGB with equal channels, as Go's Gray does.
	var buf bytes.Buffer
	gray := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	if err := jpeg.Encode(&buf, gray, nil); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeImage(buf.Bytes(), ImageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := decodeImageGo(buf.Bytes(), "jpeg", DefaultImageLimits())
	if d := meanAbsDiff(t, got, want); d > 0.1 {
		t.Errorf("grey: mean diff %.3f", d)
	}
}

// A handle that failed on a corrupt file must not change how the next file
// decodes (failed handles are destroyed, not pooled), and pooled handles
// must not carry one image's state into another's.
func TestTurboHandleReuse(t *testing.T) {
	skipNoTurbo(t)
	a, b := photoJPEG(t, 120, 80, 90), photoJPEG(t, 64, 97, 60)
	wantA, err := DecodeImage(a, ImageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	wantB, _ := DecodeImage(b, ImageLimits{})
	bad := [][]byte{[]byte("\xff\xd8\xff nope"), a[:len(a)/2], append(append([]byte{}, b[:200]...), a[200:]...)}
	for round := range 20 {
		if _, err := DecodeImage(bad[round%len(bad)], ImageLimits{}); err == nil && round%len(bad) != 2 {
			t.Fatalf("corrupt input %d decoded", round%len(bad))
		}
		gotA, err := DecodeImage(a, ImageLimits{})
		if err != nil {
			t.Fatal(err)
		}
		gotB, _ := DecodeImage(b, ImageLimits{})
		if !bytes.Equal(toRGBA(gotA).Pix, toRGBA(wantA).Pix) || !bytes.Equal(toRGBA(gotB).Pix, toRGBA(wantB).Pix) {
			t.Fatalf("round %d: a pooled handle changed a decode", round)
		}
	}
}

func TestTurboTruncatedAndLimits(t *testing.T) {
	skipNoTurbo(t)
	data := photoJPEG(t, 300, 200, 90)
	if _, err := DecodeImage(data[:len(data)*2/3], ImageLimits{}); !errors.Is(err, ErrBadImage) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := DecodeImage(data, ImageLimits{MaxPixels: 300*200 - 1}); !errors.Is(err, ErrBadImage) {
		t.Errorf("over the pixel limit: %v", err)
	}
}

// Scaled decoding picks the largest power-of-two reduction that keeps both
// sides ≥ minSide, reports it, and looks like the full decode shrunk.
func TestDecodeImageScaled(t *testing.T) {
	skipNoTurbo(t)
	data := photoJPEG(t, 1000, 700, 90)
	cases := []struct {
		minSide, w, h int
		scale         float64
	}{
		{0, 1000, 700, 1}, {224, 500, 350, 0.5}, {175, 250, 175, 0.25}, {176, 500, 350, 0.5},
		{600, 1000, 700, 1}, {50, 125, 88, 0.125},
	}
	for _, c := range cases {
		img, scale, err := decodeImageScaled(data, ImageLimits{}, c.minSide)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h || scale != c.scale {
			t.Errorf("minSide %d: %v at scale %v, want %dx%d at %v", c.minSide, b, scale, c.w, c.h, c.scale)
		}
	}
	full, _ := DecodeImage(data, ImageLimits{})
	half, _, _ := decodeImageScaled(data, ImageLimits{}, 300)
	ref, _ := ResizeForModel(full, 500, 350, ResizeStretch)
	if d := meanAbsDiff(t, half, ref); d > 1.5 {
		t.Errorf("1/2 scaled decode vs full decode resized: mean diff %.2f", d)
	}
	// Non-JPEG formats are never scaled.
	png := encodeWith(t, "png", testImage(600, 600))
	if img, scale, err := decodeImageScaled(png, ImageLimits{}, 100); err != nil || scale != 1 || img.Bounds().Dx() != 600 {
		t.Errorf("png: %v %v %v", img.Bounds(), scale, err)
	}
}

// EXIF orientation applies to scaled decodes too.
func TestDecodeImageScaledOrientation(t *testing.T) {
	skipNoTurbo(t)
	data := withEXIF(photoJPEG(t, 800, 400, 90), 6, false)
	img, scale, err := decodeImageScaled(data, ImageLimits{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 100 || b.Dy() != 200 || scale != 0.25 {
		t.Errorf("rotated scaled decode: %v at %v, want 100x200 at 0.25", b, scale)
	}
}

func TestThumbnailFast(t *testing.T) {
	src := randomRGBA(300, 200, 5, true)
	b, err := thumbnailFast(src, ThumbnailSide)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got.Dx() != 128 || got.Dy() != 85 {
		t.Errorf("thumbnail %v, want 128x85", got)
	}
	want, _ := ThumbnailJPEG(src, ThumbnailSide)
	ref, _ := jpeg.Decode(bytes.NewReader(want))
	if d := meanAbsDiff(t, img, ref); d > 4 {
		t.Errorf("thumbnail differs from ThumbnailJPEG's by %.2f per channel", d)
	}
}

// FuzzDecodeImageScaled drives the scaled (libjpeg-turbo) decode path: any
// input is refused with ErrBadImage or decodes within the limits, at a
// power-of-two scale.
func FuzzDecodeImageScaled(f *testing.F) {
	f.Add(photoJPEG(f, 64, 48, 80), 16)
	f.Add(withEXIF(photoJPEG(f, 40, 90, 50), 8, false), 10)
	f.Add([]byte("\xff\xd8\xff\xe0"), 1)
	f.Fuzz(func(t *testing.T, data []byte, minSide int) {
		img, scale, err := decodeImageScaled(data, ImageLimits{MaxPixels: 1 << 20, MaxBytes: 1 << 20}, minSide%300)
		if err != nil {
			if !errors.Is(err, ErrBadImage) {
				t.Fatalf("error does not wrap ErrBadImage: %v", err)
			}
			return
		}
		if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > 1<<20 {
			t.Fatalf("bad bounds %v", b)
		}
		if scale != 1 && scale != 0.5 && scale != 0.25 && scale != 0.125 {
			t.Fatalf("scale %v", scale)
		}
	})
}
