package tfjs

import (
	"bytes"
	"math"
	"testing"
)

// TestViewsMatchDirectInput checks the in-graph views of the centernet
// model: the flip view of an image equals the network run on the mirrored
// image; scaled views give the scaled map sizes at any input size (upscaling
// and downscaling take different layouts inside the graph).
func TestViewsMatchDirectInput(t *testing.T) {
	needORT(t)
	src := sourceModel(t)
	opts := Options{InputName: "image", Outputs: []Output{
		{Name: "plain", Node: CenternetDW13},
		{Name: "flip", Node: CenternetDW13, View: &View{Flip: true}},
		{Name: "up", Node: CenternetDW13, View: &View{Scale: 288.0 / 224}},
		{Name: "down", Node: CenternetDW13, View: &View{Flip: true, Scale: 0.5}},
	}}
	res, err := ConvertFile(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, res.ONNX, "image", []string{"plain", "flip", "up", "down"}, 1)
	img := testImage(224)
	mirror := make([]float32, len(img))
	for y := 0; y < 224; y++ {
		for x := 0; x < 224; x++ {
			copy(mirror[(y*224+x)*3:(y*224+x)*3+3], img[(y*224+223-x)*3:(y*224+223-x)*3+3])
		}
	}
	shape := []int64{1, 224, 224, 3}
	outs, shapes := s.run(t, shape, img)
	direct, _ := s.run(t, shape, mirror)
	maxDiff := func(a, b []float32) float64 {
		if len(a) != len(b) {
			return math.Inf(1)
		}
		m := 0.0
		for i := range a {
			m = math.Max(m, math.Abs(float64(a[i]-b[i])))
		}
		return m
	}
	if d := maxDiff(outs[1], direct[0]); d > 1e-4 {
		t.Errorf("flip view differs from the mirrored input by %g", d)
	}
	if d := maxDiff(outs[0], outs[1]); d < 1e-3 {
		t.Errorf("flip view equals the plain output (diff %g): not flipped", d)
	}
	// 224·9/7 = 288 → 9×9 at stride 32; 224/2 = 112 → 4×4; at a 512
	// input: 658 → 21×21 and 256 → 8×8.
	for _, c := range []struct {
		size     int64
		up, down int64
	}{{224, 9, 4}, {512, 21, 8}} {
		if c.size != 224 {
			_, shapes = s.run(t, []int64{1, c.size, c.size, 3}, testImage(int(c.size)))
		}
		for i, want := range map[int]int64{2: c.up, 3: c.down} {
			if got := shapes[i]; len(got) != 4 || got[1] != 720 || got[2] != want || got[3] != want {
				t.Errorf("input %d, output %s: shape %v, want [1 720 %d %d]", c.size, s.outputs[i], got, want, want)
			}
		}
	}
}

func TestViewString(t *testing.T) {
	for v, want := range map[View]string{{}: "input", {Scale: 1}: "input", {Flip: true}: "flip", {Scale: 288.0 / 224}: "x1.286", {Flip: true, Scale: 0.5}: "flip-x0.5"} {
		if got := v.String(); got != want {
			t.Errorf("%+v: %q want %q", v, got, want)
		}
	}
}

func TestViewErrors(t *testing.T) {
	m, w := tinyModel(t)
	for _, sc := range []float64{-1, 9, math.NaN()} {
		_, err := ConvertModel(m, w, Options{Outputs: []Output{{Name: "o", Node: "dconv", View: &View{Scale: sc}}}})
		if err == nil {
			t.Errorf("scale %g: no error", sc)
		}
	}
	_, err := ConvertModel(m, w, Options{Outputs: []Output{{Name: "o", Node: "dconv"}},
		Embedding: &Embedding{Nodes: []string{"dconv"}, Views: []View{{}, {Flip: true}}, ViewAverage: "median"}})
	if err == nil {
		t.Error("unknown view average: no error")
	}
}

