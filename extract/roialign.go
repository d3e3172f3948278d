package extract

import (
	"fmt"
	"math"
)

// maxROISamples caps bilinear samples per bin per axis.
const maxROISamples = 16

// BoxToFeature converts a box [x, y, w, h] in original-image pixels to
// continuous feature-map coordinates (x0, y0, x1, y1), given the transform
// from original to model-input pixels and the feature map's stride (input
// pixels per feature cell). Feature cell i covers input pixels
// [i·stride, (i+1)·stride), so its centre is at i (half-pixel convention).
func BoxToFeature(box [4]float32, t Transform, strideX, strideY float64) (x0, y0, x1, y1 float64) {
	ix0, iy0 := t.Apply(float64(box[0]), float64(box[1]))
	ix1, iy1 := t.Apply(float64(box[0]+box[2]), float64(box[1]+box[3]))
	return ix0/strideX - 0.5, iy0/strideY - 0.5, ix1/strideX - 0.5, iy1/strideY - 0.5
}

// ROIAlign bilinearly samples the region (x0,y0)-(x1,y1) of f (feature-map
// coordinates, see BoxToFeature) onto a g×g grid, averaging
// ceil(size/g) samples per bin and axis (at most 16). Samples outside the
// map are clamped to the border. The result is channel-major: C·g·g values,
// index c*g*g + i*g + j.
func ROIAlign(f *FeatureMap, x0, y0, x1, y1 float64, g int) ([]float32, error) {
	if f == nil || f.C < 1 || f.H < 1 || f.W < 1 || len(f.Data) < f.C*f.H*f.W {
		return nil, fmt.Errorf("%w: empty feature map", ErrBadInput)
	}
	if g < 1 || g > 64 {
		return nil, fmt.Errorf("%w: ROI grid %d, want 1..64", ErrBadInput, g)
	}
	for _, v := range []float64{x0, y0, x1, y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e7 {
			return nil, fmt.Errorf("%w: box coordinate %v", ErrBadInput, v)
		}
	}
	rw, rh := math.Max(x1-x0, 1e-3), math.Max(y1-y0, 1e-3)
	bw, bh := rw/float64(g), rh/float64(g)
	sx := clampInt(int(math.Ceil(bw)), 1, maxROISamples)
	sy := clampInt(int(math.Ceil(bh)), 1, maxROISamples)

	// Precompute the bilinear taps for every sample, shared by all channels.
	taps := make([][]bilinear, g*g)
	for i := 0; i < g; i++ {
		for j := 0; j < g; j++ {
			ts := make([]bilinear, 0, sx*sy)
			for ky := 0; ky < sy; ky++ {
				y := y0 + float64(i)*bh + (float64(ky)+0.5)*bh/float64(sy)
				for kx := 0; kx < sx; kx++ {
					x := x0 + float64(j)*bw + (float64(kx)+0.5)*bw/float64(sx)
					ts = append(ts, bilinearTap(x, y, f.W, f.H))
				}
			}
			taps[i*g+j] = ts
		}
	}
	out := make([]float32, f.C*g*g)
	hw := f.H * f.W
	for c := 0; c < f.C; c++ {
		plane := f.Data[c*hw : (c+1)*hw]
		for b, ts := range taps {
			var s float32
			for _, t := range ts {
				s += t.w00*plane[t.i00] + t.w01*plane[t.i01] + t.w10*plane[t.i10] + t.w11*plane[t.i11]
			}
			out[c*g*g+b] = s / float32(len(ts))
		}
	}
	return out, nil
}

type bilinear struct {
	i00, i01, i10, i11 int
	w00, w01, w10, w11 float32
}

// bilinearTap returns the four neighbour indices and weights for sampling a
// w×h plane at (x, y), clamping to the border.
func bilinearTap(x, y float64, w, h int) bilinear {
	x = math.Min(math.Max(x, 0), float64(w-1))
	y = math.Min(math.Max(y, 0), float64(h-1))
	xl, yl := int(x), int(y)
	xh, yh := min(xl+1, w-1), min(yl+1, h-1)
	lx, ly := float32(x-float64(xl)), float32(y-float64(yl))
	hx, hy := 1-lx, 1-ly
	return bilinear{
		i00: yl*w + xl, i01: yl*w + xh, i10: yh*w + xl, i11: yh*w + xh,
		w00: hy * hx, w01: hy * lx, w10: ly * hx, w11: ly * lx,
	}
}
