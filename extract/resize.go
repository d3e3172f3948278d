package extract

import (
	"image"
	"image/color"
	"math"

	xdraw "golang.org/x/image/draw"
)

// Resize modes for Manifest.Resize.
const (
	ResizeStretch    = "stretch"     // scale to H×W ignoring aspect ratio
	ResizeCenterCrop = "center_crop" // scale so the shorter side fits, crop the centre
	ResizeLetterbox  = "letterbox"   // scale so the longer side fits, pad the rest
)

// Transform maps original-image pixel coordinates to model-input pixel
// coordinates: in = orig*Scale + Offset (per axis).
type Transform struct {
	ScaleX, ScaleY   float64
	OffsetX, OffsetY float64
}

// Apply maps a point from original-image to model-input coordinates.
func (t Transform) Apply(x, y float64) (float64, float64) {
	return x*t.ScaleX + t.OffsetX, y*t.ScaleY + t.OffsetY
}

// letterboxFill is the padding colour for letterboxing (mid grey).
var letterboxFill = color.RGBA{114, 114, 114, 255}

// ResizeForModel resizes img to w×h using the given mode with an
// antialiased Catmull-Rom filter (preceded by exact area averaging for large
// reductions) and returns the new image plus the coordinate transform.
func ResizeForModel(img image.Image, w, h int, mode string) (*image.RGBA, Transform) {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	return dst, resizeInto(dst, img, mode)
}

// resizeInto is ResizeForModel into dst (anchored at 0,0; its size is the
// target size), so callers can reuse the buffer.
func resizeInto(dst *image.RGBA, img image.Image, mode string) Transform {
	src := toRGBA(img)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if sw <= 0 || sh <= 0 || w <= 0 || h <= 0 {
		return Transform{ScaleX: 1, ScaleY: 1}
	}
	fx, fy := float64(w)/float64(sw), float64(h)/float64(sh)
	var t Transform
	srcRect := src.Rect
	dstRect := dst.Rect
	switch mode {
	case ResizeCenterCrop:
		s := math.Max(fx, fy)
		cw := int(math.Round(float64(w) / s)) // crop size in source pixels
		ch := int(math.Round(float64(h) / s))
		cw, ch = clampInt(cw, 1, sw), clampInt(ch, 1, sh)
		x0, y0 := (sw-cw)/2, (sh-ch)/2
		srcRect = image.Rect(x0, y0, x0+cw, y0+ch)
		t = Transform{ScaleX: float64(w) / float64(cw), ScaleY: float64(h) / float64(ch)}
		t.OffsetX, t.OffsetY = -float64(x0)*t.ScaleX, -float64(y0)*t.ScaleY
	case ResizeLetterbox:
		s := math.Min(fx, fy)
		rw := clampInt(int(math.Round(float64(sw)*s)), 1, w)
		rh := clampInt(int(math.Round(float64(sh)*s)), 1, h)
		x0, y0 := (w-rw)/2, (h-rh)/2
		xdraw.Draw(dst, dst.Rect, image.NewUniform(letterboxFill), image.Point{}, xdraw.Src)
		dstRect = image.Rect(x0, y0, x0+rw, y0+rh)
		t = Transform{ScaleX: float64(rw) / float64(sw), ScaleY: float64(rh) / float64(sh), OffsetX: float64(x0), OffsetY: float64(y0)}
	default: // stretch
		t = Transform{ScaleX: fx, ScaleY: fy}
	}
	// Pre-shrink by an integer factor with area averaging so the kernel
	// filter only handles the last ≤2× reduction (fast and alias-free).
	kx := srcRect.Dx() / (2 * dstRect.Dx())
	ky := srcRect.Dy() / (2 * dstRect.Dy())
	from := src
	if kx > 1 || ky > 1 {
		kx, ky = max(kx, 1), max(ky, 1)
		from = areaShrink(src, srcRect, kx, ky)
		srcRect = from.Bounds()
	}
	resampleNative(dst, dstRect, from, srcRect)
	return t
}

// areaShrink averages kx×ky blocks of r (trailing partial blocks dropped,
// except that at least one output pixel is produced per axis).
func areaShrink(src *image.RGBA, r image.Rectangle, kx, ky int) *image.RGBA {
	ow, oh := max(r.Dx()/kx, 1), max(r.Dy()/ky, 1)
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	acc := make([]uint32, ow*4)
	for oy := 0; oy < oh; oy++ {
		clear(acc)
		rows := 0
		for y := r.Min.Y + oy*ky; y < r.Min.Y+(oy+1)*ky && y < r.Max.Y; y++ {
			rows++
			row := src.Pix[y*src.Stride:]
			for ox := 0; ox < ow; ox++ {
				for x := r.Min.X + ox*kx; x < r.Min.X+(ox+1)*kx && x < r.Max.X; x++ {
					p := row[x*4 : x*4+4]
					a := acc[ox*4 : ox*4+4]
					a[0] += uint32(p[0])
					a[1] += uint32(p[1])
					a[2] += uint32(p[2])
					a[3] += uint32(p[3])
				}
			}
		}
		for ox := 0; ox < ow; ox++ {
			cols := min(kx, r.Max.X-(r.Min.X+ox*kx))
			n := uint32(max(rows*cols, 1))
			d := out.Pix[oy*out.Stride+ox*4:]
			for c := 0; c < 4; c++ {
				d[c] = uint8((acc[ox*4+c] + n/2) / n)
			}
		}
	}
	return out
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
