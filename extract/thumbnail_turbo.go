package extract

import "image"

// thumbnailFast is ThumbnailJPEG (the same box-averaged pixels, averaged in
// C) encoded by libjpeg-turbo when it is loaded: Go's encoder costs several
// times the decode of a small photo, which made thumbnails a visible share
// of ingest.
func thumbnailFast(src *image.RGBA, side int) ([]byte, error) {
	if !turboLoad() {
		return ThumbnailJPEG(src, side)
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	scale := min(float64(side)/float64(max(sw, sh)), 1)
	w, h := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
	dst := src
	if w != sw || h != sh {
		dst = boxShrinkNative(toRGBA(src), w, h)
	}
	return turboEncode(dst, thumbnailQuality)
}
