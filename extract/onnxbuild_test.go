package extract

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// Test helper: writes small ONNX ModelProtos with protowire.

type tAttr struct {
	name string
	i    int64
	ints []int64
	s    string
	kind int // 2 INT, 7 INTS, 3 STRING
}

type tNode struct {
	op      string
	in, out []string
	attrs   []tAttr
}

type tInit struct {
	name     string
	dims     []int64
	data     []float32
	external string // external_data location (used when ext)
	ext      bool
}

type tVI struct {
	name string
	dims []int64 // -1 → symbolic "N"
}

func msg(b []byte, num protowire.Number, payload []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, payload)
}

func str(b []byte, num protowire.Number, s string) []byte { return msg(b, num, []byte(s)) }

func varint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func encodeVI(v tVI) []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d < 0 {
			dim = str(dim, 2, "N")
		} else {
			dim = varint(dim, 1, d)
		}
		shape = msg(shape, 1, dim)
	}
	tt := varint(nil, 1, 1) // FLOAT
	tt = msg(tt, 2, shape)
	vi := str(nil, 1, v.name)
	return msg(vi, 2, msg(nil, 1, tt))
}

func encodeTensor(t tInit) []byte {
	var b []byte
	for _, d := range t.dims {
		b = varint(b, 1, d)
	}
	b = varint(b, 2, 1)
	b = str(b, 8, t.name)
	if t.ext {
		b = msg(b, 13, str(str(nil, 1, "location"), 2, t.external))
		b = varint(b, 14, 1)
		return b
	}
	raw := make([]byte, 4*len(t.data))
	for i, f := range t.data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return msg(b, 9, raw)
}

func encodeNode(n tNode, idx int) []byte {
	var b []byte
	for _, s := range n.in {
		b = str(b, 1, s)
	}
	for _, s := range n.out {
		b = str(b, 2, s)
	}
	b = str(b, 3, n.op+"_"+string(rune('a'+idx%26)))
	b = str(b, 4, n.op)
	for _, a := range n.attrs {
		ab := str(nil, 1, a.name)
		switch a.kind {
		case 2:
			ab = varint(ab, 3, a.i)
		case 7:
			for _, v := range a.ints {
				ab = varint(ab, 8, v)
			}
		case 3:
			ab = str(ab, 4, a.s)
		}
		ab = varint(ab, 20, int64(a.kind))
		b = msg(b, 5, ab)
	}
	return b
}

// buildModel returns ModelProto bytes (IR 8, opset 13).
func buildModel(nodes []tNode, inits []tInit, inputs, outputs []tVI) []byte {
	var g []byte
	for i, n := range nodes {
		g = msg(g, 1, encodeNode(n, i))
	}
	g = str(g, 2, "test")
	for _, t := range inits {
		g = msg(g, 5, encodeTensor(t))
	}
	for _, v := range inputs {
		g = msg(g, 11, encodeVI(v))
	}
	for _, v := range outputs {
		g = msg(g, 12, encodeVI(v))
	}
	m := varint(nil, 1, 8)
	m = str(m, 2, "reef-test")
	m = msg(m, 7, g)
	m = msg(m, 8, varint(str(nil, 1, ""), 2, 13))
	return m
}

func writeModel(t testing.TB, dir, name string, model []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, model, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// weights returns n deterministic pseudo-random values in [-0.5, 0.5).
func weights(n int, seed uint32) []float32 {
	out := make([]float32, n)
	for i := range out {
		seed = seed*1664525 + 1013904223
		out[i] = float32(seed>>8)/float32(1<<24) - 0.5
	}
	return out
}

func conv(in, w, b, out string, stride int64, pad int64) tNode {
	return tNode{op: "Conv", in: []string{in, w, b}, out: []string{out}, attrs: []tAttr{
		{name: "strides", ints: []int64{stride, stride}, kind: 7},
		{name: "pads", ints: []int64{pad, pad, pad, pad}, kind: 7},
	}}
}

func convInit(name string, co, ci, k int64, seed uint32) []tInit {
	return []tInit{
		{name: name + "_w", dims: []int64{co, ci, k, k}, data: weights(int(co*ci*k*k), seed)},
		{name: name + "_b", dims: []int64{co}, data: weights(int(co), seed+1)},
	}
}

// detectionModel: x → Conv → Relu → Conv s2 → Relu (feat) → two head Convs.
func detectionModel() []byte {
	var inits []tInit
	inits = append(inits, convInit("c1", 8, 3, 3, 1)...)
	inits = append(inits, convInit("c2", 16, 8, 3, 2)...)
	inits = append(inits, convInit("h1", 4, 16, 1, 3)...)
	inits = append(inits, convInit("h2", 2, 16, 1, 4)...)
	nodes := []tNode{
		conv("x", "c1_w", "c1_b", "c1", 1, 1),
		{op: "Relu", in: []string{"c1"}, out: []string{"r1"}},
		conv("r1", "c2_w", "c2_b", "c2", 2, 1),
		{op: "Relu", in: []string{"c2"}, out: []string{"feat"}},
		conv("feat", "h1_w", "h1_b", "boxes", 1, 0),
		conv("feat", "h2_w", "h2_b", "scores", 1, 0),
	}
	return buildModel(nodes, inits, []tVI{{"x", []int64{-1, 3, 32, 32}}},
		[]tVI{{"boxes", []int64{-1, 4, 16, 16}}, {"scores", []int64{-1, 2, 16, 16}}})
}

// segmentationModel: Conv s2 → Relu → Conv s2 (bottleneck) → Relu → Resize ×4 → Conv to 2 ch.
func segmentationModel() []byte {
	var inits []tInit
	inits = append(inits, convInit("e1", 8, 3, 3, 5)...)
	inits = append(inits, convInit("e2", 16, 8, 3, 6)...)
	inits = append(inits, convInit("d1", 2, 16, 1, 7)...)
	inits = append(inits, tInit{name: "scales", dims: []int64{4}, data: []float32{1, 1, 4, 4}})
	nodes := []tNode{
		conv("x", "e1_w", "e1_b", "e1", 2, 1),
		{op: "Relu", in: []string{"e1"}, out: []string{"r1"}},
		conv("r1", "e2_w", "e2_b", "bott", 2, 1),
		{op: "Relu", in: []string{"bott"}, out: []string{"br"}},
		{op: "Resize", in: []string{"br", "", "scales"}, out: []string{"up"}},
		conv("up", "d1_w", "d1_b", "seg", 1, 0),
	}
	return buildModel(nodes, inits, []tVI{{"x", []int64{-1, 3, 32, 32}}},
		[]tVI{{"seg", []int64{-1, 2, 32, 32}}})
}

// colourModel: a 1×1 Conv copying RGB into channels 0-2 plus a constant
// channel 3 (bias 1), then GlobalAveragePool. Input NCHW [N,3,16,16].
func colourModel() []byte {
	w := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}
	inits := []tInit{
		{name: "cw", dims: []int64{4, 3, 1, 1}, data: w},
		{name: "cb", dims: []int64{4}, data: []float32{0, 0, 0, 1}},
	}
	nodes := []tNode{
		conv("x", "cw", "cb", "fmap", 1, 0),
		{op: "GlobalAveragePool", in: []string{"fmap"}, out: []string{"gap"}},
	}
	return buildModel(nodes, inits, []tVI{{"x", []int64{-1, 3, 16, 16}}}, []tVI{{"gap", []int64{-1, 4, 1, 1}}})
}
