package tfjs

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// tinyModel builds a small graph model:
//
//	x [1,4,4,2] -> _FusedConv2D 1x1 (BiasAdd, Relu6) -> DepthwiseConv2dNative 3x3 SAME (ones)
//	            -> Mean [1,2] keep_dims=false -> "out"
//	extra: "bad" = TopKV2(x) for the unsupported-op test.
func tinyModel(t *testing.T) (*ModelJSON, map[string]*Tensor) {
	t.Helper()
	doc := map[string]any{
		"format": "graph-model",
		"modelTopology": map[string]any{"node": []any{
			map[string]any{"name": "x", "op": "Placeholder", "attr": map[string]any{"shape": map[string]any{"shape": map[string]any{"dim": []any{map[string]any{"size": "1"}, map[string]any{"size": "4"}, map[string]any{"size": "4"}, map[string]any{"size": "2"}}}}}},
			map[string]any{"name": "w", "op": "Const"},
			map[string]any{"name": "b", "op": "Const"},
			map[string]any{"name": "dw", "op": "Const"},
			map[string]any{"name": "axes", "op": "Const"},
			map[string]any{"name": "k", "op": "Const"},
			map[string]any{"name": "conv", "op": "_FusedConv2D", "input": []string{"x", "w", "b"}, "attr": map[string]any{
				"strides": map[string]any{"list": map[string]any{"i": []string{"1", "1", "1", "1"}}}, "padding": map[string]any{"s": b64("SAME")},
				"data_format": map[string]any{"s": b64("NHWC")}, "fused_ops": map[string]any{"list": map[string]any{"s": []string{b64("BiasAdd"), b64("Relu6")}}}, "num_args": map[string]any{"i": "1"}}},
			map[string]any{"name": "dconv", "op": "DepthwiseConv2dNative", "input": []string{"conv", "dw"}, "attr": map[string]any{
				"strides": map[string]any{"list": map[string]any{"i": []string{"1", "1", "1", "1"}}}, "padding": map[string]any{"s": b64("SAME")}}},
			map[string]any{"name": "out", "op": "Mean", "input": []string{"dconv", "axes"}, "attr": map[string]any{"keep_dims": map[string]any{"b": false}}},
			map[string]any{"name": "bad", "op": "TopKV2", "input": []string{"x", "k"}},
		}},
		"weightsManifest": []any{map[string]any{"paths": []string{"w.bin"}, "weights": []any{
			map[string]any{"name": "w", "shape": []int{1, 1, 2, 3}, "dtype": "float32"},
			map[string]any{"name": "b", "shape": []int{3}, "dtype": "float32", "quantization": map[string]any{"dtype": "float16", "original_dtype": "float32"}},
			map[string]any{"name": "dw", "shape": []int{3, 3, 3, 1}, "dtype": "float32", "quantization": map[string]any{"dtype": "uint8", "min": 0, "scale": 1}},
			map[string]any{"name": "axes", "shape": []int{2}, "dtype": "int32"},
			map[string]any{"name": "k", "shape": []int{}, "dtype": "int32"},
		}}},
	}
	js, _ := json.Marshal(doc)
	m, err := ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// w: HWIO [1,1,2,3]: w[ci][co] = ci+1 + co*0.5
	for ci := 0; ci < 2; ci++ {
		for co := 0; co < 3; co++ {
			binary.Write(&buf, binary.LittleEndian, float32(ci+1)+float32(co)*0.5)
		}
	}
	// b: float16 -1, 0, 0.5
	for _, h := range []uint16{0xbc00, 0x0000, 0x3800} {
		binary.Write(&buf, binary.LittleEndian, h)
	}
	buf.Write(bytes.Repeat([]byte{1}, 27)) // dw: uint8 ones -> 1.0
	binary.Write(&buf, binary.LittleEndian, []int32{1, 2})
	binary.Write(&buf, binary.LittleEndian, int32(1))
	w, err := DecodeWeights(m.WeightsManifest[0].Weights, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return m, w
}

func TestFloat16(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x3800: 0.5, 0x0001: 5.960464477539063e-08, 0x7bff: 65504, 0: 0} {
		if got := Float16ToFloat32(h); got != want {
			t.Errorf("%#x: got %g want %g", h, got, want)
		}
	}
	if !math.IsInf(float64(Float16ToFloat32(0x7c00)), 1) {
		t.Error("0x7c00 is +Inf")
	}
}