// TestGatedEmbeddingViews checks the ONNX If around the embedding's second
// view: up to ViewsMaxSide it gives the same embedding as the ungated
// graph, above it the single-view embedding.
func TestGatedEmbeddingViews(t *testing.T) {
	needORT(t)
	src := sourceModel(t)
	build := func(views []View, maxSide int) *session {
		opts := DefaultOptions()
		opts.Embedding.Views = views
		opts.Embedding.ViewsMaxSide = maxSide
		res, err := ConvertFile(src, opts)
		if err != nil {
			t.Fatal(err)
		}
		return newSession(t, res.ONNX, "image", []string{"embedding"}, 1)
	}
	gated := build(CenternetEmbeddingViews, CenternetViewsMaxSide)
	always := build(CenternetEmbeddingViews, 0)
	single := build(nil, 0)
	maxDiff := func(a, b []float32) float64 {
		m := 0.0
		for i := range a {
			m = math.Max(m, math.Abs(float64(a[i]-b[i])))
		}
		return m
	}
	for _, c := range []struct {
		size  int
		same  *session
		other *session
	}{{224, always, single}, {CenternetViewsMaxSide, always, single}, {CenternetViewsMaxSide + 32, single, always}} {
		img := testImage(c.size)
		shape := []int64{2, int64(c.size), int64(c.size), 3}
		data := append(append([]float32(nil), img...), img...)
		for i := len(img); i < len(data); i++ {
			data[i] = 255 - data[i]
		}
		g, _ := gated.run(t, shape, data)
		want, _ := c.same.run(t, shape, data)
		other, _ := c.other.run(t, shape, data)
		if len(g[0]) != len(want[0]) {
			t.Fatalf("size %d: %d values, want %d", c.size, len(g[0]), len(want[0]))
		}
		if d := maxDiff(g[0], want[0]); d > 1e-5 {
			t.Errorf("size %d: gated embedding differs from the expected recipe by %g", c.size, d)
		}
		if d := maxDiff(g[0], other[0]); d < 1e-3 {
			t.Errorf("size %d: gated embedding equals the other recipe (diff %g)", c.size, d)
		}
	}
}

// TestEmbeddingViewsGraph checks the graph structure of an embedding with
// views on the tiny model: ungated views are averaged with a Mean node,
// gated ones sit in an If whose then-branch holds its own initializers.
func TestEmbeddingViewsGraph(t *testing.T) {
	m, w := tinyModel(t)
	ops := func(model []byte) map[string]int {
		n := map[string]int{}
		for _, nd := range graphNodes(model) {
			n[nd[0]]++
		}
		return n
	}
	views := []View{{}, {Flip: true, Scale: 2}}
	for _, maxSide := range []int{0, 8} {
		for _, avg := range []string{"", ViewAverageL2} {
			res, err := ConvertModel(m, w, Options{InputName: "x", Outputs: []Output{{Name: "o", Node: "out"}},
				Embedding: &Embedding{Nodes: []string{"dconv"}, GeM: 3, Views: views, ViewAverage: avg, ViewsMaxSide: maxSide}})
			if err != nil {
				t.Fatalf("max side %d, average %q: %v", maxSide, avg, err)
			}
			got := ops(res.ONNX)
			if maxSide == 0 && (got["Mean"] != 1 || got["If"] != 0 || got["Resize"] != 1 || got["Slice"] < 2) {
				t.Errorf("ungated, average %q: ops %v", avg, got)
			}
			if maxSide > 0 && (got["If"] != 1 || got["Mean"] != 0 || got["Resize"] != 0 || got["LessOrEqual"] != 1) {
				t.Errorf("gated, average %q: ops %v", avg, got)
			}
			if len(res.Outputs) != 2 || res.Outputs[1].Name != "embedding" || res.Outputs[1].Shape[1] != 3 {
				t.Errorf("outputs %+v", res.Outputs)
			}
			if !bytes.Contains(res.ONNX, []byte("then_branch")) && maxSide > 0 {
				t.Error("no then_branch attribute")
			}
		}
	}
}
