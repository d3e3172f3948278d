package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// testImage is a w×h image: left half red, right half blue.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodeWith(t testing.TB, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeaderClaiming returns a PNG signature + IHDR chunk for a w×h image and
// no pixel data (a decompression-bomb header).
func pngHeaderClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecodeImageFormats(t *testing.T) {
	src := testImage(40, 20)
	for _, f := range []string{"jpeg", "png", "gif"} {
		t.Run(f, func(t *testing.T) {
			img, err := DecodeImage(encodeWith(t, f, src), ImageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 20 {
				t.Fatalf("bounds %v", b)
			}
			r, _, bl, _ := img.At(5, 10).RGBA()
			if r>>8 < 200 || bl>>8 > 60 {
				t.Errorf("left pixel not red: r=%d b=%d", r>>8, bl>>8)
			}
		})
	}
}

func TestDecodeImageRejects(t *testing.T) {
	good := encodeWith(t, "png", testImage(40, 20))
	jpg := encodeWith(t, "jpeg", testImage(40, 20))
	tests := []struct {
		name   string
		data   []byte
		limits ImageLimits
	}{
		{"empty", nil, ImageLimits{}},
		{"unsupported bmp", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00"), ImageLimits{}},
		{"text", []byte("hello, world"), ImageLimits{}},
		{"truncated png", good[:len(good)/2], ImageLimits{}},
		{"truncated jpeg", jpg[:len(jpg)/3], ImageLimits{}},
		{"corrupt png", append(append([]byte{}, good[:40]...), bytes.Repeat([]byte{0x55}, 200)...), ImageLimits{}},
		{"100k x 100k png header", pngHeaderClaiming(100000, 100000), ImageLimits{}},
		{"over pixel limit", good, ImageLimits{MaxPixels: 799}},
		{"over byte limit", good, ImageLimits{MaxBytes: 10}},
		{"riff not webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 garbage"), ImageLimits{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := DecodeImage(tc.data, tc.limits)
			if !errors.Is(err, ErrBadImage) || img != nil {
				t.Fatalf("got img=%v err=%v, want ErrBadImage", img != nil, err)
			}
			t.Log(err)
		})
	}
}

func FuzzDecodeImage(f *testing.F) {
	img := testImage(9, 7)
	for _, fm := range []string{"jpeg", "png", "gif"} {
		f.Add(encodeWith(f, fm, img))
	}
	f.Add(pngHeaderClaiming(100000, 100000))
	f.Add(withEXIF(encodeWith(f, "jpeg", img), 6, false))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data, ImageLimits{MaxPixels: 1 << 20, MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrBadImage) {
				t.Fatalf("error does not wrap ErrBadImage: %v", err)
			}
			return
		}
		if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > 1<<20 {
			t.Fatalf("bad bounds %v", b)
		}
	})
}