func TestDecodeWeights(t *testing.T) {
	_, w := tinyModel(t)
	if got := w["b"].F; got[0] != -1 || got[1] != 0 || got[2] != 0.5 {
		t.Errorf("float16 bias %v", got)
	}
	if got := w["dw"].F; len(got) != 27 || got[0] != 1 {
		t.Errorf("uint8 weights %v", got)
	}
	if got := w["axes"].I; len(got) != 2 || got[1] != 2 {
		t.Errorf("int32 %v", got)
	}
	if _, err := DecodeWeights([]WeightSpec{{Name: "a", Shape: []int{10}, Dtype: "float32"}}, make([]byte, 39)); err == nil {
		t.Error("short shard accepted")
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		``, `{`, `[]`, `{"modelTopology":{}}`,
		`{"modelTopology":{"node":[{"name":"a"}]}}`,
		`{"modelTopology":{"node":[{"name":"a","op":"Const"},{"name":"a","op":"Const"}]}}`,
		`{"modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":[],"weights":[{"name":"a","shape":[-1],"dtype":"float32"}]}]}`,
		`{"modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":[],"weights":[{"name":"a","shape":[1],"dtype":"complex64"}]}]}`,
	} {
		if _, err := ParseModelJSON([]byte(s)); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

func TestUnsupportedOpIsNamed(t *testing.T) {
	m, w := tinyModel(t)
	_, err := ConvertModel(m, w, Options{Outputs: []Output{{Name: "y", Node: "bad"}}})
	if err == nil || !strings.Contains(err.Error(), "TopKV2") || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("error %v does not name op and node", err)
	}
	if _, err := ConvertModel(m, w, Options{Outputs: []Output{{Name: "y", Node: "nope"}}}); err == nil {
		t.Fatal("missing node accepted")
	}
}

func TestProjectionRoundTrip(t *testing.T) {
	p := &Projection{Mean: []float32{1, 2}, Matrix: []float32{1, 2, 3, 4, 5, 6}, OutDim: 3, Power: 0.5}
	var buf bytes.Buffer
	if err := WriteProjection(&buf, p); err != nil {
		t.Fatal(err)
	}
	q, err := ReadProjection(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if q.OutDim != 3 || q.Power != 0.5 || q.Mean[1] != 2 || q.Matrix[5] != 6 {
		t.Fatalf("round trip %+v", q)
	}
	if _, err := ReadProjection(strings.NewReader("REEFPCA1\xff\xff\xff\xff")); err == nil {
		t.Fatal("truncated projection accepted")
	}
}

// TestTinyModelRuns checks the conversion numerically on a small graph
// (1x1 conv + fused bias/Relu6, depthwise 3x3 SAME, spatial mean).
func TestTinyModelRuns(t *testing.T) {
	m, w := tinyModel(t)
	res, err := ConvertModel(m, w, Options{InputName: "x", Outputs: []Output{{Name: "y", Node: "out"}, {Name: "c", Node: "conv", Layout: NHWC}}})
	if err != nil {
		t.Fatal(err)
	}
	needORT(t)
	s := newSession(t, res.ONNX, "x", []string{"y", "c"}, 1)
	x := make([]float32, 4*4*2)
	for i := range x {
		x[i] = float32(i%7) * 0.3
	}
	outs, shapes := s.run(t, []int64{1, 4, 4, 2}, x)
	// reference in Go
	bias := []float32{-1, 0, 0.5}
	conv := make([]float32, 4*4*3)
	for p := 0; p < 16; p++ {
		for co := 0; co < 3; co++ {
			v := bias[co]
			for ci := 0; ci < 2; ci++ {
				v += x[p*2+ci] * (float32(ci+1) + float32(co)*0.5)
			}
			conv[p*3+co] = float32(math.Min(math.Max(float64(v), 0), 6))
		}
	}
	for i := range conv {
		if math.Abs(float64(conv[i]-outs[1][i])) > 1e-5 {
			t.Fatalf("conv[%d]=%g want %g", i, outs[1][i], conv[i])
		}
	}
	for co := 0; co < 3; co++ {
		var sum float32
		for y := 0; y < 4; y++ {
			for xx := 0; xx < 4; xx++ {
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xc := y+dy, xx+dx
						if yy >= 0 && yy < 4 && xc >= 0 && xc < 4 {
							sum += conv[(yy*4+xc)*3+co]
						}
					}
				}
			}
		}
		want := sum / 16
		if math.Abs(float64(want-outs[0][co])) > 1e-4 {
			t.Errorf("y[%d]=%g want %g (shape %v)", co, outs[0][co], want, shapes[0])
		}
	}
}

func FuzzParseModelJSON(f *testing.F) {
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"x","op":"Placeholder"},{"name":"y","op":"Relu","input":["x"]}]}}`))
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"a","op":"Const","attr":{"value":{"i":"3"}}}]},"weightsManifest":[{"paths":["a"],"weights":[{"name":"a","shape":[2,2],"dtype":"float32","quantization":{"dtype":"uint8","min":0.1,"scale":"0.5"}}]}]}`))
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"x","op":"Placeholder"},{"name":"c","op":"ConcatV2","input":["x","x","x:1","^x"]},{"name":"r","op":"ResizeBilinear","input":["c","c"]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModelJSON(data)
		if err != nil {
			return
		}
		// Conversion of arbitrary graphs must fail cleanly, never panic.
		var specs []WeightSpec
		for _, g := range m.WeightsManifest {
			specs = append(specs, g.Weights...)
		}
		size := 0
		for _, s := range specs {
			eb, _ := elemBytes(s)
			size += Numel(s.Shape) * eb
		}
		if size > 1<<16 {
			return
		}
		w, err := DecodeWeights(specs, make([]byte, size))
		if err != nil {
			return
		}
		var outs []Output
		for i, n := range m.ModelTopology.Node {
			if i < 4 {
				outs = append(outs, Output{Name: "o" + n.Name, Node: n.Name})
			}
		}
		ConvertModel(m, w, Options{Outputs: outs})
		ConvertModel(m, w, Options{})
	})
}
