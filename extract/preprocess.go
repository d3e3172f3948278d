package extract

import (
	"fmt"
	"image"
)

// Tensor is a float32 tensor copied out of ONNX Runtime.
type Tensor struct {
	Name  string
	Shape []int64
	Data  []float32
}

// inputElems returns the per-image element count of the model input.
func (m *Manifest) inputElems() int { return 3 * m.InputSize[0] * m.InputSize[1] }

// PreprocessImage resizes img per the manifest (Resize mode, InputSize) and
// writes the normalised pixels ((p-mean)/std, RGB) into dst in the
// manifest's layout. dst must hold 3·H·W values. It returns the transform from
// original-image to model-input pixel coordinates.
func PreprocessImage(img image.Image, m *Manifest, dst []float32) (Transform, error) {
	h, w := m.InputSize[0], m.InputSize[1]
	if len(dst) < 3*h*w {
		return Transform{}, fmt.Errorf("%w: preprocess buffer holds %d values, need %d", ErrBadInput, len(dst), 3*h*w)
	}
	if img == nil || img.Bounds().Empty() {
		return Transform{}, fmt.Errorf("%w: empty image", ErrBadImage)
	}
	rgba, t := ResizeForModel(img, w, h, m.Resize)
	normalizeInput(rgba, m, dst)
	return t, nil
}

// normalizeInput writes the model-size pixels rgba as the normalised model
// input ((p-mean)/std, RGB) into dst, in the manifest's layout.
func normalizeInput(rgba *image.RGBA, m *Manifest, dst []float32) {
	var scale, bias [3]float32
	for c := range 3 {
		scale[c] = 1 / m.Std[c]
		bias[c] = -m.Mean[c] / m.Std[c]
	}
	normalizeNative(rgba, m.InputSize[1], m.InputSize[0], &scale, &bias, m.Layout == "nchw", dst)
}

// inputShape returns the model input shape for a batch of n.
func (m *Manifest) inputShape(n int) []int64 {
	h, w := int64(m.InputSize[0]), int64(m.InputSize[1])
	if m.Layout == "nchw" {
		return []int64{int64(n), 3, h, w}
	}
	return []int64{int64(n), h, w, 3}
}
