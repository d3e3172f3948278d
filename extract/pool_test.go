package extract

import (
	"math"
	"slices"
	"testing"
)

func approxEq(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

// fm2 is a 2-channel 2×2 map: ch0 = [1 2; 3 4], ch1 = [0 0; 0 8].
func fm2() *FeatureMap {
	return &FeatureMap{C: 2, H: 2, W: 2, Data: []float32{1, 2, 3, 4, 0, 0, 0, 8}}
}

func TestPooling(t *testing.T) {
	tests := []struct {
		name string
		got  []float32
		want []float32
	}{
		{"global avg", GlobalAvgPool(fm2()), []float32{2.5, 2}},
		{"gem p=1 is avg", GeMPool(fm2(), 1), []float32{2.5, 2}},
		// GeM p=2: sqrt(mean(x²)): ch0 sqrt(30/4), ch1 sqrt(64/4)=4 (zeros clamp to ε).
		{"gem p=2", GeMPool(fm2(), 2), []float32{float32(math.Sqrt(7.5)), 4}},
		{"adaptive 2x2 identity", AdaptivePool(fm2(), 2, 2, "avg", 0), fm2().Data},
		{"adaptive 1x2 columns", AdaptivePool(fm2(), 1, 2, "avg", 0), []float32{2, 3, 0, 4}},
		// 3-wide map pooled to 2 columns: bins [0,2) and [1,3) overlap.
		{"adaptive overlapping bins", AdaptivePool(&FeatureMap{C: 1, H: 1, W: 3, Data: []float32{1, 2, 6}}, 1, 2, "avg", 0), []float32{1.5, 4}},
		{"pool channels", PoolChannels([]float32{1, 3, 5, 7}, 2), []float32{2, 6}},
		{"pool channels uneven", PoolChannels([]float32{1, 2, 3}, 2), []float32{1.5, 2.5}},
		{"l2", L2Normalize([]float32{3, 4}), []float32{0.6, 0.8}},
		{"l2 zero", L2Normalize([]float32{0, 0}), []float32{0, 0}},
	}
	for _, tc := range tests {
		if !approxEq(tc.got, tc.want, 1e-5) {
			t.Errorf("%s: got %v want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestPoolGridAndMaxDim(t *testing.T) {
	tests := []struct {
		c, h, w, maxDim int
		gh, gw          int
	}{
		{1280, 7, 7, 10000, 2, 2},  // 1280·4 = 5120 ≤ 10000 < 1280·9
		{1280, 7, 7, 1280, 1, 1},   // global pooling
		{64, 8, 16, 10000, 8, 16},  // whole map fits
		{64, 8, 16, 2048, 4, 8},    // keeps 1:2 aspect, 64·32 = 2048
		{20000, 7, 7, 10000, 1, 1}, // channels alone too many
	}
	for _, tc := range tests {
		gh, gw := PoolGrid(tc.c, tc.h, tc.w, tc.maxDim)
		if gh != tc.gh || gw != tc.gw {
			t.Errorf("PoolGrid(%d,%d,%d,%d) = %dx%d, want %dx%d", tc.c, tc.h, tc.w, tc.maxDim, gh, gw, tc.gh, tc.gw)
		}
	}
	big := &FeatureMap{C: 6, H: 2, W: 2, Data: make([]float32, 24)}
	for i := range big.Data {
		big.Data[i] = float32(i / 4) // channel c is constant c
	}
	if got := PoolToMaxDim(big, 3, "avg", 0); !approxEq(got, []float32{0.5, 2.5, 4.5}, 1e-6) {
		t.Errorf("channel pooling: %v", got)
	}
	if got := PoolToMaxDim(big, 24, "avg", 0); !slices.Equal(got, big.Data) {
		t.Errorf("full map: %v", got)
	}
}

func TestFeatureMapFromTensorLayouts(t *testing.T) {
	// Batch of 2, NHWC [2,1,2,3]: item 1 pixels (10,11,12), (13,14,15).
	data := []float32{0, 0, 0, 0, 0, 0, 10, 11, 12, 13, 14, 15}
	fm, err := FeatureMapFromTensor(data, []int64{2, 1, 2, 3}, "nhwc", 1)
	if err != nil {
		t.Fatal(err)
	}
	if fm.C != 3 || fm.H != 1 || fm.W != 2 || !slices.Equal(fm.Data, []float32{10, 13, 11, 14, 12, 15}) {
		t.Errorf("nhwc: %+v", fm)
	}
	if _, err := FeatureMapFromTensor(data, []int64{2, 6}, "nchw", 2); err == nil {
		t.Error("out-of-range item accepted")
	}
	v, _ := FeatureMapFromTensor(data, []int64{2, 6}, "nchw", 1)
	if v.C != 6 || v.H != 1 {
		t.Errorf("2-D: %+v", v)
	}
}
