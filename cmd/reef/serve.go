package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/server"
)

func serveCmd() *cobra.Command {
	eo, so := engine.DefaultOptions(), server.DefaultOptions()
	var logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the REST server on a data directory",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := newLogger(logLevel)
			eo.Logger, so.Logger, so.Version = log, log, version
			if so.AdminKey == "" {
				so.AdminKey = envOr("REEF_ADMIN_KEY", "")
			}
			if so.ReadKey == "" {
				so.ReadKey = envOr("REEF_READ_KEY", "")
			}
			so.Ingest.ModelDir = findModelDir(so.Ingest.ModelDir)
			so.Ingest.AudioModelDir = findModelDir(so.Ingest.AudioModelDir)
			start := time.Now()
			eng, err := engine.Open(cmd.Context(), eo)
			if err != nil {
				return err
			}
			defer func() {
				if err := eng.Close(); err != nil {
					log.Error("close", "err", err)
				}
			}()
			log.Info("data directory open", "dir", eo.DataDir, "took", time.Since(start).Round(time.Millisecond))
			srv, err := server.New(eng, so)
			if err != nil {
				return err
			}
			return srv.Serve(cmd.Context(), func(addr string) {
				log.Info("reef serving", "addr", "http://"+addr, "version", version)
				fmt.Fprintf(cmd.ErrOrStderr(), "reef listening on http://%s\n", addr)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&eo.DataDir, "data", envOr("REEF_DATA", eo.DataDir), "data directory (env REEF_DATA)")
	f.StringVar(&so.Addr, "addr", envOr("REEF_ADDR", so.Addr), "listen address (env REEF_ADDR)")
	f.StringVar(&so.AdminKey, "admin-key", "", "API key with write access (env REEF_ADMIN_KEY)")
	f.StringVar(&so.ReadKey, "read-key", "", "API key with read-only access (env REEF_READ_KEY)")
	f.StringVar(&eo.IndexBackend, "index-backend", eo.IndexBackend, "default index backend for new spaces: hnsw, coder or exact")
	f.DurationVar(&eo.SnapshotInterval, "snapshot-interval", eo.SnapshotInterval, "how often changed indexes are saved (0: only on shutdown)")
	f.IntVar(&eo.MaxDBSize, "max-db-size", 0, "cap on the database file in bytes (0: none)")
	f.Int64Var(&so.MaxBodyBytes, "max-body", so.MaxBodyBytes, "largest JSON request body in bytes")
	f.Int64Var(&so.MaxUploadBytes, "max-upload", so.MaxUploadBytes, "largest upload (import, images) in bytes")
	f.DurationVar(&so.RequestTimeout, "request-timeout", so.RequestTimeout, "time limit of one request")
	f.DurationVar(&so.ComputeTimeout, "compute-timeout", so.ComputeTimeout, "time limit of one analysis (outliers, clusters, duplicates, compare, tune, bench)")
	f.DurationVar(&so.ShutdownGrace, "shutdown-grace", so.ShutdownGrace, "on SIGTERM, how long in-flight requests may finish before they are cancelled (503)")
	f.Int64Var(&so.MemoryBudget, "memory-budget", so.MemoryBudget, "estimated bytes heavy requests (large bodies, uploads, analyses) may hold at once before 503")
	f.IntVar(&so.MaxConcurrent, "max-concurrent", so.MaxConcurrent, "requests in flight before answering 429")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&so.Ingest.ModelDir, "models", envOr("REEF_MODELS", so.Ingest.ModelDir), "directory of built-in model manifests (env REEF_MODELS)")
	f.StringVar(&so.Ingest.AudioModelDir, "audio-models", envOr("REEF_AUDIO_MODELS", so.Ingest.AudioModelDir), "directory of the built-in audio model (env REEF_AUDIO_MODELS)")
	f.StringVar(&so.Ingest.DefaultModel, "default-model", so.Ingest.DefaultModel, "model used by ingest when a request names none")
	f.StringVar(&so.Ingest.ORTLibrary, "ort", envOr("REEF_ORT_LIB", ""), "ONNX Runtime library (default: ./third_party/onnxruntime; env REEF_ORT_LIB)")
	return cmd
}

// findModelDir resolves a relative model directory against the working
// directory first, then beside the executable (bin/reef → ../models/...).
func findModelDir(dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	if exe, err := os.Executable(); err == nil {
		for _, cand := range []string{filepath.Join(filepath.Dir(exe), "..", dir), filepath.Join(filepath.Dir(exe), dir)} {
			if _, err := os.Stat(cand); err == nil {
				return cand
			}
		}
	}
	return dir
}
