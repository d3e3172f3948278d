package tfjs

import (
	"errors"
	"fmt"
)

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
	for _, nm := range e.Nodes {
		if nm == "" {
			return OutputInfo{}, errors.New("tfjs: embedding node name is empty")
		}
	}
	views := e.Views
	if len(views) == 0 {
		views = []View{{}}
	}
	switch e.ViewAverage {
	case "", ViewAveragePooled, ViewAverageL2:
	default:
		return OutputInfo{}, fmt.Errorf("tfjs: embedding view average %q: want %q or %q", e.ViewAverage, ViewAveragePooled, ViewAverageL2)
	}
	if e.ViewsMaxSide < 0 {
		return OutputInfo{}, errors.New("tfjs: embedding ViewsMaxSide is negative")
	}
	// The first view is pooled in the main graph.
	first := make([]string, len(e.Nodes))
	dims := make([]int, len(e.Nodes))
	for i := range e.Nodes {
		pooled, d, err := c.poolView(e, i, &views[0], len(views) > 1)
		if err != nil {
			return OutputInfo{}, err
		}
		first[i], dims[i] = pooled, d
		dimSum += d
	}
	avg := first
	if len(views) > 1 {
		var err error
		if e.ViewsMaxSide == 0 {
			avg, err = c.averageViews(e, views[1:], first)
		} else {
			avg, err = c.gatedViews(e, views[1:], first, dims)
		}
		if err != nil {
			return OutputInfo{}, err
		}
	}
	for _, a := range avg {
		parts = append(parts, c.l2norm(a, eps))
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
	var outShape []dim
	if outDim > 0 {
		outShape = []dim{{param: "N"}, {value: int64(outDim)}}
	}
	c.g.outputs = append(c.g.outputs, pbValueInfo{name: name, dtype: onnxFloat, shape: outShape})
	return OutputInfo{Name: name, Shape: []int{1, outDim}}, nil
}

// poolView pools embedding node i on a view: GeM (or mean) over H and W,
// L2-normalised when the views are averaged as unit vectors (multi true).
// It returns the pooled [N,C] value and C (0 when unknown).
func (c *converter) poolView(e *Embedding, i int, view *View, multi bool) (string, int, error) {
	nm := e.Nodes[i]
	gem := e.GeM
	if e.NodeGeM != nil {
		gem = e.NodeGeM[i]
	}
	v, err := c.getIn(view, nm)
	if err != nil {
		return "", 0, err
	}
	if v.rank != 4 || v.konst != nil {
		return "", 0, fmt.Errorf("tfjs: embedding node %q is not a 4-D feature map", nm)
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
	if multi && e.ViewAverage == ViewAverageL2 {
		pooled = c.l2norm(pooled, c.floatConst("eps", nil, 1e-12))
	}
	d := 0
	if v.shape != nil {
		d = v.shape[3]
	}
	return pooled, d, nil
}

// averageViews pools every node on the further views and averages each
// node's vectors with first (the first view's).
func (c *converter) averageViews(e *Embedding, views []View, first []string) ([]string, error) {
	out := make([]string, len(first))
	for i := range e.Nodes {
		all := []string{first[i]}
		for vi := range views {
			p, _, err := c.poolView(e, i, &views[vi], true)
			if err != nil {
				return nil, err
			}
			all = append(all, p)
		}
		out[i] = c.emit(e.Nodes[i]+"_views", "Mean", all)
	}
	return out, nil
}

// gatedViews is averageViews inside an ONNX If that runs only when the
// input's height and width are at most e.ViewsMaxSide (ONNX Runtime runs
// every node of the graph whichever outputs are requested, but only the
// taken branch of an If): larger inputs, such as the detector's, keep the
// first view's vectors and do not pay for the other views.
func (c *converter) gatedViews(e *Embedding, views []View, first []string, dims []int) (out []string, err error) {
	in := c.input
	if in == nil {
		return nil, errors.New("tfjs: embedding views need the image input")
	}
	c.asNCHW(in) // created in the main graph, not inside a branch
	shp := c.emit(c.opts.InputName+"_shape", "Shape", []string{c.asTF(in)})
	hw := c.emit(c.opts.InputName+"_hw", "Slice", []string{shp, c.int64Const("i1", 1), c.int64Const("i3", 3)})
	side := c.emit(c.opts.InputName+"_max_side", "ReduceMax", []string{hw}, aInt("keepdims", 0))
	cond := c.emit("embedding_views_on", "LessOrEqual", []string{side, c.int64Const("views_max_side", int64(e.ViewsMaxSide))})

	mainNodes, mainInits, mainConsts, mainInitKeys := c.g.nodes, c.g.inits, c.consts, c.inits
	savedScopes := c.scopes
	defer func() {
		c.scopes = savedScopes
		c.g.inits, c.consts, c.inits = mainInits, mainConsts, mainInitKeys
		if err != nil {
			c.g.nodes = mainNodes
		}
	}()
	branchOutputs := func(names []string) []pbValueInfo {
		vi := make([]pbValueInfo, len(names))
		for i, nm := range names {
			d := dim{param: "C"}
			if dims[i] > 0 {
				d = dim{value: int64(dims[i])}
			}
			vi[i] = pbValueInfo{name: nm, dtype: onnxFloat, shape: []dim{{param: "N"}, d}}
		}
		return vi
	}
	// then: the further views, converted in scopes of their own (their
	// values exist only inside the branch), with the branch's own copy of
	// the weights and constants: ONNX Runtime optimises a branch (fusions,
	// weight pre-packing) only with initializers of its own, and runs the
	// network about 1.5× slower with outer-scope ones.
	c.g.nodes, c.g.inits = nil, nil
	c.consts, c.inits = map[string]string{}, map[string]string{}
	c.scopes = map[string]map[string]*val{}
	thenOut, err := c.averageViews(e, views, first)
	if err != nil {
		return nil, err
	}
	thenG := &pbGraph{name: "embedding_views", nodes: c.g.nodes, inits: c.g.inits, outputs: branchOutputs(thenOut)}
	c.g.inits = mainInits
	// else: the first view alone.
	c.g.nodes = nil
	elseOut := make([]string, len(first))
	for i, f := range first {
		elseOut[i] = c.emit(f+"_single", "Identity", []string{f})
	}
	elseG := &pbGraph{name: "embedding_single_view", nodes: c.g.nodes, outputs: branchOutputs(elseOut)}
	c.g.nodes = mainNodes
	out = make([]string, len(first))
	for i := range first {
		out[i] = c.unique(e.Nodes[i] + "_views")
	}
	c.node("If", []string{cond}, out, pbAttr{name: "then_branch", typ: attrGraph, g: thenG}, pbAttr{name: "else_branch", typ: attrGraph, g: elseG})
	return out, nil
}

func (c *converter) l2norm(x, eps string) string {
	nrm := c.emit(x+"_l2", "ReduceL2", []string{x}, aInts("axes", 1), aInt("keepdims", 1))
	nrm = c.emit(x+"_l2c", "Max", []string{nrm, eps})
	return c.emit(x+"_norm", "Div", []string{x, nrm})
}
