package extract

import (
	"fmt"
)

// DetectionSpec is the optional "detection" section of a Manifest: the
// model also has CenterNet-style detection heads (docs/MODEL.md, "Decoding
// detections"). Zero values take the defaults noted per field.
type DetectionSpec struct {
	// Heatmap is the class-centre heatmap output [N, H/s, W/s, K] (NHWC, or
	// NCHW per HeadLayout), sigmoid already applied.
	Heatmap string `json:"heatmap"`
	// Boxes is the box-extent output [N, H/s, W/s, 4]: distances in input
	// pixels from the cell point (col·s, row·s) to the left, top, right and
	// bottom edges.
	Boxes string `json:"boxes"`
	// HeadLayout is the layout of Heatmap and Boxes, "nhwc" (default) or
	// "nchw".
	HeadLayout string `json:"head_layout,omitempty"`
	// InputSize is the detection input [height, width] (default: the
	// manifest's input_size).
	InputSize [2]int `json:"input_size"`
	// Resize is how images are fitted to InputSize: "letterbox" (default:
	// aspect ratio kept, grey padding) or "stretch". Boxes are mapped back to
	// original pixels through the resize Transform either way.
	Resize string `json:"resize,omitempty"`
	// Stride is input pixels per head cell (default 4).
	Stride int `json:"stride"`
	// Classes names the heatmap channels in order; empty means "class<k>".
	Classes []string `json:"classes,omitempty"`
	// ScoreThreshold drops weaker peaks (default 0.3).
	ScoreThreshold float32 `json:"score_threshold,omitempty"`
	// TopK peaks are decoded before NMS (default 100, the TFJS graph's k).
	TopK int `json:"top_k,omitempty"`
	// MaxDetections caps the detections per image after NMS (default 20).
	MaxDetections int `json:"max_detections,omitempty"`
	// NMSIoU: a box overlapping a better-scoring kept box by more than this
	// IoU is suppressed (default 0.5). NMS is class-agnostic unless
	// NMSPerClass is set.
	NMSIoU      float32 `json:"nms_iou,omitempty"`
	NMSPerClass bool    `json:"nms_per_class,omitempty"`
	// BoxLayer is the feature map each detection's embedding is ROI-aligned
	// from, taken from the same run as the heads (default: object_layer).
	// BoxLayerLayout defaults to the manifest's layer_layout.
	BoxLayer       string `json:"box_layer,omitempty"`
	BoxLayerLayout string `json:"box_layer_layout,omitempty"`
}

// Detection defaults and limits.
const (
	DefaultDetectionThreshold = 0.3
	DefaultDetectionTopK      = 100
	DefaultMaxDetections      = 20
	DefaultNMSIoU             = 0.5
	maxDetectionClasses       = 4096
	maxDetectionTopK          = 10000
)

// COCO80Classes are the 80 COCO detection classes in the usual contiguous
// order (person … toothbrush): the heatmap channel order of
// reef-centernet-v1.
var COCO80Classes = []string{
	"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
	"fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
	"elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
	"skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
	"wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
	"broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
	"dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
	"toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
}

func (d *DetectionSpec) applyDefaults(m *Manifest) {
	if d.HeadLayout == "" {
		d.HeadLayout = "nhwc"
	}
	if d.InputSize == [2]int{} {
		d.InputSize = m.InputSize
	}
	if d.Resize == "" {
		d.Resize = ResizeLetterbox
	}
	if d.Stride == 0 {
		d.Stride = 4
	}
	if d.ScoreThreshold == 0 {
		d.ScoreThreshold = DefaultDetectionThreshold
	}
	if d.TopK == 0 {
		d.TopK = DefaultDetectionTopK
	}
	if d.MaxDetections == 0 {
		d.MaxDetections = DefaultMaxDetections
	}
	if d.NMSIoU == 0 {
		d.NMSIoU = DefaultNMSIoU
	}
	if d.BoxLayer == "" {
		d.BoxLayer = m.ObjectLayer
	}
	if d.BoxLayerLayout == "" {
		d.BoxLayerLayout = m.LayerLayout
	}
}

// validate adds every problem of the section to bad (field names prefixed
// with "detection.").
func (d *DetectionSpec) validate(bad func(string, ...any), checkName func(field, v string, required bool)) {
	checkName("detection.heatmap", d.Heatmap, true)
	checkName("detection.boxes", d.Boxes, true)
	if d.BoxLayer == "" {
		bad("detection.box_layer is required (or set object_layer)")
	} else {
		checkName("detection.box_layer", d.BoxLayer, true)
	}
	for _, l := range []struct{ field, v string }{{"head_layout", d.HeadLayout}, {"box_layer_layout", d.BoxLayerLayout}} {
		if l.v != "nhwc" && l.v != "nchw" {
			bad("detection.%s %q, want \"nhwc\" or \"nchw\"", l.field, l.v)
		}
	}
	switch d.Resize {
	case ResizeStretch, ResizeLetterbox:
	default:
		bad("detection.resize %q, want letterbox or stretch", d.Resize)
	}
	if d.Stride < 1 || d.Stride > 1024 {
		bad("detection.stride = %d, want 1..1024", d.Stride)
	}
	for i, v := range d.InputSize {
		switch {
		case v < 8 || v > maxManifestInputDim:
			bad("detection.input_size[%d] = %d, want 8..%d", i, v, maxManifestInputDim)
		case d.Stride >= 1 && v%d.Stride != 0:
			bad("detection.input_size[%d] = %d is not a multiple of the stride %d", i, v, d.Stride)
		}
	}
	if len(d.Classes) > maxDetectionClasses {
		bad("detection.classes has %d names, limit %d", len(d.Classes), maxDetectionClasses)
	} else {
		for i, c := range d.Classes {
			checkName(fmt.Sprintf("detection.classes[%d]", i), c, true)
		}
	}
	if !finite32(d.ScoreThreshold) || d.ScoreThreshold <= 0 || d.ScoreThreshold > 1 {
		bad("detection.score_threshold = %v, want 0 < t ≤ 1", d.ScoreThreshold)
	}
	if d.TopK < 1 || d.TopK > maxDetectionTopK {
		bad("detection.top_k = %d, want 1..%d", d.TopK, maxDetectionTopK)
	}
	if d.MaxDetections < 1 || d.MaxDetections > maxDetectionTopK {
		bad("detection.max_detections = %d, want 1..%d", d.MaxDetections, maxDetectionTopK)
	}
	if !finite32(d.NMSIoU) || d.NMSIoU <= 0 || d.NMSIoU > 1 {
		bad("detection.nms_iou = %v, want 0 < iou ≤ 1", d.NMSIoU)
	}
}

// ClassName returns the name of heatmap channel k.
func (d *DetectionSpec) ClassName(k int) string {
	if k >= 0 && k < len(d.Classes) {
		return d.Classes[k]
	}
	return fmt.Sprintf("class%d", k)
}
