package extract

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func randomRGBA(w, h int, seed uint64, opaque bool) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			a := uint8(255)
			if !opaque {
				a = uint8(r.IntN(256))
			}
			// smooth-ish gradient plus noise, premultiplied
			for c := 0; c < 3; c++ {
				v := (x*(c+1)*7+y*(3-c)*5)%256/2 + r.IntN(128)
				img.Pix[i+c] = uint8(v * int(a) / 255)
			}
			img.Pix[i+3] = a
		}
	}
	return img
}

// TestResampleMatchesXDraw checks the specialised resampler against
// x/image/draw's CatmullRom.Scale (the reference it replaces).
func TestResampleMatchesXDraw(t *testing.T) {
	cases := []struct {
		sw, sh, dw, dh int
		sr, dr         image.Rectangle
	}{
		{300, 200, 224, 224, image.Rect(0, 0, 300, 200), image.Rect(0, 0, 224, 224)},
		{640, 480, 224, 224, image.Rect(80, 0, 560, 480), image.Rect(0, 0, 224, 224)},
		{500, 300, 224, 224, image.Rect(0, 0, 500, 300), image.Rect(0, 45, 224, 179)},
		{100, 50, 224, 224, image.Rect(0, 0, 100, 50), image.Rect(0, 0, 224, 224)},
		{3, 2, 7, 5, image.Rect(0, 0, 3, 2), image.Rect(0, 0, 7, 5)},
		{1, 1, 4, 4, image.Rect(0, 0, 1, 1), image.Rect(0, 0, 4, 4)},
		{447, 333, 224, 224, image.Rect(0, 0, 447, 333), image.Rect(0, 0, 224, 224)},
		{9, 400, 5, 224, image.Rect(0, 0, 9, 400), image.Rect(0, 0, 5, 224)},
	}
	for ci, c := range cases {
		for _, opaque := range []bool{true, false} {
			src := randomRGBA(c.sw, c.sh, uint64(ci), opaque)
			want := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
			got := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
			xdraw.CatmullRom.Scale(want, c.dr, src, c.sr, xdraw.Src, nil)
			resampleCatmullRom(got, c.dr, src, c.sr)
			diffs := 0
			for i := range want.Pix {
				d := int(want.Pix[i]) - int(got.Pix[i])
				if d < -1 || d > 1 {
					t.Fatalf("case %d opaque=%v: byte %d = %d, x/image %d", ci, opaque, i, got.Pix[i], want.Pix[i])
				}
				if d != 0 {
					diffs++
				}
			}
			if frac := float64(diffs) / float64(len(want.Pix)); frac > 0.02 {
				t.Errorf("case %d opaque=%v: %.2f%% of bytes differ by 1", ci, opaque, 100*frac)
			}
		}
	}
}

func BenchmarkResizeForModel(b *testing.B) {
	src := randomRGBA(300, 200, 7, true)
	for b.Loop() {
		ResizeForModel(src, 224, 224, ResizeStretch)
	}
}

func BenchmarkResizeXDraw(b *testing.B) {
	src := randomRGBA(300, 200, 7, true)
	for b.Loop() {
		dst := image.NewRGBA(image.Rect(0, 0, 224, 224))
		xdraw.CatmullRom.Scale(dst, dst.Rect, src, src.Rect, xdraw.Src, nil)
	}
}

func BenchmarkThumbnailJPEG(b *testing.B) {
	src := randomRGBA(300, 200, 7, true)
	for b.Loop() {
		if _, err := ThumbnailJPEG(src, ThumbnailSide); err != nil {
			b.Fatal(err)
		}
	}
}

func TestThumbnailJPEG(t *testing.T) {
	for _, c := range []struct{ w, h, tw, th int }{
		{300, 200, 128, 85}, {200, 300, 85, 128}, {128, 128, 128, 128}, {50, 40, 50, 40}, {1000, 3, 128, 1},
	} {
		b, err := ThumbnailJPEG(randomRGBA(c.w, c.h, 3, true), ThumbnailSide)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != image.Pt(c.tw, c.th) {
			t.Errorf("%dx%d: thumbnail %v, want %dx%d", c.w, c.h, got, c.tw, c.th)
		}
	}
	// A flat colour stays that colour (box averaging has unit gain).
	src := image.NewRGBA(image.Rect(0, 0, 301, 199))
	for i := range src.Pix {
		src.Pix[i] = []uint8{200, 100, 50, 255}[i%4]
	}
	out := boxShrink(src, 128, 84)
	for i, v := range out.Pix {
		if want := []uint8{200, 100, 50, 255}[i%4]; v != want {
			t.Fatalf("byte %d = %d, want %d", i, v, want)
		}
	}
}
