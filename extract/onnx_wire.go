package extract

import (
	"fmt"
	"runtime"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds a minimal, bounds-checked, wire-level reader/writer for the
// parts of the ONNX ModelProto that reef needs. Field numbers follow onnx.proto
// (IR version ≥ 3). Unknown fields are skipped, never interpreted.

const (
	modelGraphField     = 7
	modelFunctionsField = 25

	graphNodeField       = 1
	graphInitField       = 5
	graphInputField      = 11
	graphOutputField     = 12
	graphValueInfoField  = 13
	graphSparseInitField = 15

	nodeInputField  = 1
	nodeOutputField = 2
	nodeNameField   = 3
	nodeOpTypeField = 4
	nodeAttrField   = 5

	functionNodeField = 7

	attrTField             = 5
	attrGField             = 6
	attrTensorsField       = 10
	attrGraphsField        = 11
	attrSparseTensorField  = 22
	attrSparseTensorsField = 23

	tensorNameField         = 8
	tensorExternalDataField = 13
	sparseValuesField       = 1
	sparseIndicesField      = 2

	// maxGraphDepth bounds recursion through subgraphs (If/Loop bodies).
	maxGraphDepth = 32
)

// onnxNode is one NodeProto: operator type and tensor names.
type onnxNode struct {
	Name    string
	OpType  string
	Inputs  []string
	Outputs []string
}

// onnxValueInfo is one ValueInfoProto. Dims holds -1 for symbolic/unknown
// dimensions; HasShape is false when no shape was recorded.
type onnxValueInfo struct {
	Name     string
	ElemType int32
	Dims     []int64
	HasShape bool
	raw      []byte
}

// onnxGraph is the main graph of a model.
type onnxGraph struct {
	Nodes        []onnxNode
	Inputs       []onnxValueInfo
	Outputs      []onnxValueInfo
	ValueInfo    []onnxValueInfo
	Initializers map[string]bool
}

// forEachField walks the top-level fields of a message, calling fn with the
// field number, wire type and, for length-delimited fields, the payload.
func forEachField(b []byte, fn func(num protowire.Number, typ protowire.Type, payload []byte) error) error {
	return forEachFieldV(b, func(num protowire.Number, typ protowire.Type, p []byte, _ uint64) error {
		return fn(num, typ, p)
	})
}

// forEachFieldV is forEachField that also passes varint values.
func forEachFieldV(b []byte, fn func(num protowire.Number, typ protowire.Type, payload []byte, v uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: malformed protobuf tag: %v", ErrBadModel, protowire.ParseError(n))
		}
		b = b[n:]
		var payload []byte
		var val uint64
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return fmt.Errorf("%w: malformed protobuf field %d: %v", ErrBadModel, num, protowire.ParseError(m))
			}
			payload, n = v, m
		} else if typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return fmt.Errorf("%w: malformed protobuf varint %d: %v", ErrBadModel, num, protowire.ParseError(m))
			}
			val, n = v, m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("%w: malformed protobuf field %d: %v", ErrBadModel, num, protowire.ParseError(n))
			}
		}
		b = b[n:]
		if err := fn(num, typ, payload, val); err != nil {
			return err
		}
	}
	return nil
}

// modelGraphBytes returns the (last) GraphProto payload of a ModelProto.
func modelGraphBytes(model []byte) ([]byte, error) {
	var g []byte
	found := false
	err := forEachField(model, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if num == modelGraphField && typ == protowire.BytesType {
			g, found = p, true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: ModelProto has no graph", ErrBadModel)
	}
	return g, nil
}

// parseGraph decodes the parts of a GraphProto used by Inspect and Embedder.
func parseGraph(g []byte) (*onnxGraph, error) {
	out := &onnxGraph{Initializers: map[string]bool{}}
	err := forEachField(g, func(num protowire.Number, typ protowire.Type, p []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphNodeField:
			n, err := parseNode(p)
			if err != nil {
				return err
			}
			out.Nodes = append(out.Nodes, n)
		case graphInitField:
			return forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
				if num == tensorNameField && typ == protowire.BytesType {
					out.Initializers[string(q)] = true
				}
				return nil
			})
		case graphInputField, graphOutputField, graphValueInfoField:
			vi, err := parseValueInfo(p)
			if err != nil {
				return err
			}
			switch num {
			case graphInputField:
				out.Inputs = append(out.Inputs, vi)
			case graphOutputField:
				out.Outputs = append(out.Outputs, vi)
			default:
				out.ValueInfo = append(out.ValueInfo, vi)
			}
		}
		return nil
	})
	return out, err
}

