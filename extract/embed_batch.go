package extract

import (
	"context"
	"fmt"
	"image"
	"math"
)

// prepared is one preprocessed image waiting for inference: either its
// normalised input, or its model-size pixels (px, from the Embedder's
// buffer pool), normalised straight into the batch when the batch is
// filled, which spares a 3·H·W float buffer and a copy per image.
type prepared struct {
	input []float32
	px    *image.RGBA
	t     Transform
	boxes [][4]float32
	thumb []byte // JPEG thumbnail, when the item asked for one
	err   error
}

// checkBoxes refuses boxes that cannot be mapped onto a feature map.
func checkBoxes(boxes [][4]float32) error {
	for _, b := range boxes {
		for _, v := range b {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%w: box %v has a non-finite coordinate", ErrBadInput, b)
			}
		}
		if b[2] <= 0 || b[3] <= 0 {
			return fmt.Errorf("%w: box %v has non-positive width/height", ErrBadInput, b)
		}
	}
	return nil
}

// prepare resizes and normalises img into a fresh input slice.
func (e *Embedder) prepare(img image.Image, boxes [][4]float32) prepared {
	if err := checkBoxes(boxes); err != nil {
		return prepared{err: err}
	}
	p := prepared{input: make([]float32, e.m.inputElems()), boxes: boxes}
	p.t, p.err = PreprocessImage(img, &e.m, p.input)
	return p
}

// preparePixels resizes img into pooled model-size pixels (see prepared).
func (e *Embedder) preparePixels(img image.Image, boxes [][4]float32) prepared {
	if err := checkBoxes(boxes); err != nil {
		return prepared{err: err}
	}
	if img == nil || img.Bounds().Empty() {
		return prepared{err: fmt.Errorf("%w: empty image", ErrBadImage)}
	}
	px, _ := e.pixels.Get().(*image.RGBA)
	if px == nil {
		px = image.NewRGBA(image.Rect(0, 0, e.m.InputSize[1], e.m.InputSize[0]))
	}
	return prepared{px: px, boxes: boxes, t: resizeInto(px, img, e.m.Resize)}
}

// release returns p's pooled pixels, if any.
func (e *Embedder) release(p *prepared) {
	if p.px != nil {
		e.pixels.Put(p.px)
		p.px = nil
	}
}

// embedPrepared runs preps through the model (split into chunks the model
// accepts; fixed-batch models get zero padding) and pools the outputs. buf,
// when not nil, is a reusable batch buffer (grown as needed). The pooled
// pixels of preps are released once copied into the batch.
func (e *Embedder) embedPrepared(ctx context.Context, preps []prepared, buf *[]float32) ([][]float32, [][][]float32, error) {
	defer func() {
		for i := range preps {
			e.release(&preps[i])
		}
	}()
	vecs := make([][]float32, len(preps))
	boxVecs := make([][][]float32, len(preps))
	step := len(preps)
	if e.maxBatch > 0 {
		step = e.maxBatch
	}
	// The object layer is copied out of ORT only when some image has boxes.
	want := []bool{true, false}
	for _, p := range preps {
		want[1] = want[1] || len(p.boxes) > 0
	}
	elems := e.m.inputElems()
	for lo := 0; lo < len(preps); lo += step {
		hi := min(lo+step, len(preps))
		n := hi - lo
		if e.maxBatch > 0 {
			n = e.maxBatch
		}
		var batch []float32
		if buf != nil {
			if cap(*buf) < n*elems {
				*buf = make([]float32, n*elems)
			}
			batch = (*buf)[:n*elems]
			clear(batch[(hi-lo)*elems:]) // padding of fixed-batch models
		} else {
			batch = make([]float32, n*elems)
		}
		for i := lo; i < hi; i++ {
			slot := batch[(i-lo)*elems : (i-lo+1)*elems]
			if preps[i].px != nil {
				normalizeInput(preps[i].px, &e.m, slot)
				e.release(&preps[i])
			} else {
				copy(slot, preps[i].input)
			}
		}
		outs, err := e.pool.runWant(ctx, batch, e.m.inputShape(n), want)
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
