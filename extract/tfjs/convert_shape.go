package tfjs

import (
	"math"
)

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
