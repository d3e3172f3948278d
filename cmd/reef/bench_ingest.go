package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/ingest"
)

func benchIngestCmd() *cobra.Command {
	var (
		model, models, ort   string
		limit, rounds, batch int
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "ingest DIR",
		Short: "Images/s of reef's ingest vs bare ONNX Runtime on the same images and model",
		Long: "bench ingest runs locally (no server): it ingests up to --limit images from DIR into a scratch\n" +
			"data directory, end to end, and runs the same model bare on the same images already decoded\n" +
			"and preprocessed (the same batch size; the faster of one session on all cores and one\n" +
			"single-threaded session per core), --rounds times each, alternating.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var files []string
			filepath.WalkDir(args[0], func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
					files = append(files, p)
				}
				return nil
			})
			sort.Strings(files)
			if len(files) == 0 {
				return fmt.Errorf("no images under %s", args[0])
			}
			files = files[:min(limit, len(files))]
			images := make([][]byte, len(files))
			for i, p := range files {
				var err error
				if images[i], err = os.ReadFile(p); err != nil {
					return err
				}
			}
			dir, err := os.MkdirTemp("", "reef-bench-ingest-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			opts := engine.DefaultOptions()
			opts.DataDir, opts.SnapshotInterval = dir, 0
			opts.Logger = newLogger("warn")
			iopts := ingest.DefaultOptions()
			iopts.ModelDir, iopts.ORTLibrary = findModelDir(models), ort
			if model != "" {
				iopts.DefaultModel = model
			}
			eng, err := engine.Open(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer eng.Close()
			ing, err := ingest.New(eng, iopts)
			if err != nil {
				return err
			}
			m, err := ing.MeasureIngest(cmd.Context(), "", images, rounds, batch)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(m)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s, %d images × %d rounds, batch %d:\n  reef ingest  %.1f images/s (%s sessions×threads, JPEG by %s)\n  bare ORT     %.1f images/s (%s",
				m.Model, m.Images, m.Rounds, m.BatchSize, m.ReefPerSec, m.ReefConfig, m.JPEGDecoder, m.BarePerSec, m.BareConfig)
			names := make([]string, 0, len(m.BareConfigs))
			for name := range m.BareConfigs {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				fmt.Fprintf(cmd.OutOrStdout(), "; %s: %.1f", name, m.BareConfigs[name])
			}
			fmt.Fprintf(cmd.OutOrStdout(), ")\n  ratio        %.2f×\n", m.Ratio)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "built-in model (default: reef-centernet-v1)")
	f.StringVar(&models, "models", envOr("REEF_MODELS", filepath.Join("models", "builtin")), "built-in model directory")
	f.StringVar(&ort, "ort", envOr("REEF_ORT_LIB", ""), "ONNX Runtime library")
	f.IntVar(&limit, "limit", 64, "images to use")
	f.IntVar(&rounds, "rounds", 3, "timed rounds")
	f.IntVar(&batch, "batch", 16, "batch size")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
