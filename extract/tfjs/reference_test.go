package tfjs

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type refSummary struct {
	Shape   []int        `json:"shape"`
	Mean    float64      `json:"mean"`
	AbsMean float64      `json:"abs_mean"`
	Samples [][2]float64 `json:"samples"`
}

type refFile struct {
	Runs []struct {
		Size    int                   `json:"size"`
		Outputs map[string]refSummary `json:"outputs"`
	} `json:"runs"`
}

// testPixel is the deterministic test image of testdata/tfjs_reference.js.
func testImage(size int) []float32 {
	d := make([]float32, size*size*3)
	for h := 0; h < size; h++ {
		for w := 0; w < size; w++ {
			for c := 0; c < 3; c++ {
				d[(h*size+w)*3+c] = float32((h*7 + w*13 + c*29 + ((h*w)%17)*5) % 256)
			}
		}
	}
	return d
}

// nchwToNHWC reorders a [1,C,H,W] tensor into TF layout.
func nchwToNHWC(x []float32, c, h, w int) []float32 {
	out := make([]float32, len(x))
	for ci := 0; ci < c; ci++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				out[(y*w+xx)*c+ci] = x[(ci*h+y)*w+xx]
			}
		}
	}
	return out
}

func compareSummary(t *testing.T, name string, got []float32, want refSummary) {
	t.Helper()
	if len(got) != Numel(want.Shape) {
		t.Fatalf("%s: %d values, want shape %v", name, len(got), want.Shape)
	}
	var sum, abs float64
	for _, v := range got {
		sum += float64(v)
		abs += math.Abs(float64(v))
	}
	mean, absMean := sum/float64(len(got)), abs/float64(len(got))
	tol := 1e-3 * want.AbsMean
	if math.Abs(mean-want.Mean) > tol || math.Abs(absMean-want.AbsMean) > tol {
		t.Errorf("%s: mean %.6g abs_mean %.6g, want %.6g %.6g", name, mean, absMean, want.Mean, want.AbsMean)
	}
	maxErr := 0.0
	for _, s := range want.Samples {
		k, w := int(s[0]), s[1]
		g := float64(got[k])
		err := math.Abs(g-w) / (math.Abs(w) + want.AbsMean)
		maxErr = math.Max(maxErr, err)
		if err > 1e-3 {
			t.Errorf("%s[%d] = %.6g, want %.6g", name, k, g, w)
		}
	}
	t.Logf("%s %v: mean %.5g (want %.5g), max relative sample error %.2g", name, want.Shape, mean, want.Mean, maxErr)
}

// TestCenternetMatchesTFJS runs the converted built-in model with ONNX
// Runtime and compares with outputs of the original TFJS model recorded by
// testdata/tfjs_reference.js.
func TestCenternetMatchesTFJS(t *testing.T) {
	needORT(t)
	model := builtinModel(t)
	onnx, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/centernet_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref refFile
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{CenternetHeatmap: "heatmap", CenternetSizes: "boxes", CenternetDW11: "feat_s16", CenternetDW13: "feat_s32"}
	for _, run := range ref.Runs {
		var outs []string
		var nodes []string
		for node := range run.Outputs {
			if nm, ok := names[node]; ok {
				outs = append(outs, nm)
				nodes = append(nodes, node)
			}
		}
		s := newSession(t, onnx, "image", outs, 0)
		got, shapes := s.run(t, []int64{1, int64(run.Size), int64(run.Size), 3}, testImage(run.Size))
		for i, node := range nodes {
			data := got[i]
			if outs[i] == "feat_s16" || outs[i] == "feat_s32" {
				sh := shapes[i]
				data = nchwToNHWC(data, int(sh[1]), int(sh[2]), int(sh[3]))
			}
			compareSummary(t, outs[i]+"@"+itoa(run.Size), data, run.Outputs[node])
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
