package tfjs

import (
	"fmt"
	"math"
	"strings"
)

// spatial computes TF output size and ONNX padding attributes.
func spatialAttrs(n *Node, kh, kw int, inShape []int) ([]pbAttr, []int, error) {
	strides := n.attrInts("strides")
	if len(strides) == 0 {
		strides = []int{1, 1, 1, 1}
	}
	dil := n.attrInts("dilations")
	if len(dil) == 0 {
		dil = []int{1, 1, 1, 1}
	}
	if len(strides) != 4 || len(dil) != 4 || strides[1] <= 0 || strides[2] <= 0 || dil[1] <= 0 || dil[2] <= 0 {
		return nil, nil, unsupported(n, "bad strides/dilations")
	}
	attrs := []pbAttr{aInts("strides", strides[1], strides[2])}
	if n.Op != "MaxPool" && n.Op != "AvgPool" {
		attrs = append(attrs, aInts("dilations", dil[1], dil[2]))
	}
	pad, _ := n.attrString("padding")
	var out []int
	oh, ow := -1, -1
	if inShape != nil && len(inShape) == 4 {
		h, w := inShape[1], inShape[2]
		ekh, ekw := (kh-1)*dil[1]+1, (kw-1)*dil[2]+1
		switch pad {
		case "SAME":
			oh, ow = ceilDiv(h, strides[1]), ceilDiv(w, strides[2])
		case "VALID":
			oh, ow = ceilDiv(h-ekh+1, strides[1]), ceilDiv(w-ekw+1, strides[2])
		}
	}
	switch pad {
	case "SAME":
		attrs = append(attrs, aString("auto_pad", "SAME_UPPER"))
	case "VALID":
		attrs = append(attrs, aString("auto_pad", "VALID"))
	case "EXPLICIT":
		p := n.attrInts("explicit_paddings")
		if len(p) != 8 {
			return nil, nil, unsupported(n, "explicit_paddings")
		}
		attrs = append(attrs, aInts("pads", p[2], p[4], p[3], p[5]))
		if inShape != nil && len(inShape) == 4 {
			oh = (inShape[1]+p[2]+p[3]-((kh-1)*dil[1]+1))/strides[1] + 1
			ow = (inShape[2]+p[4]+p[5]-((kw-1)*dil[2]+1))/strides[2] + 1
		}
	default:
		return nil, nil, unsupported(n, "padding "+pad)
	}
	if oh >= 0 {
		out = []int{inShape[0], oh, ow, 0}
	}
	return attrs, out, nil
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func (c *converter) conv(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	x, wv := in[0], in[1]
	if x.rank != 4 {
		return nil, unsupported(n, "input is not 4-D")
	}
	if wv.konst == nil || len(wv.konst.Shape) != 4 || wv.konst.F == nil {
		return nil, unsupported(n, "filter is not a constant 4-D float tensor")
	}
	wt := wv.konst
	kh, kw, cin, cout := wt.Shape[0], wt.Shape[1], wt.Shape[2], wt.Shape[3]
	depthwise := strings.Contains(n.Op, "Depthwise")
	var w []float32
	var oc int
	group := 1
	if depthwise {
		// TF [kh,kw,C,M] -> ONNX [C*M,1,kh,kw]
		oc = cin * cout
		group = cin
		w = make([]float32, len(wt.F))
		for y := 0; y < kh; y++ {
			for xx := 0; xx < kw; xx++ {
				for ci := 0; ci < cin; ci++ {
					for m := 0; m < cout; m++ {
						w[((ci*cout+m)*kh+y)*kw+xx] = wt.F[((y*kw+xx)*cin+ci)*cout+m]
					}
				}
			}
		}
	} else {
		// TF HWIO -> ONNX OIHW
		oc = cout
		if x.shape != nil && x.shape[3] > 0 && x.shape[3] != cin {
			if x.shape[3]%cin != 0 {
				return nil, unsupported(n, fmt.Sprintf("filter has %d input channels, input has %d", cin, x.shape[3]))
			}
			group = x.shape[3] / cin
		}
		w = make([]float32, len(wt.F))
		for y := 0; y < kh; y++ {
			for xx := 0; xx < kw; xx++ {
				for ci := 0; ci < cin; ci++ {
					for o := 0; o < cout; o++ {
						w[((o*cin+ci)*kh+y)*kw+xx] = wt.F[((y*kw+xx)*cin+ci)*cout+o]
					}
				}
			}
		}
	}
	var bias []float32
	act := ""
	var actArg *val
	if strings.HasPrefix(n.Op, "_Fused") || strings.HasPrefix(n.Op, "Fused") {
		ops := n.attrStrings("fused_ops")
		if len(ops) == 0 {
			return nil, unsupported(n, "fused op without fused_ops")
		}
		args := in[2:]
		switch ops[0] {
		case "BiasAdd":
			if len(args) < 1 || args[0].konst == nil || args[0].konst.F == nil || len(args[0].konst.F) != oc {
				return nil, unsupported(n, "bias is not a constant vector of output size")
			}
			bias = args[0].konst.F
			args = args[1:]
		case "FusedBatchNorm":
			if len(args) < 4 {
				return nil, unsupported(n, "FusedBatchNorm needs 4 args")
			}
			for _, a := range args[:4] {
				if a.konst == nil || a.konst.F == nil || len(a.konst.F) != oc {
					return nil, unsupported(n, "FusedBatchNorm args are not constant vectors")
				}
			}
			eps := n.attrFloat("epsilon", 0.001)
			sc, off, mean, vr := args[0].konst.F, args[1].konst.F, args[2].konst.F, args[3].konst.F
			bias = make([]float32, oc)
			per := len(w) / oc
			for o := 0; o < oc; o++ {
				k := sc[o] / float32(math.Sqrt(float64(vr[o])+eps))
				for j := 0; j < per; j++ {
					w[o*per+j] *= k
				}
				bias[o] = off[o] - mean[o]*k
			}
			args = args[4:]
		default:
			return nil, unsupported(n, "fused op "+ops[0])
		}
		if len(ops) > 1 {
			act = ops[1]
			if act == "Prelu" {
				if len(args) < 1 {
					return nil, unsupported(n, "Prelu without alpha")
				}
				actArg = args[0]
			}
		}
		if len(ops) > 2 {
			return nil, unsupported(n, fmt.Sprintf("fused ops %v", ops))
		}
	}
	attrs, outShape, err := spatialAttrs(n, kh, kw, x.shape)
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, aInts("kernel_shape", kh, kw))
	if group > 1 {
		attrs = append(attrs, aInt("group", group))
	}
	if outShape != nil {
		outShape[3] = oc
	}
	wname := c.init(n.Name+"_W", onnxFloat, []int64{int64(oc), int64(len(w) / oc / kh / kw), int64(kh), int64(kw)}, floatRaw(w))
	ins := []string{c.asNCHW(x), wname}
	if bias != nil {
		ins = append(ins, c.init(n.Name+"_B", onnxFloat, []int64{int64(oc)}, floatRaw(bias)))
	}
	out := c.emit(n.Name+"_conv", "Conv", ins, attrs...)
	switch act {
	case "":
	case "Relu", "Sigmoid", "Tanh", "Elu":
		out = c.emit(n.Name, act, []string{out})
	case "Relu6":
		out = c.emit(n.Name, "Clip", []string{out, c.floatConst("zero", nil, 0), c.floatConst("six", nil, 6)})
	case "LeakyRelu":
		out = c.emit(n.Name, "LeakyRelu", []string{out}, aFloat("alpha", n.attrFloat("leakyrelu_alpha", 0.2)))
	case "Prelu":
		if actArg.konst == nil || actArg.konst.F == nil {
			return nil, unsupported(n, "Prelu alpha is not constant")
		}
		al := actArg.konst.F
		var slope string
		if len(al) == oc {
			slope = c.floatConst(n.Name+"_alpha", []int{oc, 1, 1}, al...)
		} else if len(al) == 1 {
			slope = c.floatConst(n.Name+"_alpha", nil, al...)
		} else {
			return nil, unsupported(n, "Prelu alpha shape")
		}
		out = c.emit(n.Name, "PRelu", []string{out, slope})
	default:
		return nil, unsupported(n, "fused activation "+act)
	}
	return &val{name: out, rank: 4, nchw: true, shape: outShape, dtype: onnxFloat}, nil
}

