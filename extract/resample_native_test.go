package extract

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// The C passes must reproduce the Go reference resampler bit for bit, on
// smooth, noisy and saturated (maximal overshoot) images, opaque or not,
// over sub-rectangles and every scaling regime.
func TestResampleNativeMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	extreme := func(w, h int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(255 * r.IntN(2))
		}
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 255
		}
		return img
	}
	cases := []struct {
		src    *image.RGBA
		dr, sr image.Rectangle
	}{
		{randomRGBA(300, 200, 1, true), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 300, 200)},
		{randomRGBA(300, 200, 2, false), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 300, 200)},
		{randomRGBA(97, 61, 3, true), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 97, 61)},
		{randomRGBA(1000, 700, 4, true), image.Rect(0, 0, 224, 160), image.Rect(10, 20, 900, 690)},
		{randomRGBA(640, 480, 5, true), image.Rect(0, 32, 224, 192), image.Rect(0, 0, 640, 480)},
		{randomRGBA(1, 1, 6, true), image.Rect(0, 0, 7, 5), image.Rect(0, 0, 1, 1)},
		{randomRGBA(400, 3, 7, true), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 400, 3)},
		{extreme(320, 240), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 320, 240)},
		{extreme(150, 170), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 150, 170)},
		{extreme(449, 447), image.Rect(0, 0, 224, 224), image.Rect(0, 0, 449, 447)},
	}
	for ci, c := range cases {
		want := image.NewRGBA(image.Rect(0, 0, 224, 224))
		got := image.NewRGBA(image.Rect(0, 0, 224, 224))
		resampleCatmullRom(want, c.dr, c.src, c.sr)
		resampleNative(got, c.dr, c.src, c.sr)
		for i := range want.Pix {
			if want.Pix[i] != got.Pix[i] {
				t.Fatalf("case %d: byte %d = %d, Go reference %d", ci, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}

func TestNormalizeNative(t *testing.T) {
	img := randomRGBA(5, 3, 9, false)
	scale, bias := [3]float32{1 / 58.4, 1 / 57.1, 1 / 57.4}, [3]float32{-2.1, -2.0, -1.8}
	for _, nchw := range []bool{false, true} {
		got := make([]float32, 3*5*3)
		normalizeNative(img, 5, 3, &scale, &bias, nchw, got)
		for y := range 3 {
			for x := range 5 {
				for c := range 3 {
					want := float32(img.Pix[img.PixOffset(x, y)+c])*scale[c] + bias[c]
					i := 3*(y*5+x) + c
					if nchw {
						i = c*15 + y*5 + x
					}
					if got[i] != want {
						t.Fatalf("nchw=%v (%d,%d,%d): %v, want %v", nchw, x, y, c, got[i], want)
					}
				}
			}
		}
	}
}

func TestBoxShrinkNativeMatchesGo(t *testing.T) {
	for _, c := range [][4]int{{300, 220, 128, 93}, {1000, 700, 128, 89}, {129, 128, 128, 127}, {5, 3, 1, 1}, {640, 480, 640, 480}, {4000, 3, 128, 1}} {
		src := randomRGBA(c[0], c[1], uint64(c[0]), c[0]%2 == 0)
		want, got := boxShrink(src, c[2], c[3]), boxShrinkNative(src, c[2], c[3])
		if want.Rect != got.Rect || !bytes.Equal(want.Pix, got.Pix) {
			t.Errorf("%v: C box shrink differs from Go's", c)
		}
	}
	// Saturated blocks: the largest sums.
	src := image.NewRGBA(image.Rect(0, 0, 2000, 1500))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	if got := boxShrinkNative(src, 128, 96); !bytes.Equal(got.Pix, boxShrink(src, 128, 96).Pix) {
		t.Error("saturated: C box shrink differs from Go's")
	}
}
