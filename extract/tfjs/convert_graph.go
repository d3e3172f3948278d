package tfjs

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

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
	inits    map[string]string          // content key → initializer name (large tensors)
	scopes   map[string]map[string]*val // view (flip/scale) → converted values of that view
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
		vals: map[string]*val{}, visiting: map[string]bool{}, names: map[string]bool{}, consts: map[string]string{},
		inits: map[string]string{}, scopes: map[string]map[string]*val{}}
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
		v, err := c.getIn(o.View, o.Node)
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

// getIn is get for the tensor computed on a view of the input: the view's
// first use converts the transformed input, and every node it reaches is
// converted again in the view's own scope (initializers are shared).
func (c *converter) getIn(view *View, ref string) (*val, error) {
	if view.identity() {
		return c.get(ref)
	}
	if view.Scale < 0 || view.Scale > 8 || math.IsNaN(view.Scale) {
		return nil, fmt.Errorf("tfjs: view scale %g out of range (0, 8]", view.Scale)
	}
	key := fmt.Sprintf("%v/%v", view.Flip, view.Scale)
	scope, ok := c.scopes[key]
	if !ok {
		ph := ""
		for _, n := range c.m.ModelTopology.Node {
			if n.Op == "Placeholder" {
				if ph != "" {
					return nil, errors.New("tfjs: views need a model with a single Placeholder input")
				}
				ph = n.Name
			}
		}
		if ph == "" {
			return nil, errors.New("tfjs: views need a Placeholder input")
		}
		in, err := c.get(ph)
		if err != nil {
			return nil, err
		}
		if in.rank != 4 || in.konst != nil {
			return nil, errors.New("tfjs: views need a 4-D image input")
		}
		scope = map[string]*val{ph: c.viewInput(in, view)}
		c.scopes[key] = scope
	}
	saved := c.vals
	c.vals = scope
	defer func() { c.vals = saved }()
	return c.get(ref)
}

// viewInput returns the NCHW transformed input of a view. Upscaling runs on
// the NHWC input: ONNX Runtime's cubic Resize is several times faster there
// than on NCHW planes (the results agree to float rounding) but supports only
// scales ≥ 1 in that layout, so downscaling runs on NCHW.
func (c *converter) viewInput(in *val, view *View) *val {
	base := c.opts.InputName + "_" + strings.NewReplacer("-", "_", ".", "_").Replace(view.String())
	shape := append([]int(nil), in.shape...)
	var x string
	if view.resized() {
		nhwc := view.Scale > 1
		hw := []int{2, 4} // spatial dims in the layout resized
		if nhwc {
			x = c.asTF(in)
			hw = []int{1, 3}
		} else {
			x = c.asNCHW(in)
		}
		shp := c.emit(base+"_shape", "Shape", []string{x})
		part := func(from, to int) string {
			return c.emit(base+"_dims", "Slice", []string{shp, c.int64Const(fmt.Sprint("i", from), int64(from)), c.int64Const(fmt.Sprint("i", to), int64(to))})
		}
		spatial := c.emit(base+"_hw", "Cast", []string{part(hw[0], hw[1])}, aInt("to", onnxFloat))
		spatial = c.emit(base+"_hw_scaled", "Mul", []string{spatial, c.floatConst(base+"_scale", nil, float32(view.Scale))})
		spatial = c.emit(base+"_hw_round", "Round", []string{spatial})
		spatial = c.emit(base+"_hw_int", "Cast", []string{spatial}, aInt("to", onnxInt64))
		sizes := c.emit(base+"_sizes", "Concat", []string{part(0, hw[0]), spatial, part(hw[1], 4)}, aInt("axis", 0))
		x = c.emit(base+"_resized", "Resize", []string{x, "", "", sizes},
			aString("mode", "cubic"), aFloat("cubic_coeff_a", -0.5), aString("coordinate_transformation_mode", "half_pixel"))
		if nhwc {
			x = c.emit(base+"_nchw", "Transpose", []string{x}, aInts("perm", 0, 3, 1, 2))
		}
		shape[1] = int(math.Round(float64(shape[1]) * float64(float32(view.Scale))))
		shape[2] = int(math.Round(float64(shape[2]) * float64(float32(view.Scale))))
	} else {
		x = c.asNCHW(in)
	}
	if view.Flip {
		x = c.emit(base+"_flipped", "Slice", []string{x, c.int64Const("minus1", -1), c.int64Const("int64min", math.MinInt64),
			c.int64Const("three64", 3), c.int64Const("minus1", -1)})
	}
	return &val{name: x, rank: 4, nchw: true, shape: shape, dtype: onnxFloat}
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
