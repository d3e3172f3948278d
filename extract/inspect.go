package extract

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// InspectOptions controls Inspect. Zero values are inferred from the model.
type InspectOptions struct {
	// Input is the graph input to feed (default: the first non-initializer
	// input).
	Input string
	// InputSize is [height, width] for dynamic spatial dims (default 224).
	InputSize [2]int
	// Layout is "nhwc" or "nchw"; default: nhwc if the last input dim is
	// 1 or 3, otherwise nchw.
	Layout string
}

// TensorInfo describes one tensor observed during the inspection run.
type TensorInfo struct {
	Name     string
	Op       string // producing op type ("" for graph inputs)
	Shape    []int64
	Elements int64
	DataType string // "float", "int64", …
	Output   bool   // a graph output of the original model
}

// Suggestion is Inspect's proposed embedding layer.
type Suggestion struct {
	Tensor string
	Kind   string // "classification", "detection", "segmentation" or "unknown"
	Reason string
}

// Inspection is the result of Inspect.
type Inspection struct {
	Input      string
	InputShape []int64 // the shape used for the dummy run
	Layout     string
	Outputs    []string     // original graph outputs
	Tensors    []TensorInfo // graph input then node outputs, in graph order
	Suggestion Suggestion
}

// Tensor returns the named TensorInfo.
func (in *Inspection) Tensor(name string) (TensorInfo, bool) {
	for _, t := range in.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

// Inspect loads an ONNX model (refusing unsafe external data), exposes every
// intermediate tensor as an extra graph output in an in-memory copy, runs it
// once on a zero input (batch 1; dynamic spatial dims from opts or 224) and
// reports every tensor's shape together with a suggested embedding layer.
func Inspect(ctx context.Context, rt *Runtime, modelPath string, opts InspectOptions) (*Inspection, error) {
	model, g, err := loadModelGraph(modelPath)
	if err != nil {
		return nil, err
	}
	ins := &Inspection{}
	in, err := pickInput(g, opts.Input)
	if err != nil {
		return nil, err
	}
	ins.Input = in.Name
	ins.InputShape, ins.Layout, err = dummyInputShape(in, opts)
	if err != nil {
		return nil, err
	}
	var names, extra []string
	isOut := map[string]bool{}
	for _, o := range g.Outputs {
		ins.Outputs = append(ins.Outputs, o.Name)
		isOut[o.Name] = true
		names = append(names, o.Name)
	}
	producer := map[string]string{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" || producer[o] != "" || g.Initializers[o] {
				continue
			}
			producer[o] = n.OpType
			if !isOut[o] {
				extra = append(extra, o)
				names = append(names, o)
			}
		}
	}
	rewritten, err := withExtraOutputs(model, extra, nil)
	if err != nil {
		return nil, err
	}
	shapes, types, err := runAllOutputs(ctx, rt, rewritten, modelPath, in.Name, names, ins.InputShape)
	if err != nil {
		return nil, err
	}
	add := func(name, op string, output bool) {
		s, ok := shapes[name]
		if !ok {
			return
		}
		ti := TensorInfo{Name: name, Op: op, Shape: s, DataType: types[name], Output: output, Elements: 1}
		for _, d := range s {
			ti.Elements *= max(d, 0)
		}
		ins.Tensors = append(ins.Tensors, ti)
	}
	shapes[in.Name] = ins.InputShape
	types[in.Name] = "float"
	add(in.Name, "", false)
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" && !seen[o] && !g.Initializers[o] {
				seen[o] = true
				add(o, n.OpType, isOut[o])
			}
		}
	}
	ins.Suggestion = suggestLayer(g, ins)
	return ins, nil
}

func pickInput(g *onnxGraph, name string) (onnxValueInfo, error) {
	for _, in := range g.Inputs {
		if g.Initializers[in.Name] {
			continue
		}
		if name == "" || in.Name == name {
			return in, nil
		}
	}
	if name == "" {
		return onnxValueInfo{}, fmt.Errorf("%w: model has no graph input", ErrBadModel)
	}
	return onnxValueInfo{}, fmt.Errorf("%w: graph input %q", ErrTensorNotFound, name)
}

// dummyInputShape fills dynamic dims: batch 1, spatial from opts or 224,
// channels 3.
func dummyInputShape(in onnxValueInfo, opts InspectOptions) ([]int64, string, error) {
	if in.ElemType != 0 && in.ElemType != 1 {
		return nil, "", fmt.Errorf("%w: input %q has element type %d; only float32 image inputs are supported", ErrBadModel, in.Name, in.ElemType)
	}
	dims := append([]int64(nil), in.Dims...)
	if !in.HasShape || len(dims) == 0 {
		dims = []int64{-1, -1, -1, -1}
	}
	if len(dims) != 4 {
		return nil, "", fmt.Errorf("%w: input %q has rank %d, want a 4-D image batch", ErrBadModel, in.Name, len(dims))
	}
	layout := opts.Layout
	if layout == "" {
		layout = "nchw"
		if dims[3] == 3 || dims[3] == 1 || (dims[3] <= 0 && dims[1] > 4) {
			layout = "nhwc"
		}
	}
	h, w := int64(opts.InputSize[0]), int64(opts.InputSize[1])
	if h <= 0 {
		h = 224
	}
	if w <= 0 {
		w = 224
	}
	hi, wi, ci := 2, 3, 1
	if layout == "nhwc" {
		hi, wi, ci = 1, 2, 3
	}
	fill := map[int]int64{0: 1, hi: h, wi: w, ci: 3}
	for i, d := range dims {
		if d <= 0 {
			dims[i] = fill[i]
		}
		if dims[i] > 1<<14 {
			return nil, "", fmt.Errorf("%w: input dim %d is %d", ErrBadModel, i, dims[i])
		}
	}
	return dims, layout, nil
}

// runAllOutputs runs the model once on zeros and returns every output's shape
// and element type.
func runAllOutputs(ctx context.Context, rt *Runtime, model []byte, modelPath, input string, outputs []string, shape []int64) (map[string][]int64, map[string]string, error) {
	if err := rt.acquire(); err != nil {
		return nil, nil, err
	}
	defer rt.release()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	so, err := rt.newSessionOptions(rt.opts.IntraOpThreads)
	if err != nil {
		return nil, nil, err
	}
	defer so.Destroy()
	_ = so.AddSessionConfigEntry(externalDataDirKey, filepath.Dir(modelPath))
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{input}, outputs, so)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: loading model with all tensors exposed: %v", ErrBadModel, err)
	}
	defer s.Destroy()
	x, err := ort.NewEmptyTensor[float32](ort.Shape(shape))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	defer x.Destroy()
	outs := make([]ort.Value, len(outputs))
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	if err := s.Run([]ort.Value{x}, outs); err != nil {
		return nil, nil, fmt.Errorf("%w: dummy run with input shape %v: %v", ErrBadModel, shape, err)
	}
	shapes := make(map[string][]int64, len(outs))
	types := make(map[string]string, len(outs))
	for i, o := range outs {
		if o == nil {
			continue
		}
		shapes[outputs[i]] = append([]int64(nil), o.GetShape()...)
		types[outputs[i]] = strings.ToLower(strings.TrimPrefix(ort.TensorElementDataType(o.DataType()).String(), "ONNX_TENSOR_ELEMENT_DATA_TYPE_"))
	}
	return shapes, types, nil
}
