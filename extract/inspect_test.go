package extract

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestInspectMobilenetFindsPreLogits(t *testing.T) {
	rt := testRuntime(t)
	ins, err := Inspect(context.Background(), rt, mobilenetPath(t), InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ins.Layout != "nhwc" || !slices.Equal(ins.InputShape, []int64{1, 224, 224, 3}) {
		t.Errorf("input %v layout %s", ins.InputShape, ins.Layout)
	}
	s := ins.Suggestion
	if s.Kind != "classification" {
		t.Fatalf("kind = %q (%s)", s.Kind, s.Reason)
	}
	ti, ok := ins.Tensor(s.Tensor)
	if !ok || ti.Elements != 1280 {
		t.Fatalf("suggested %q %+v, want the 1280-d pre-logits", s.Tensor, ti)
	}
	t.Logf("suggestion: %s (%s)", s.Tensor, s.Reason)
}

func TestInspectTinyModels(t *testing.T) {
	rt := testRuntime(t)
	tests := []struct {
		name      string
		model     []byte
		kind      string
		tensors   []string
		wantShape []int64
	}{
		{"detection", detectionModel(), "detection", []string{"feat"}, []int64{1, 16, 16, 16}},
		{"segmentation", segmentationModel(), "segmentation", []string{"bott", "br"}, []int64{1, 16, 8, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeModel(t, t.TempDir(), tc.name+".onnx", tc.model)
			ins, err := Inspect(context.Background(), rt, p, InspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ins.Layout != "nchw" {
				t.Errorf("layout %s", ins.Layout)
			}
			s := ins.Suggestion
			if s.Kind != tc.kind || !slices.Contains(tc.tensors, s.Tensor) {
				t.Fatalf("suggestion %+v, want kind %s tensor in %v", s, tc.kind, tc.tensors)
			}
			ti, _ := ins.Tensor(s.Tensor)
			if !slices.Equal(ti.Shape, tc.wantShape) {
				t.Errorf("shape %v, want %v", ti.Shape, tc.wantShape)
			}
		})
	}
}

func TestInspectErrors(t *testing.T) {
	rt := testRuntime(t)
	dir := t.TempDir()
	garbage := writeModel(t, dir, "garbage.onnx", []byte{0xff, 0xff, 0xff})
	if _, err := Inspect(context.Background(), rt, garbage, InspectOptions{}); !errors.Is(err, ErrBadModel) {
		t.Errorf("garbage model: %v", err)
	}
	p := writeModel(t, dir, "det.onnx", detectionModel())
	if _, err := Inspect(context.Background(), rt, p, InspectOptions{Input: "nope"}); !errors.Is(err, ErrTensorNotFound) {
		t.Errorf("bad input name: %v", err)
	}
}
