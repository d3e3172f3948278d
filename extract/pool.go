package extract

import (
	"fmt"
	"math"
)

// FeatureMap is one image's feature map in channel-major (C,H,W) order.
type FeatureMap struct {
	C, H, W int
	Data    []float32 // len C*H*W, index c*H*W + y*W + x
}

// At returns the value at channel c, row y, column x.
func (f *FeatureMap) At(c, y, x int) float32 { return f.Data[(c*f.H+y)*f.W+x] }

// FeatureMapFromTensor extracts item n of a batched tensor as a FeatureMap.
// 4-D tensors are read with the given layout ("nchw" or "nhwc"); 2-D [N,C]
// and 3-D tensors become C×1×1 vectors (3-D [N,L,C] token maps are treated as
// an L×1 grid of C channels).
func FeatureMapFromTensor(data []float32, shape []int64, layout string, n int) (*FeatureMap, error) {
	if len(shape) < 1 || n < 0 || int64(n) >= shape[0] {
		return nil, fmt.Errorf("%w: item %d of tensor shape %v", ErrBadInput, n, shape)
	}
	dims := make([]int, len(shape))
	per := 1
	for i, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("%w: tensor shape %v has non-positive dims", ErrBadInput, shape)
		}
		dims[i] = int(d)
		if i > 0 {
			per *= dims[i]
		}
	}
	if len(data) < per*dims[0] {
		return nil, fmt.Errorf("%w: tensor data shorter than shape %v", ErrBadInput, shape)
	}
	src := data[n*per : (n+1)*per]
	switch len(shape) {
	case 4:
		if layout == "nhwc" {
			h, w, c := dims[1], dims[2], dims[3]
			fm := &FeatureMap{C: c, H: h, W: w, Data: make([]float32, per)}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					px := src[(y*w+x)*c:]
					for ch := 0; ch < c; ch++ {
						fm.Data[(ch*h+y)*w+x] = px[ch]
					}
				}
			}
			return fm, nil
		}
		return &FeatureMap{C: dims[1], H: dims[2], W: dims[3], Data: append([]float32(nil), src...)}, nil
	case 3:
		l, c := dims[1], dims[2]
		fm := &FeatureMap{C: c, H: l, W: 1, Data: make([]float32, per)}
		for y := 0; y < l; y++ {
			for ch := 0; ch < c; ch++ {
				fm.Data[ch*l+y] = src[y*c+ch]
			}
		}
		return fm, nil
	default:
		return &FeatureMap{C: per, H: 1, W: 1, Data: append([]float32(nil), src...)}, nil
	}
}

// GlobalAvgPool averages each channel over H×W.
func GlobalAvgPool(f *FeatureMap) []float32 { return AdaptivePool(f, 1, 1, "avg", 0) }

// GeMPool is generalised-mean pooling per channel:
// (mean(max(x,ε)^p))^(1/p), ε = 1e-6. p=1 is average pooling; large p
// approaches max pooling.
func GeMPool(f *FeatureMap, p float32) []float32 { return AdaptivePool(f, 1, 1, "gem", p) }

// AdaptivePool pools f to an oh×ow grid using PyTorch-style adaptive bins
// (bin i spans [floor(i·H/oh), ceil((i+1)·H/oh))), reducing each bin with
// "avg" or "gem" (exponent p). The result is channel-major: c*oh*ow + i*ow + j.
func AdaptivePool(f *FeatureMap, oh, ow int, mode string, p float32) []float32 {
	oh, ow = clampInt(oh, 1, max(f.H, 1)), clampInt(ow, 1, max(f.W, 1))
	out := make([]float32, f.C*oh*ow)
	const eps = 1e-6
	for c := 0; c < f.C; c++ {
		plane := f.Data[c*f.H*f.W : (c+1)*f.H*f.W]
		for i := 0; i < oh; i++ {
			y0, y1 := i*f.H/oh, ceilDiv((i+1)*f.H, oh)
			for j := 0; j < ow; j++ {
				x0, x1 := j*f.W/ow, ceilDiv((j+1)*f.W, ow)
				var s float64
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						v := float64(plane[y*f.W+x])
						if mode == "gem" {
							s += math.Pow(math.Max(v, eps), float64(p))
						} else {
							s += v
						}
					}
				}
				m := s / float64((y1-y0)*(x1-x0))
				if mode == "gem" {
					m = math.Pow(m, 1/float64(p))
				}
				out[(c*oh+i)*ow+j] = float32(m)
			}
		}
	}
	return out
}

// PoolGrid chooses the output grid for a C×H×W map so that C·h·w ≤ maxDim,
// maximising h·w while keeping the map's aspect ratio (w ≈ h·W/H). It
// returns (1,1) when even global pooling exceeds maxDim.
func PoolGrid(c, h, w, maxDim int) (int, int) {
	bh, bw := 1, 1
	aspect := float64(w) / float64(h)
	for gh := 1; gh <= h; gh++ {
		gw := clampInt(int(math.Round(float64(gh)*aspect)), 1, w)
		if c*gh*gw <= maxDim && gh*gw > bh*bw {
			bh, bw = gh, gw
		}
	}
	return bh, bw
}

// PoolToMaxDim turns a feature map into a vector of at most maxDim elements:
// an adaptive grid chosen by PoolGrid, each cell reduced by mode ("avg" or
// "gem"). If the channel count alone exceeds maxDim, the map is globally
// pooled and then adjacent channels are averaged into maxDim groups (group
// i covers channels [floor(i·C/maxDim), ceil((i+1)·C/maxDim))).
func PoolToMaxDim(f *FeatureMap, maxDim int, mode string, p float32) []float32 {
	if maxDim < 1 {
		maxDim = DefaultMaxDim
	}
	gh, gw := PoolGrid(f.C, f.H, f.W, maxDim)
	v := AdaptivePool(f, gh, gw, mode, p)
	if len(v) <= maxDim {
		return v
	}
	return PoolChannels(v, maxDim)
}

// PoolChannels averages adjacent entries of v into n groups.
func PoolChannels(v []float32, n int) []float32 {
	if n >= len(v) || n < 1 {
		return v
	}
	out := make([]float32, n)
	for i := range n {
		a, b := i*len(v)/n, ceilDiv((i+1)*len(v), n)
		var s float64
		for _, x := range v[a:b] {
			s += float64(x)
		}
		out[i] = float32(s / float64(b-a))
	}
	return out
}

// L2Normalize scales v in place to unit length (a zero vector is unchanged)
// and returns it.
func L2Normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return v
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
