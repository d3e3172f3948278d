package extract

import (
	"context"
	"fmt"
	"image"
	"math"
)

// prepared is one preprocessed image waiting for inference.
type prepared struct {
	input []float32
	t     Transform
	boxes [][4]float32
	thumb []byte // JPEG thumbnail, when the item asked for one
	err   error
}

// prepare resizes and normalises img into a fresh input slice.
func (e *Embedder) prepare(img image.Image, boxes [][4]float32) prepared {
	for _, b := range boxes {
		for _, v := range b {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return prepared{err: fmt.Errorf("%w: box %v has a non-finite coordinate", ErrBadInput, b)}
			}
		}
		if b[2] <= 0 || b[3] <= 0 {
			return prepared{err: fmt.Errorf("%w: box %v has non-positive width/height", ErrBadInput, b)}
		}
	}
	p := prepared{input: make([]float32, e.m.inputElems()), boxes: boxes}
	p.t, p.err = PreprocessImage(img, &e.m, p.input)
	return p
}

// embedPrepared runs preps through the model (split into chunks the model
// accepts; fixed-batch models get zero padding) and pools the outputs.
func (e *Embedder) embedPrepared(ctx context.Context, preps []prepared) ([][]float32, [][][]float32, error) {
	vecs := make([][]float32, len(preps))
	boxVecs := make([][][]float32, len(preps))
	step := len(preps)
	if e.maxBatch > 0 {
		step = e.maxBatch
	}
	elems := e.m.inputElems()
	for lo := 0; lo < len(preps); lo += step {
		hi := min(lo+step, len(preps))
		n := hi - lo
		if e.maxBatch > 0 {
			n = e.maxBatch
		}
		batch := make([]float32, n*elems)
		for i := lo; i < hi; i++ {
			copy(batch[(i-lo)*elems:], preps[i].input)
		}
		outs, err := e.pool.run(ctx, batch, e.m.inputShape(n))
		if err != nil {
			return nil, nil, err
		}
		layer, ok := outs[e.m.Layer]
		if !ok {
			return nil, nil, fmt.Errorf("%w: %q missing from model outputs", ErrTensorNotFound, e.m.Layer)
		}
		for i := lo; i < hi; i++ {
			fm, err := FeatureMapFromTensor(layer.Data, layer.Shape, e.m.LayerLayout, i-lo)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: layer %q: %v", ErrBadModel, e.m.Layer, err)
			}
			vecs[i] = e.finish(PoolToMaxDim(fm, e.m.MaxDim, e.m.Pool, e.m.GeMP))
			if len(preps[i].boxes) == 0 || e.m.ObjectLayer == "" {
				continue
			}
			obj := outs[e.m.ObjectLayer]
			if obj == nil || len(obj.Shape) != 4 {
				return nil, nil, fmt.Errorf("%w: object_layer %q is not a 4-D feature map", ErrBadModel, e.m.ObjectLayer)
			}
			ofm, err := FeatureMapFromTensor(obj.Data, obj.Shape, e.m.LayerLayout, i-lo)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: object_layer %q: %v", ErrBadModel, e.m.ObjectLayer, err)
			}
			if boxVecs[i], err = e.embedBoxes(ofm, preps[i]); err != nil {
				return nil, nil, err
			}
		}
	}
	return vecs, boxVecs, nil
}

// embedBoxes ROI-aligns every box of p on the object feature map.
func (e *Embedder) embedBoxes(fm *FeatureMap, p prepared) ([][]float32, error) {
	sx := float64(e.m.InputSize[1]) / float64(fm.W)
	sy := float64(e.m.InputSize[0]) / float64(fm.H)
	if e.m.ObjectStride > 0 {
		sx, sy = float64(e.m.ObjectStride), float64(e.m.ObjectStride)
	}
	g := e.m.ROIGrid
	out := make([][]float32, len(p.boxes))
	for j, b := range p.boxes {
		x0, y0, x1, y1 := BoxToFeature(b, p.t, sx, sy)
		v, err := ROIAlign(fm, x0, y0, x1, y1, g)
		if err != nil {
			return nil, fmt.Errorf("box %d: %w", j, err)
		}
		out[j] = e.finish(PoolToMaxDim(&FeatureMap{C: fm.C, H: g, W: g, Data: v}, e.m.MaxDim, e.m.Pool, e.m.GeMP))
	}
	return out, nil
}

// finish applies the manifest's normalisation.
func (e *Embedder) finish(v []float32) []float32 {
	if e.m.Normalize {
		L2Normalize(v)
	}
	return v
}
