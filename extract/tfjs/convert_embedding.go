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
