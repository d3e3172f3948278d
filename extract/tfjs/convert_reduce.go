package tfjs

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
