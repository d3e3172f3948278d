package extract

import (
	"math"
	"testing"
)

func rampMap(c, h, w int) *FeatureMap {
	f := &FeatureMap{C: c, H: h, W: w, Data: make([]float32, c*h*w)}
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				f.Data[(ch*h+y)*w+x] = float32(ch*100 + y*w + x)
			}
		}
	}
	return f
}

func TestROIAlign(t *testing.T) {
	f := rampMap(2, 4, 6) // stride 8 → input 48×32
	id := Transform{ScaleX: 1, ScaleY: 1}
	whole := GlobalAvgPool(f)
	tests := []struct {
		name string
		box  [4]float32
		t    Transform
		g    int
		want []float32 // after averaging the grid
	}{
		{"whole map g=1", [4]float32{0, 0, 48, 32}, id, 1, whole},
		{"whole map g=2", [4]float32{0, 0, 48, 32}, id, 2, whole},
		// Original image twice as large, resized by 0.5 to the input.
		{"whole map via transform", [4]float32{0, 0, 96, 64}, Transform{ScaleX: 0.5, ScaleY: 0.5}, 2, whole},
		// One cell (row 1, col 2): value 1*6+2 = 8 and 108.
		{"single cell", [4]float32{16, 8, 8, 8}, id, 2, []float32{8, 108}},
		// Letterbox offset: image content starts 8 px right in the input.
		{"letterbox offset", [4]float32{8, 8, 8, 8}, Transform{ScaleX: 1, ScaleY: 1, OffsetX: 8}, 1, []float32{8, 108}},
	}
	for _, tc := range tests {
		x0, y0, x1, y1 := BoxToFeature(tc.box, tc.t, 8, 8)
		v, err := ROIAlign(f, x0, y0, x1, y1, tc.g)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := GlobalAvgPool(&FeatureMap{C: f.C, H: tc.g, W: tc.g, Data: v})
		if !approxEq(got, tc.want, 1e-3) {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
	}
}

func TestROIAlignRejects(t *testing.T) {
	f := rampMap(1, 2, 2)
	nan := math.NaN()
	for _, c := range [][5]float64{{nan, 0, 1, 1, 2}, {0, 0, 1, 1, 0}, {0, 0, 1, 1, 100}, {0, math.Inf(1), 1, 1, 2}} {
		if _, err := ROIAlign(f, c[0], c[1], c[2], c[3], int(c[4])); err == nil {
			t.Errorf("accepted %v", c)
		}
	}
	// Boxes partly outside clamp to the border instead of failing.
	if v, err := ROIAlign(f, -5, -5, 10, 10, 2); err != nil || len(v) != 4 {
		t.Errorf("outside box: %v %v", v, err)
	}
}
