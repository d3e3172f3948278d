package extract

// tensorNames returns every tensor name produced by a node or fed as a graph
// input (initializers excluded).
func (g *onnxGraph) tensorNames() map[string]bool {
	names := map[string]bool{}
	for _, in := range g.Inputs {
		if !g.Initializers[in.Name] {
			names[in.Name] = true
		}
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				names[o] = true
			}
		}
	}
	return names
}

// typedValueInfo maps names to their value_info payloads that carry a type.
func (g *onnxGraph) typedValueInfo() map[string][]byte {
	m := map[string][]byte{}
	for _, v := range g.ValueInfo {
		if v.ElemType != 0 {
			m[v.Name] = v.raw
		}
	}
	return m
}
