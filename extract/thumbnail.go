package extract

import (
	"bytes"
	"image"
	"image/jpeg"
)

// ThumbnailSide is the longest side, in pixels, of the thumbnails EmbedFiles
// makes for items with Item.Thumbnail set.
const ThumbnailSide = 128

// thumbnailQuality is the JPEG quality of those thumbnails.
const thumbnailQuality = 85

// ThumbnailJPEG returns a JPEG of img scaled (never up) so that its longest
// side is at most side pixels, using box (area) averaging: each output pixel
// is the mean of the source pixels it covers. It costs one pass over the
// source pixels plus the encode of the small image.
func ThumbnailJPEG(img image.Image, side int) ([]byte, error) {
	src := toRGBA(img)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	scale := min(float64(side)/float64(max(sw, sh)), 1)
	w, h := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
	dst := src
	if w != sw || h != sh {
		dst = boxShrink(src, w, h)
	}
	var buf bytes.Buffer
	buf.Grow(w * h / 2)
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: thumbnailQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// boxShrink downsizes src (anchored at 0,0) to w×h (each ≤ the source's),
// averaging the block of source pixels [x·sw/w, (x+1)·sw/w) ×
// [y·sh/h, (y+1)·sh/h) into each output pixel.
func boxShrink(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xb := make([]int, w+1) // column block bounds
	for x := range xb {
		xb[x] = x * sw / w
	}
	acc := make([]uint32, w*4)
	for oy := 0; oy < h; oy++ {
		y0, y1 := oy*sh/h, (oy+1)*sh/h
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+sw*4]
			for ox := 0; ox < w; ox++ {
				a := acc[ox*4 : ox*4+4 : ox*4+4]
				blk := row[xb[ox]*4 : xb[ox+1]*4]
				for i := 0; i+3 < len(blk); i += 4 {
					a[0] += uint32(blk[i])
					a[1] += uint32(blk[i+1])
					a[2] += uint32(blk[i+2])
					a[3] += uint32(blk[i+3])
				}
			}
		}
		d := out.Pix[oy*out.Stride : oy*out.Stride+w*4]
		for ox := 0; ox < w; ox++ {
			n := uint32(max((y1-y0)*(xb[ox+1]-xb[ox]), 1))
			a := acc[ox*4 : ox*4+4 : ox*4+4]
			dp := d[ox*4 : ox*4+4 : ox*4+4]
			dp[0] = uint8((a[0] + n/2) / n)
			dp[1] = uint8((a[1] + n/2) / n)
			dp[2] = uint8((a[2] + n/2) / n)
			dp[3] = uint8((a[3] + n/2) / n)
		}
	}
	return out
}
