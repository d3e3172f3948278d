package tfjs

import (
	"fmt"
)

func unsupported(n *Node, why string) error {
	if why != "" {
		return fmt.Errorf("tfjs: unsupported op %s at node %q: %s", n.Op, n.Name, why)
	}
	return fmt.Errorf("tfjs: unsupported op %s at node %q", n.Op, n.Name)
}

var unaryOps = map[string]string{
	"Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Elu": "Elu", "Exp": "Exp",
	"Log": "Log", "Sqrt": "Sqrt", "Neg": "Neg", "Abs": "Abs", "Floor": "Floor",
	"Ceil": "Ceil", "Softplus": "Softplus", "Reciprocal": "Reciprocal", "Round": "Round",
	"Sign": "Sign",
}

var binaryOps = map[string]string{
	"Add": "Add", "AddV2": "Add", "BiasAdd": "Add", "Sub": "Sub", "Mul": "Mul",
	"RealDiv": "Div", "Div": "Div", "Maximum": "Max", "Minimum": "Min", "Pow": "Pow",
}

func (c *converter) convertNode(n *Node) (*val, error) {
	if df, ok := n.attrString("data_format"); ok && df != "NHWC" {
		return nil, unsupported(n, "data_format "+df)
	}
	base := n.Name
	switch n.Op {
	case "Const":
		t, ok := c.weights[n.Name]
		if !ok {
			return nil, fmt.Errorf("tfjs: Const node %q has no weight in weightsManifest", n.Name)
		}
		dt := onnxFloat
		if t.F == nil {
			dt = onnxInt32
		}
		return &val{konst: t, rank: len(t.Shape), shape: t.Shape, dtype: dt}, nil
	case "Placeholder":
		return c.placeholder(n)
	case "Identity", "StopGradient", "Snapshot":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		return in[0], nil
	case "_FusedConv2D", "Conv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		return c.conv(n)
	case "Relu6":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		out := c.emit(base, "Clip", []string{c.operand(x, x.nchw), c.floatConst("zero", nil, 0), c.floatConst("six", nil, 6)})
		return &val{name: out, rank: x.rank, nchw: x.nchw, shape: x.shape, dtype: onnxFloat}, nil
	case "LeakyRelu":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		out := c.emit(base, "LeakyRelu", []string{c.operand(x, x.nchw)}, aFloat("alpha", n.attrFloat("alpha", 0.2)))
		return &val{name: out, rank: x.rank, nchw: x.nchw, shape: x.shape, dtype: onnxFloat}, nil
	case "Rsqrt", "Square":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		xs := c.operand(x, x.nchw)
		var out string
		if n.Op == "Square" {
			out = c.emit(base, "Mul", []string{xs, xs})
		} else {
			out = c.emit(base, "Reciprocal", []string{c.emit(base+"_sqrt", "Sqrt", []string{xs})})
		}
		return &val{name: out, rank: x.rank, nchw: x.nchw, shape: x.shape, dtype: onnxFloat}, nil
	case "Cast":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		to := onnxFloat
		if a, ok := n.Attr["DstT"]; ok && a.Type != nil {
			switch *a.Type {
			case "DT_FLOAT":
			case "DT_INT32":
				to = onnxInt32
			case "DT_INT64":
				to = onnxInt64
			case "DT_BOOL":
				to = onnxBool
			default:
				return nil, unsupported(n, "cast to "+*a.Type)
			}
		}
		out := c.emit(base, "Cast", []string{c.operand(x, x.nchw)}, aInt("to", to))
		return &val{name: out, rank: x.rank, nchw: x.nchw, shape: x.shape, dtype: to}, nil
	case "Softmax":
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		out := c.emit(base, "Softmax", []string{c.operand(x, false)}, aInt("axis", -1))
		return &val{name: out, rank: x.rank, shape: x.shape, dtype: onnxFloat}, nil
	case "Mean", "Sum", "Max", "Min", "Prod":
		return c.reduce(n)
	case "ConcatV2", "Concat":
		return c.concat(n)
	case "ResizeBilinear", "ResizeNearestNeighbor":
		return c.resize(n)
	case "MaxPool", "AvgPool":
		return c.pool(n)
	case "Reshape":
		return c.reshape(n)
	case "Squeeze", "ExpandDims", "Transpose":
		return c.shapeOp(n)
	case "Pad", "PadV2", "MirrorPad":
		return c.pad(n)
	case "StridedSlice":
		return c.stridedSlice(n)
	}
	if op, ok := unaryOps[n.Op]; ok {
		in, err := c.inputs(n, 1)
		if err != nil {
			return nil, err
		}
		x := in[0]
		out := c.emit(base, op, []string{c.operand(x, x.nchw)})
		return &val{name: out, rank: x.rank, nchw: x.nchw, shape: x.shape, dtype: x.dtype}, nil
	}
	if op, ok := binaryOps[n.Op]; ok {
		return c.binary(n, op)
	}
	return nil, unsupported(n, "")
}

