package tfjs

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Minimal ONNX protobuf writer. Field numbers follow onnx/onnx.proto:
//
//	ModelProto:        ir_version=1 producer_name=2 producer_version=3 domain=4
//	                   model_version=5 doc_string=6 graph=7 opset_import=8
//	                   metadata_props=14
//	OperatorSetIdProto: domain=1 version=2
//	GraphProto:        node=1 name=2 initializer=5 doc_string=10 input=11
//	                   output=12 value_info=13
//	NodeProto:         input=1 output=2 name=3 op_type=4 attribute=5
//	                   doc_string=6 domain=7
//	AttributeProto:    name=1 f=2 i=3 s=4 t=5 g=6 floats=7 ints=8 type=20
//	TensorProto:       dims=1 data_type=2 name=8 raw_data=9
//	ValueInfoProto:    name=1 type=2
//	TypeProto:         tensor_type=1; TypeProto.Tensor: elem_type=1 shape=2
//	TensorShapeProto:  dim=1; Dimension: dim_value=1 dim_param=2
//	StringStringEntryProto: key=1 value=2
const (
	onnxFloat = 1
	onnxInt32 = 6
	onnxInt64 = 7
	onnxBool  = 9

	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrTensor = 4
	attrGraph  = 5
	attrFloats = 6
	attrInts   = 7
)

type pbAttr struct {
	name   string
	typ    int
	f      float32
	i      int64
	s      string
	floats []float32
	ints   []int64
	t      *pbTensor
	g      *pbGraph
}

type pbNode struct {
	inputs, outputs []string
	name, op        string
	attrs           []pbAttr
}

type pbTensor struct {
	name  string
	dims  []int64
	dtype int
	raw   []byte
}

// dim is a shape entry: value >= 0 or a symbolic name.
type dim struct {
	value int64
	param string
}

type pbValueInfo struct {
	name  string
	dtype int
	shape []dim // nil: unknown rank
}

type pbGraph struct {
	name    string
	nodes   []pbNode
	inits   []pbTensor
	inputs  []pbValueInfo
	outputs []pbValueInfo
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (t *pbTensor) marshal() []byte {
	var b []byte
	if len(t.dims) > 0 {
		var packed []byte
		for _, d := range t.dims {
			packed = protowire.AppendVarint(packed, uint64(d))
		}
		b = appendBytes(b, 1, packed)
	}
	b = appendVarint(b, 2, uint64(t.dtype))
	if t.name != "" {
		b = appendString(b, 8, t.name)
	}
	b = appendBytes(b, 9, t.raw)
	return b
}

func (a *pbAttr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.name)
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendVarint(b, 3, uint64(a.i))
	case attrString:
		b = appendString(b, 4, a.s)
	case attrTensor:
		b = appendBytes(b, 5, a.t.marshal())
	case attrGraph:
		b = appendBytes(b, 6, a.g.marshal())
	case attrFloats:
		var packed []byte
		for _, f := range a.floats {
			packed = protowire.AppendFixed32(packed, math.Float32bits(f))
		}
		b = appendBytes(b, 7, packed)
	case attrInts:
		var packed []byte
		for _, v := range a.ints {
			packed = protowire.AppendVarint(packed, uint64(v))
		}
		b = appendBytes(b, 8, packed)
	}
	b = appendVarint(b, 20, uint64(a.typ))
	return b
}

func (n *pbNode) marshal() []byte {
	var b []byte
	for _, s := range n.inputs {
		b = appendString(b, 1, s)
	}
	for _, s := range n.outputs {
		b = appendString(b, 2, s)
	}
	if n.name != "" {
		b = appendString(b, 3, n.name)
	}
	b = appendString(b, 4, n.op)
	for i := range n.attrs {
		b = appendBytes(b, 5, n.attrs[i].marshal())
	}
	return b
}

func (v *pbValueInfo) marshal() []byte {
	var tensor []byte
	tensor = appendVarint(tensor, 1, uint64(v.dtype))
	if v.shape != nil {
		var shape []byte
		for _, d := range v.shape {
			var db []byte
			if d.param != "" {
				db = appendString(db, 2, d.param)
			} else {
				db = appendVarint(db, 1, uint64(d.value))
			}
			shape = appendBytes(shape, 1, db)
		}
		tensor = appendBytes(tensor, 2, shape)
	}
	typ := appendBytes(nil, 1, tensor)
	var b []byte
	b = appendString(b, 1, v.name)
	b = appendBytes(b, 2, typ)
	return b
}

func (g *pbGraph) marshal() []byte {
	var b []byte
	for i := range g.nodes {
		b = appendBytes(b, 1, g.nodes[i].marshal())
	}
	b = appendString(b, 2, g.name)
	for i := range g.inits {
		b = appendBytes(b, 5, g.inits[i].marshal())
	}
	for i := range g.inputs {
		b = appendBytes(b, 11, g.inputs[i].marshal())
	}
	for i := range g.outputs {
		b = appendBytes(b, 12, g.outputs[i].marshal())
	}
	return b
}

// marshalModel writes a ModelProto with ir_version 8 and the default-domain
// opset given.
func marshalModel(g *pbGraph, opset int64, producer, doc string, meta map[string]string, metaKeys []string) []byte {
	var b []byte
	b = appendVarint(b, 1, 8)
	b = appendString(b, 2, producer)
	b = appendString(b, 3, "1")
	if doc != "" {
		b = appendString(b, 6, doc)
	}
	b = appendBytes(b, 7, g.marshal())
	var op []byte
	op = appendString(op, 1, "")
	op = appendVarint(op, 2, uint64(opset))
	b = appendBytes(b, 8, op)
	for _, k := range metaKeys {
		var e []byte
		e = appendString(e, 1, k)
		e = appendString(e, 2, meta[k])
		b = appendBytes(b, 14, e)
	}
	return b
}

func floatRaw(f []float32) []byte {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func int64Raw(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

func int32Raw(v []int64) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(x)))
	}
	return b
}

func boolRaw(v []int64) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		if x != 0 {
			b[i] = 1
		}
	}
	return b
}

func dims64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}
