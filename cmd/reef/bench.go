package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/bench"
	"github.com/reef-ml/reef/bench/peers"
	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure index settings and a running server"}
	cmd.AddCommand(benchIndexCmd(), benchServeCmd(), benchIngestCmd())
	return cmd
}

func benchIndexCmd() *cobra.Command {
	var (
		fmnist                bool
		synthetic, out        string
		backends, efList      string
		m, efc, k, queries, n int
		repeats               int
		hnswlib               bool
		script                string
	)
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Recall@k, QPS, latency, build time and memory of index settings (table, JSON and SVG curves)",
		Long: `bench index builds each configured index over a workload and measures recall@k against exact
search, QPS with 1 thread and all cores, latency percentiles, build time and bytes per vector.

  --fashion-mnist           Debian's dataset-fashion-mnist: 60k train vectors, t10k queries (L2)
  --synthetic 100000,128    a clustered Gaussian mixture with held-out queries
  --hnswlib                 also run hnswlib (C++, -O3 -march=native) on the same files, for ratios
  --backends hnsw,hnsw+sq8  hnsw+sq8 is reef's HNSW walking on 8-bit codes with an exact re-rank

Results go to --out as report.json, report.svg (recall–QPS curves) and report-0.9.svg.
For a dataset already in a server, use POST /v1/datasets/{ds}/spaces/{space}/bench.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			efs, err := parseInts(efList)
			if err != nil {
				return fmt.Errorf("--ef: %w", err)
			}
			var w *bench.Workload
			switch {
			case fmnist:
				w, err = bench.FashionMNIST(fashionmnist.DefaultDir, n, queries)
			case synthetic != "":
				parts, perr := parseInts(synthetic)
				if perr != nil || len(parts) != 2 {
					return errors.New("--synthetic wants N,DIM")
				}
				w, err = bench.Synthetic(parts[0], parts[1], queries, 1)
			default:
				return errors.New("choose a workload: --fashion-mnist or --synthetic N,DIM")
			}
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			obs := newBenchObserver(cmd.ErrOrStderr())
			obs.Stage("exact ground truth", len(w.Queries))
			if err := w.ComputeTruth(ctx, k, func(int, int) { obs.Advance(1) }); err != nil {
				return err
			}
			g := bench.DefaultGrid()
			g.Backends, g.M, g.EfConstruction, g.Ef, g.K, g.Repeats = strings.Split(backends, ","), []int{m}, []int{efc}, efs, k, repeats
			rep, err := bench.Run(ctx, w, g, obs)
			obs.Close()
			if err != nil {
				return err
			}
			if hnswlib {
				files, err := peers.Export(out, w)
				if err != nil {
					return err
				}
				space := map[index.Metric]string{index.L2: "l2", index.Cosine: "cosine", index.Dot: "ip"}[w.Metric]
				peer, err := peers.RunHNSWLib(ctx, files, peers.HNSWLibOptions{Script: script, Space: space, M: m, EfC: efc,
					Ef: efs, K: k, Threads: runtime.NumCPU(), Repeats: repeats, Stderr: cmd.ErrOrStderr()})
				if err != nil {
					return fmt.Errorf("hnswlib peer: %w", err)
				}
				rep.Merge("hnswlib", peer)
			}
			if err := writeReports(rep, out); err != nil {
				return err
			}
			o := cmd.OutOrStdout()
			rep.WriteTable(o)
			if hnswlib {
				fmt.Fprintln(o)
				rep.WriteRatios(o, []float64{0.90, 0.95, 0.99}, "hnswlib")
			}
			fmt.Fprintf(o, "\nreports in %s (report.json, report.svg, report-0.9.svg)\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&fmnist, "fashion-mnist", false, "Fashion-MNIST 60k/10k workload")
	f.StringVar(&synthetic, "synthetic", "", "synthetic workload N,DIM")
	f.IntVar(&n, "n", 0, "train vectors (0: all)")
	f.IntVar(&queries, "queries", 1000, "queries")
	f.StringVar(&backends, "backends", "hnsw,hnsw+sq8,coder,exact", "backends: hnsw, hnsw+sq8 (sq8-quantised walk, exact re-rank), coder, exact")
	f.IntVar(&m, "m", 16, "HNSW M")
	f.IntVar(&efc, "ef-construction", 200, "HNSW efConstruction")
	f.StringVar(&efList, "ef", "10,20,40,80,160", "search ef values")
	f.IntVarP(&k, "k", "k", 10, "recall@k")
	f.IntVar(&repeats, "repeats", 3, "timed passes per point (the fastest is reported)")
	f.BoolVar(&hnswlib, "hnswlib", false, "also measure hnswlib on the same vectors")
	f.StringVar(&script, "hnswlib-script", "bench/peers/run-hnswlib.sh", "the hnswlib peer script")
	f.StringVar(&out, "out", filepath.Join("bench", "out", "index"), "output directory")
	return cmd
}

func writeReports(rep *bench.Report, out string) error {
	write := func(name string, fn func(f *os.File) error) error {
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			return err
		}
		return errors.Join(fn(f), f.Close())
	}
	return errors.Join(
		write("report.json", func(f *os.File) error { return rep.WriteJSON(f) }),
		write("report.svg", func(f *os.File) error { return rep.WriteSVG(f) }),
		write("report-0.9.svg", func(f *os.File) error { return rep.WriteSVGFrom(f, 0.9) }))
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", p)
		}
		out = append(out, v)
	}
	return out, nil
}

func benchServeCmd() *cobra.Command {
	var (
		c                     client
		dataset, space        string
		concurrency, requests int
		k, ef                 int
		duration              time.Duration
		byID                  bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Load a running server with k-NN searches over loopback: QPS and latency percentiles",
		Long: "bench serve sends k-NN searches whose query is a stored vector sent as JSON (or, with --by-id,\n" +
			"the stored point's id: no vector in the body) from --concurrency clients until --requests or\n" +
			"--duration, whichever comes first. Queries are sampled from the dataset.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			vecs, ids, dim, err := sampleVectors(ctx, &c, dataset, space)
			if err != nil {
				return err
			}
			bodies := make([][]byte, 1024)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range bodies {
				j := r.IntN(len(vecs))
				if byID {
					bodies[i], _ = json.Marshal(map[string]any{"space": space, "id": ids[j], "k": k, "ef": ef})
				} else {
					bodies[i], _ = json.Marshal(map[string]any{"space": space, "vector": vecs[j], "k": k, "ef": ef})
				}
			}
			h := http.Header{"Content-Type": {"application/json"}}
			if c.key != "" {
				h.Set("Authorization", "Bearer "+c.key)
			}
			res, err := bench.Load(ctx, bench.LoadOptions{URL: strings.TrimRight(c.base, "/") + "/v1/datasets/" + url.PathEscape(dataset) + "/search",
				Body: func(i int) []byte { return bodies[i%len(bodies)] }, Header: h, Concurrency: concurrency,
				Duration: duration, MaxRequests: requests})
			if err != nil {
				return err
			}
			query := "vector"
			if byID {
				query = "id"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "search k=%d over %d-d vectors by %s, %d clients: %d requests (%d errors) in %v\n  QPS %.0f  p50 %v  p95 %v  p99 %v  max %v\n",
				k, dim, query, concurrency, res.Requests, res.Errors, res.Elapsed.Round(time.Millisecond), res.QPS,
				res.P50.Round(time.Microsecond), res.P95.Round(time.Microsecond), res.P99.Round(time.Microsecond), res.Max.Round(time.Microsecond))
			if res.Errors > 0 {
				return fmt.Errorf("%d requests failed", res.Errors)
			}
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset (required)")
	f.StringVar(&space, "space", "", "space (default: the dataset's only image space)")
	f.IntVar(&concurrency, "concurrency", 8, "concurrent clients")
	f.IntVar(&requests, "requests", 100000, "stop after this many requests")
	f.DurationVar(&duration, "duration", 30*time.Second, "stop after this long")
	f.IntVarP(&k, "k", "k", 10, "neighbours per search")
	f.IntVar(&ef, "ef", 0, "search ef (0: the space's default)")
	f.BoolVar(&byID, "by-id", false, "query by stored point id instead of sending its vector")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("space")
	return cmd
}

// sampleVectors fetches up to 256 of a space's vectors (as query vectors)
// with the ids of their points.
func sampleVectors(ctx context.Context, c *client, dataset, space string) ([][]float32, []string, int, error) {
	var d struct {
		Spaces []struct {
			Name string
			Dim  int
		}
		Points int
	}
	if err := c.do(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(dataset), "", nil, &d); err != nil {
		return nil, nil, 0, err
	}
	var ids []string
	var res struct{ Hits []struct{ ID string } }
	dim := 0
	for _, s := range d.Spaces {
		if s.Name == space {
			dim = s.Dim
		}
	}
	if dim == 0 {
		return nil, nil, 0, fmt.Errorf("space %q not found in %q", space, dataset)
	}
	// A random vector's neighbours are a cheap sample of stored ids.
	r := rand.New(rand.NewPCG(3, 4))
	q := make([]float32, dim)
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	if err := c.postJSON(ctx, "/v1/datasets/"+url.PathEscape(dataset)+"/search", map[string]any{"space": space, "vector": q, "k": 256, "ef": 256}, &res); err != nil {
		return nil, nil, 0, err
	}
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	var vecs [][]float32
	var vids []string
	for _, id := range ids {
		var p struct{ Vectors map[string][]float32 }
		if err := c.do(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(dataset)+"/points/"+url.PathEscape(id), "", nil, &p); err != nil {
			return nil, nil, 0, err
		}
		if v := p.Vectors[space]; v != nil {
			vecs, vids = append(vecs, v), append(vids, id)
		}
	}
	if len(vecs) == 0 {
		return nil, nil, 0, fmt.Errorf("no vectors found in %s/%s", dataset, space)
	}
	return vecs, vids, dim, nil
}

func tuneCmd() *cobra.Command {
	var (
		c              client
		dataset, space string
		target         float64
		k, queries     int
		dryRun         bool
	)
	cmd := &cobra.Command{
		Use:   "tune",
		Short: "Find the smallest ef reaching a recall target and save it as the space's default",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Ef      int
				Recall  float64
				Reached bool
				Saved   bool
				Queries int
			}
			path := "/v1/datasets/" + url.PathEscape(dataset) + "/spaces/" + url.PathEscape(space) + "/tune"
			if err := c.postJSON(cmd.Context(), path, map[string]any{"target_recall": target, "k": k, "queries": queries, "save": !dryRun}, &res); err != nil {
				return err
			}
			if !res.Reached {
				return fmt.Errorf("recall@%d %.4f at the largest ef tried (%d) misses the target %.3f; rebuild with a larger M or ef_construction", k, res.Recall, res.Ef, target)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ef %d reaches recall@%d %.4f (target %.3f, %d sampled queries)", res.Ef, k, res.Recall, target, res.Queries)
			if res.Saved {
				fmt.Fprint(cmd.OutOrStdout(), "; saved as the space's default ef")
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset (required)")
	f.StringVar(&space, "space", "", "space (default: the dataset's only image space)")
	f.Float64Var(&target, "target-recall", 0.95, "recall@k to reach")
	f.IntVarP(&k, "k", "k", 10, "k of recall@k")
	f.IntVar(&queries, "queries", 200, "queries sampled from the data")
	f.BoolVar(&dryRun, "dry-run", false, "measure only; do not save")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("space")
	return cmd
}
