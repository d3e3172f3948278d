package extract

import (
	"context"
	"fmt"
	"image"
	"sync"
)

// forChunks calls fn on BatchSize chunks of [0,n), Sessions at a time, and
// returns the first error (or ctx's).
func (d *Detector) forChunks(ctx context.Context, n int, fn func(lo, hi int) error) error {
	chunk := d.opts.BatchSize
	if d.maxBatch > 0 {
		chunk = d.maxBatch
	}
	var once sync.Once
	var first error
	parallelFor(ceilDiv(n, chunk), d.opts.Sessions, func(k int) {
		if ctx.Err() != nil {
			return
		}
		if err := fn(k*chunk, min((k+1)*chunk, n)); err != nil {
			once.Do(func() { first = err })
		}
	})
	if first != nil {
		return first
	}
	return ctx.Err()
}

// detectChunk preprocesses and runs one batch; per-image preprocessing
// failures (nil or empty images) come back in errs.
func (d *Detector) detectChunk(ctx context.Context, imgs []image.Image) ([][]Detection, []error, error) {
	dets := make([][]Detection, len(imgs))
	errs := make([]error, len(imgs))
	elems := d.m.inputElems()
	var idx []int
	var ts []Transform
	var batch []float32
	for i, img := range imgs {
		buf := make([]float32, elems)
		t, err := PreprocessImage(img, &d.m, buf)
		if err != nil {
			errs[i] = err
			continue
		}
		idx, ts, batch = append(idx, i), append(ts, t), append(batch, buf...)
	}
	step := len(idx)
	if d.maxBatch > 0 {
		step = d.maxBatch
	}
	for lo := 0; lo < len(idx); lo += step {
		hi := min(lo+step, len(idx))
		n := hi - lo
		in := batch[lo*elems : hi*elems]
		if d.maxBatch > 0 && n < d.maxBatch {
			in = append(append([]float32(nil), in...), make([]float32, (d.maxBatch-n)*elems)...)
			n = d.maxBatch
		}
		outs, err := d.runBatch(ctx, in, n)
		if err != nil {
			return nil, nil, err
		}
		for j := lo; j < hi; j++ {
			b := imgs[idx[j]].Bounds()
			if dets[idx[j]], err = d.decodeItem(outs, j-lo, ts[j], b.Dx(), b.Dy()); err != nil {
				return nil, nil, err
			}
		}
	}
	return dets, errs, nil
}

func (d *Detector) runBatch(ctx context.Context, input []float32, n int) (map[string]*Tensor, error) {
	return d.pool.run(ctx, input, d.m.inputShape(n))
}

// boxVector ROI-aligns bbox ([x,y,w,h], original pixels) on the box layer
// of item n and pools it as Embedder box vectors are pooled.
func (d *Detector) boxVector(outs map[string]*Tensor, n int, t Transform, bbox [4]float32) ([]float32, error) {
	s := &d.spec
	obj := outs[s.BoxLayer]
	if obj == nil || len(obj.Shape) != 4 {
		return nil, fmt.Errorf("%w: box_layer %q is not a 4-D feature map", ErrBadModel, s.BoxLayer)
	}
	fm, err := FeatureMapFromTensor(obj.Data, obj.Shape, s.BoxLayerLayout, n)
	if err != nil {
		return nil, fmt.Errorf("%w: box_layer %q: %v", ErrBadModel, s.BoxLayer, err)
	}
	sx := float64(d.m.InputSize[1]) / float64(fm.W)
	sy := float64(d.m.InputSize[0]) / float64(fm.H)
	if d.m.ObjectStride > 0 && s.BoxLayer == d.m.ObjectLayer {
		sx, sy = float64(d.m.ObjectStride), float64(d.m.ObjectStride)
	}
	x0, y0, x1, y1 := BoxToFeature(bbox, t, sx, sy)
	g := d.m.ROIGrid
	v, err := ROIAlign(fm, x0, y0, x1, y1, g)
	if err != nil {
		return nil, err
	}
	v = PoolToMaxDim(&FeatureMap{C: fm.C, H: g, W: g, Data: v}, d.m.MaxDim, d.m.Pool, d.m.GeMP)
	if d.m.Normalize {
		L2Normalize(v)
	}
	return v, nil
}
