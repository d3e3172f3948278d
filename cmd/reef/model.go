package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/extract"
)

func modelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Inspect, register and list image and audio models"}
	cmd.AddCommand(modelInspectCmd(), modelAddCmd(), modelListCmd())
	return cmd
}

func modelInspectCmd() *cobra.Command {
	var (
		ortLib, input, layout string
		size                  int
		asJSON                bool
	)
	cmd := &cobra.Command{
		Use:   "inspect MODEL.onnx",
		Short: "List every tensor an embedding could come from, and suggest one",
		Long: "inspect runs the model once on a blank image with every intermediate tensor exposed and lists\n" +
			"them with their shapes. It suggests the layer before the classifier (classification), the\n" +
			"backbone's last feature map (detection) or the bottleneck (segmentation).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: ortLib})
			if err != nil {
				return err
			}
			defer rt.Close()
			ins, err := extract.Inspect(cmd.Context(), rt, args[0], extract.InspectOptions{Input: input, InputSize: [2]int{size, size}, Layout: layout})
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(ins)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "input %s %v (%s)\n\nTENSOR\tOP\tSHAPE\tELEMENTS\n", ins.Input, ins.InputShape, ins.Layout)
			for _, t := range ins.Tensors {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", t.Name, t.Op, t.Shape, t.Elements)
			}
			tw.Flush()
			s := ins.Suggestion
			fmt.Fprintf(cmd.OutOrStdout(), "\nsuggested layer: %s (%s model): %s\n", s.Tensor, s.Kind, s.Reason)
			fmt.Fprintf(cmd.OutOrStdout(), "register it with:\n  reef model add NAME --file %s --layer %s --input %s --layout %s\n", args[0], s.Tensor, ins.Input, ins.Layout)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ortLib, "ort", "", "ONNX Runtime library (default: search; env REEF_ORT_LIB)")
	f.StringVar(&input, "input", "", "input tensor (default: the model's only image input)")
	f.StringVar(&layout, "layout", "", "nchw or nhwc (default: guessed from the input shape)")
	f.IntVar(&size, "input-size", 224, "input height and width for dynamic dimensions")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func modelAddCmd() *cobra.Command {
	var (
		c    client
		m    extract.Manifest
		file string
		size int
		mean []float32
		std  []float32
	)
	cmd := &cobra.Command{
		Use:   "add NAME --file MODEL.onnx --layer TENSOR",
		Short: "Register an ONNX model with a running server (run `reef model inspect` first)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m.Name = args[0]
			m.File = filepath.Base(file)
			if m.Modality == extract.ModalityAudio {
				// Image flags keep their defaults out of an audio manifest.
				m.Layout, m.MaxDim = "", 0
				if m.Pool == "avg" {
					m.Pool = "mean"
				}
			} else {
				m.InputSize = [2]int{size, size}
				if len(mean) != 3 || len(std) != 3 {
					return fmt.Errorf("--mean and --std take three numbers (R,G,B)")
				}
				copy(m.Mean[:], mean)
				copy(m.Std[:], std)
			}
			raw, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if _, err := extract.ParseManifest(raw); err != nil {
				return err
			}
			if _, err := os.Stat(file); err != nil {
				return err
			}
			var info map[string]any
			if err := c.upload(cmd, "/v1/models", map[string]string{"manifest": string(raw)}, map[string]string{"model": file}, &info); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered model %s (layer %s); ingest with --model %s\n", m.Name, m.Layer, m.Name)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "the .onnx model (required)")
	f.StringVar(&m.Layer, "layer", "", "tensor to embed from (required; see `reef model inspect`)")
	f.StringVar(&m.ObjectLayer, "object-layer", "", "feature map for per-box (ROI-align) embeddings")
	f.StringVar(&m.Input, "input", "input", "input tensor name")
	f.StringVar(&m.Layout, "layout", "nchw", "input layout: nchw or nhwc")
	f.IntVar(&size, "input-size", 224, "input height and width")
	f.Float32SliceVar(&mean, "mean", []float32{123.675, 116.28, 103.53}, "per-channel mean on 0..255 pixels")
	f.Float32SliceVar(&std, "std", []float32{58.395, 57.12, 57.375}, "per-channel std on 0..255 pixels")
	f.StringVar(&m.Pool, "pool", "avg", "feature-map pooling: avg or gem (audio: mean or meanstd over frames)")
	f.StringVar(&m.Modality, "modality", "image", "image, or audio (a waveform-in model; see docs/AUDIO.md)")
	f.IntVar(&m.SampleRate, "sample-rate", 0, "audio: input sample rate (default 16000)")
	f.Float64Var(&m.ChunkSeconds, "chunk-seconds", 0, "audio: longer clips run in chunks of this length (default 30)")
	f.Float32Var(&m.InputScale, "input-scale", 0, "audio: samples in [-1,1] are multiplied by this (default 1)")
	f.IntVar(&m.MaxDim, "max-dim", 10000, "feature maps are adaptively pooled down to at most this many values")
	f.StringVar(&m.Version, "version", "1", "model version recorded with its spaces")
	f.BoolVar(&m.Normalize, "normalize", true, "L2-normalise embeddings")
	cmd.MarkFlagRequired("file")
	cmd.MarkFlagRequired("layer")
	return cmd
}

func modelListCmd() *cobra.Command {
	var c client
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the models a running server can embed with",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Models []struct {
					Name, Version, Source, Layer, Modality string
					Dim                                    int
					Default                                bool
				}
			}
			if err := c.do(cmd.Context(), http.MethodGet, "/v1/models", "", nil, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tMODALITY\tVERSION\tSOURCE\tLAYER\tDIM\tDEFAULT")
			for _, m := range res.Models {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%v\n", m.Name, m.Modality, m.Version, m.Source, m.Layer, m.Dim, m.Default)
			}
			return tw.Flush()
		},
	}
	addClientFlags(cmd, &c)
	return cmd
}
