package tfjs

import (
	"fmt"
)

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
	// Large tensors are shared by content (a view's copy of the network
	// reuses the weights).
	key := ""
	if len(raw) >= 64 {
		key = fmt.Sprint(dtype, dims) + string(raw)
		if nm, ok := c.inits[key]; ok {
			return nm
		}
	}
	nm := c.unique(base)
	c.g.inits = append(c.g.inits, pbTensor{name: nm, dims: dims, dtype: dtype, raw: raw})
	if key != "" {
		c.inits[key] = nm
	}
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
