package extract

import "fmt"

// passThrough ops do not change what a tensor "means" when walking back
// from a classifier output to the logits layer.
var passThrough = map[string]bool{ // read-only
	"Identity": true, "Softmax": true, "LogSoftmax": true, "Sigmoid": true,
	"Flatten": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true,
	"Transpose": true, "Cast": true, "Dropout": true, "Add": true, "Mul": true,
}

// classifierOps compute logits from pre-logit features.
var classifierOps = map[string]bool{"Gemm": true, "MatMul": true, "Conv": true, "FullyConnected": true}

// suggestLayer chooses an embedding tensor from the observed shapes:
//   - segmentation (an output as large as the input): the smallest 4-D
//     tensor, i.e. the encoder bottleneck;
//   - classification (one [N,K] output behind Gemm/MatMul/1×1 Conv): the
//     classifier's input (pre-logits; a 4-D input is pooled by Embedder);
//   - detection (several heads): the last 4-D tensor every output depends
//     on, i.e. the backbone's final feature map before the heads split.
func suggestLayer(g *onnxGraph, ins *Inspection) Suggestion {
	info := map[string]TensorInfo{}
	for _, t := range ins.Tensors {
		info[t.Name] = t
	}
	producer := map[string]onnxNode{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	ih, iw := ins.InputShape[2], ins.InputShape[3]
	if ins.Layout == "nhwc" {
		ih, iw = ins.InputShape[1], ins.InputShape[2]
	}
	is4D := func(t TensorInfo) bool { return len(t.Shape) == 4 && t.DataType == "float" && t.Name != ins.Input }
	spatialIs := func(t TensorInfo, h, w int64) bool {
		s := t.Shape
		return (s[2] == h && s[3] == w) || (s[1] == h && s[2] == w)
	}
	// Segmentation: an output 4-D map at input resolution.
	for _, o := range ins.Outputs {
		if t, ok := info[o]; ok && is4D(t) && spatialIs(t, ih, iw) {
			var best TensorInfo
			for _, c := range ins.Tensors {
				if is4D(c) && !c.Output && c.Elements > 0 && (best.Name == "" || c.Elements <= best.Elements) {
					best = c
				}
			}
			if best.Name != "" {
				return Suggestion{Tensor: best.Name, Kind: "segmentation",
					Reason: fmt.Sprintf("output %q has the input's spatial size %dx%d; %q %v is the most compact 4-D tensor (the bottleneck)", o, ih, iw, best.Name, best.Shape)}
			}
		}
	}
	// Classification: a single 2-D (or 1×1 map) output behind a classifier.
	if len(ins.Outputs) == 1 {
		out := info[ins.Outputs[0]]
		if len(out.Shape) == 2 || (len(out.Shape) == 4 && spatialIs(out, 1, 1)) {
			name := out.Name
			for range len(g.Nodes) {
				n, ok := producer[name]
				if !ok || len(n.Inputs) == 0 {
					break
				}
				if classifierOps[n.OpType] {
					if feat := firstActivation(g, n); feat != "" {
						t := info[feat]
						how := "pre-logits vector"
						if len(t.Shape) == 4 && !spatialIs(t, 1, 1) {
							how = "feature map, pooled to a vector"
						}
						return Suggestion{Tensor: feat, Kind: "classification",
							Reason: fmt.Sprintf("output %q %v comes from %s %q; its input %q %v is the %s", out.Name, out.Shape, n.OpType, n.Name, feat, t.Shape, how)}
					}
					break
				}
				if !passThrough[n.OpType] {
					break
				}
				name = firstActivation(g, n)
			}
		}
	}
	// Detection: last 4-D tensor that every output depends on.
	var common map[string]bool
	for _, o := range ins.Outputs {
		anc := ancestors(o, producer, g)
		if common == nil {
			common = anc
			continue
		}
		for k := range common {
			if !anc[k] {
				delete(common, k)
			}
		}
	}
	kind := "detection"
	if len(ins.Outputs) == 1 {
		kind = "unknown"
	}
	for i := len(ins.Tensors) - 1; i >= 0; i-- {
		t := ins.Tensors[i]
		if common[t.Name] && is4D(t) && !t.Output {
			return Suggestion{Tensor: t.Name, Kind: kind,
				Reason: fmt.Sprintf("%d outputs share %q %v as their last common 4-D feature map (the backbone output before the heads split)", len(ins.Outputs), t.Name, t.Shape)}
		}
	}
	return Suggestion{Kind: "unknown", Reason: "no classifier, head split or bottleneck found; choose a layer manually"}
}

// firstActivation returns the first input of n that is not an initializer.
func firstActivation(g *onnxGraph, n onnxNode) string {
	for _, in := range n.Inputs {
		if in != "" && !g.Initializers[in] {
			return in
		}
	}
	return ""
}

// ancestors returns every tensor that name (transitively) depends on,
// including name itself.
func ancestors(name string, producer map[string]onnxNode, g *onnxGraph) map[string]bool {
	seen := map[string]bool{}
	stack := []string{name}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[t] || g.Initializers[t] {
			continue
		}
		seen[t] = true
		if n, ok := producer[t]; ok {
			for _, in := range n.Inputs {
				if in != "" {
					stack = append(stack, in)
				}
			}
		}
	}
	return seen
}