func (c *converter) resize(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	x := in[0]
	size, ok := constInts(in[1])
	if !ok || len(size) != 2 || x.rank != 4 || size[0] <= 0 || size[1] <= 0 {
		return nil, unsupported(n, "size must be a constant [h, w] for a 4-D input")
	}
	alignCorners, halfPixel := n.attrBool("align_corners"), n.attrBool("half_pixel_centers")
	bilinear := n.Op == "ResizeBilinear"
	attrs := []pbAttr{}
	mode := "asymmetric"
	switch {
	case alignCorners:
		mode = "align_corners"
	case halfPixel && bilinear:
		mode = "half_pixel"
	case halfPixel:
		mode = "tf_half_pixel_for_nn"
	}
	attrs = append(attrs, aString("coordinate_transformation_mode", mode))
	if bilinear {
		attrs = append(attrs, aString("mode", "linear"))
	} else {
		attrs = append(attrs, aString("mode", "nearest"))
		if alignCorners {
			attrs = append(attrs, aString("nearest_mode", "round_prefer_ceil"))
		} else {
			attrs = append(attrs, aString("nearest_mode", "floor"))
		}
	}
	xs := c.asNCHW(x)
	var out string
	// An integral scale (the usual 2x upsampling) keeps the graph valid for
	// any input size; otherwise the output size is fixed.
	if x.shape != nil && x.shape[1] > 0 && x.shape[2] > 0 && size[0]%x.shape[1] == 0 && size[1]%x.shape[2] == 0 {
		sc := c.floatConst("scales", []int{4}, 1, 1, float32(size[0]/x.shape[1]), float32(size[1]/x.shape[2]))
		out = c.emit(n.Name, "Resize", []string{xs, "", sc}, attrs...)
	} else {
		shp := c.emit(n.Name+"_shape", "Shape", []string{xs})
		nc := c.emit(n.Name+"_nc", "Slice", []string{shp, c.int64Const("i", 0), c.int64Const("i", 2)})
		sizes := c.emit(n.Name+"_sizes", "Concat", []string{nc, c.int64Const("hw", int64(size[0]), int64(size[1]))}, aInt("axis", 0))
		out = c.emit(n.Name, "Resize", []string{xs, "", "", sizes}, attrs...)
	}
	var shape []int
	if x.shape != nil {
		shape = []int{x.shape[0], size[0], size[1], x.shape[3]}
	}
	return &val{name: out, rank: 4, nchw: true, shape: shape, dtype: onnxFloat}, nil
}

func (c *converter) pool(n *Node) (*val, error) {
	in, err := c.inputs(n, 1)
	if err != nil {
		return nil, err
	}
	x := in[0]
	k := n.attrInts("ksize")
	if x.rank != 4 || len(k) != 4 || k[0] != 1 || k[3] != 1 || k[1] <= 0 || k[2] <= 0 {
		return nil, unsupported(n, "needs 4-D input and spatial ksize")
	}
	attrs, shape, err := spatialAttrs(n, k[1], k[2], x.shape)
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, aInts("kernel_shape", k[1], k[2]))
	op := "MaxPool"
	if n.Op == "AvgPool" {
		op = "AveragePool"
	}
	out := c.emit(n.Name, op, []string{c.asNCHW(x)}, attrs...)
	if shape != nil {
		shape[3] = x.shape[3]
	}
	return &val{name: out, rank: 4, nchw: true, shape: shape, dtype: x.dtype}, nil
}