func parseNode(p []byte) (onnxNode, error) {
	var n onnxNode
	err := forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case nodeInputField:
			n.Inputs = append(n.Inputs, string(q))
		case nodeOutputField:
			n.Outputs = append(n.Outputs, string(q))
		case nodeNameField:
			n.Name = string(q)
		case nodeOpTypeField:
			n.OpType = string(q)
		}
		return nil
	})
	return n, err
}

func parseValueInfo(p []byte) (onnxValueInfo, error) {
	vi := onnxValueInfo{raw: p}
	err := forEachField(p, func(num protowire.Number, typ protowire.Type, q []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1: // name
			vi.Name = string(q)
		case 2: // TypeProto
			return forEachField(q, func(num protowire.Number, typ protowire.Type, t []byte) error {
				if num != 1 || typ != protowire.BytesType { // tensor_type
					return nil
				}
				return parseTensorType(t, &vi)
			})
		}
		return nil
	})
	return vi, err
}

func parseTensorType(t []byte, vi *onnxValueInfo) error {
	return forEachFieldV(t, func(num protowire.Number, typ protowire.Type, p []byte, v uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType: // elem_type
			vi.ElemType = int32(v)
		case num == 2 && typ == protowire.BytesType: // shape
			vi.HasShape = true
			vi.Dims = vi.Dims[:0]
			return forEachField(p, func(num protowire.Number, typ protowire.Type, d []byte) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				dim := int64(-1)
				err := forEachFieldV(d, func(num protowire.Number, typ protowire.Type, _ []byte, v uint64) error {
					if num == 1 && typ == protowire.VarintType && v > 0 && v < 1<<40 {
						dim = int64(v)
					}
					return nil
				})
				vi.Dims = append(vi.Dims, dim)
				return err
			})
		}
		return nil
	})
}

// withExtraOutputs returns a copy of model whose main graph additionally lists
// the named tensors as graph outputs. typed supplies an existing
// ValueInfoProto payload for a name (e.g. from value_info); names without one
// are emitted as a float tensor of unknown shape, which ORT accepts and
// overrides with the inferred type when the types agree.
func withExtraOutputs(model []byte, names []string, typed map[string][]byte) ([]byte, error) {
	if _, err := modelGraphBytes(model); err != nil {
		return nil, err
	}
	var extra []byte
	for _, name := range names {
		vi := typed[name]
		if vi == nil {
			vi = protowire.AppendTag(nil, 1, protowire.BytesType)
			vi = protowire.AppendString(vi, name)
		}
		extra = protowire.AppendTag(extra, graphOutputField, protowire.BytesType)
		extra = protowire.AppendBytes(extra, vi)
	}
	// Re-emit every top-level field verbatim, extending the last graph field.
	lastGraph := -1
	i := 0
	_ = forEachField(model, func(num protowire.Number, typ protowire.Type, _ []byte) error {
		if num == modelGraphField && typ == protowire.BytesType {
			lastGraph = i
		}
		i++
		return nil
	})
	out := make([]byte, 0, len(model)+len(extra)+16)
	b := model
	for i = 0; len(b) > 0; i++ {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if n < 0 || m < 0 {
			return nil, fmt.Errorf("%w: malformed model", ErrBadModel)
		}
		if i == lastGraph {
			g, _ := protowire.ConsumeBytes(b[n:])
			out = protowire.AppendTag(out, modelGraphField, protowire.BytesType)
			out = protowire.AppendVarint(out, uint64(len(g)+len(extra)))
			out = append(out, g...)
			out = append(out, extra...)
		} else {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return out, nil
}

// loadModelGraph reads a model file (refusing unsafe external data) and
// parses its graph: the first step of every way reef opens a model.
func loadModelGraph(path string) ([]byte, *onnxGraph, error) {
	model, err := LoadModelFile(path)
	if err != nil {
		return nil, nil, err
	}
	gb, err := modelGraphBytes(model)
	if err != nil {
		return nil, nil, err
	}
	g, err := parseGraph(gb)
	if err != nil {
		return nil, nil, err
	}
	return model, g, nil
}

// sessionThreads is the intra-op thread count of each of n sessions: the
// cores shared out, unless the Runtime fixes it.
func sessionThreads(rt *Runtime, sessions int) int {
	if rt != nil && rt.opts.IntraOpThreads > 0 {
		return rt.opts.IntraOpThreads
	}
	return max(1, runtime.GOMAXPROCS(0)/sessions)
}
