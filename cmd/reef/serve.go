package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/server"
	"github.com/reef-ml/reef/store/weaviatestore"
	"github.com/reef-ml/reef/weaviate"
)

func serveCmd() *cobra.Command {
	eo, so := engine.DefaultOptions(), server.DefaultOptions()
	var logLevel string
	var sf storeFlags
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
			closeStore, err := sf.open(cmd.Context(), &eo, log)
			if err != nil {
				return err
			}
			defer closeStore()
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
	f.StringVar(&sf.kind, "store", envOr("REEF_STORE", "embedded"), "where points live: embedded (bbolt in --data) or weaviate (env REEF_STORE)")
	f.StringVar(&sf.nodes, "weaviate", envOr("REEF_WEAVIATE", ""), "Weaviate nodes for --store weaviate: comma-separated REST URLs, gRPC on each port+1 (env REEF_WEAVIATE)")
	f.StringVar(&sf.consistency, "weaviate-consistency", "QUORUM", "replicas that must acknowledge a write and answer a read: ONE, QUORUM or ALL")
	f.IntVar(&sf.shards, "weaviate-shards", weaviatestore.DefaultOptions().Shards, "shards of each new dataset's collection")
	f.IntVar(&sf.replicas, "weaviate-replicas", weaviatestore.DefaultOptions().Replicas, "replication factor of each new dataset's collection")
	return cmd
}

// storeFlags choose the engine's store.
type storeFlags struct {
	kind, nodes, consistency string
	shards, replicas         int
}

// open sets eo.Store for --store weaviate and returns what closes it.
func (sf storeFlags) open(ctx context.Context, eo *engine.Options, log *slog.Logger) (func(), error) {
	switch sf.kind {
	case "", "embedded":
		if sf.nodes != "" {
			return nil, errors.New("--weaviate needs --store weaviate")
		}
		return func() {}, nil
	case "weaviate":
	default:
		return nil, fmt.Errorf("--store must be embedded or weaviate, got %q", sf.kind)
	}
	wo := weaviate.DefaultOptions()
	wo.WriteConsistency, wo.ReadConsistency, wo.Logger = sf.consistency, sf.consistency, log
	nodes, err := weaviateNodes(sf.nodes)
	if err != nil {
		return nil, err
	}
	wo.HTTP, wo.GRPC, wo.More = nodes[0].HTTP, nodes[0].GRPC, nodes[1:]
	c, err := weaviate.Open(ctx, wo)
	if err != nil {
		return nil, fmt.Errorf("--weaviate: %w", err)
	}
	so := weaviatestore.DefaultOptions()
	so.Shards, so.Replicas, so.Logger = sf.shards, sf.replicas, log
	st, err := weaviatestore.Open(ctx, c, so)
	if err != nil {
		c.Close()
		return nil, err
	}
	eo.Store = st
	log.Info("store: weaviate", "nodes", len(nodes), "consistency", sf.consistency, "shards", sf.shards, "replicas", sf.replicas)
	return func() { c.Close() }, nil
}

// weaviateNodes parses "http://host:port,…"; each node's gRPC listens on
// port+1, as scripts/weaviate-cluster.sh lays nodes out.
func weaviateNodes(list string) ([]weaviate.Node, error) {
	var nodes []weaviate.Node
	var errs []error
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		port, perr := strconv.Atoi(u.Port())
		if err != nil || perr != nil || u.Scheme == "" || u.Hostname() == "" {
			errs = append(errs, fmt.Errorf("--weaviate: %q is not http://host:port", raw))
			continue
		}
		nodes = append(nodes, weaviate.Node{HTTP: u.Scheme + "://" + u.Host, GRPC: u.Hostname() + ":" + strconv.Itoa(port+1)})
	}
	if len(nodes) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("--store weaviate needs --weaviate http://host:port,…"))
	}
	return nodes, errors.Join(errs...)
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