func (c *converter) placeholder(n *Node) (*val, error) {
	if c.input != nil {
		return nil, unsupported(n, "more than one Placeholder input")
	}
	shape := []int{1, 0, 0, 3}
	if a, ok := n.Attr["shape"]; ok && a.Shape != nil && len(a.Shape.Dim) == 4 {
		for i, d := range a.Shape.Dim {
			shape[i] = int(d.Size)
		}
	}
	if shape[3] <= 0 {
		return nil, unsupported(n, "input channel count unknown")
	}
	// Static shapes are inferred at the model's native input size (constant
	// resize sizes refer to it); reported output shapes are rescaled to the
	// requested input size.
	c.natH, c.natW = shape[1], shape[2]
	if c.natH <= 0 {
		c.natH = max(c.opts.InputHeight, 224)
	}
	if c.natW <= 0 {
		c.natW = max(c.opts.InputWidth, 224)
	}
	c.refH, c.refW = c.natH, c.natW
	if c.opts.InputHeight > 0 {
		c.refH = c.opts.InputHeight
	}
	if c.opts.InputWidth > 0 {
		c.refW = c.opts.InputWidth
	}
	dims := []dim{{param: "N"}, {param: "H"}, {param: "W"}, {value: int64(shape[3])}}
	if c.opts.InputHeight > 0 {
		dims[1] = dim{value: int64(c.opts.InputHeight)}
	}
	if c.opts.InputWidth > 0 {
		dims[2] = dim{value: int64(c.opts.InputWidth)}
	}
	c.names[c.opts.InputName] = true
	c.g.inputs = append(c.g.inputs, pbValueInfo{name: c.opts.InputName, dtype: onnxFloat, shape: dims})
	v := &val{name: c.opts.InputName, rank: 4, shape: []int{1, c.natH, c.natW, shape[3]}, dtype: onnxFloat}
	c.input = v
	return v, nil
}

func broadcastShapes(a, b []int) []int {
	if a == nil || b == nil {
		return nil
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	out := append([]int(nil), a...)
	off := len(a) - len(b)
	for i, d := range b {
		if d != 1 {
			out[off+i] = d
		}
	}
	return out
}

func (c *converter) binary(n *Node, op string) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	nchw := (a.konst == nil && a.rank == 4) || (b.konst == nil && b.rank == 4)
	// Operands that cannot be brought to NCHW force the TF layout.
	for _, v := range []*val{a, b} {
		if v.konst == nil && v.rank != 4 && v.rank != 0 {
			nchw = false
		}
		if v.konst != nil && Numel(v.konst.Shape) != 1 && len(v.konst.Shape) != 1 && len(v.konst.Shape) != 4 {
			nchw = false
		}
	}
	names := make([]string, 2)
	for i, v := range []*val{a, b} {
		switch {
		case v.konst != nil && nchw && Numel(v.konst.Shape) == 1:
			t := v.konst
			if t.F != nil {
				names[i] = c.floatConst("scalar", nil, t.F[0])
			} else {
				names[i] = c.constInit(&Tensor{Dtype: t.Dtype, I: t.I}, false)
			}
		case v.konst != nil && nchw && len(v.konst.Shape) == 1:
			t := v.konst
			nt := &Tensor{Dtype: t.Dtype, F: t.F, I: t.I, Shape: []int{t.Shape[0], 1, 1}}
			names[i] = c.constInit(nt, false)
		default:
			names[i] = c.operand(v, nchw)
		}
	}
	if a.dtype != b.dtype && a.konst == nil && b.konst == nil {
		return nil, unsupported(n, "mixed operand types")
	}
	out := c.emit(n.Name, op, names)
	rank := max(a.rank, b.rank)
	dt := a.dtype
	if a.konst != nil {
		dt = b.dtype
	}
	return &val{name: out, rank: rank, nchw: nchw && rank == 4, shape: broadcastShapes(a.shape, b.shape), dtype: dt}, nil
}
