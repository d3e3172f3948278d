package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// analysisCmd is the shape every understanding command shares: flags build a
// JSON request, the server answers, and print renders a table (or --json).
func analysisCmd(use, short string, path func(ds string) string, flags func(cmd *cobra.Command, req map[string]any) func() error,
	print func(w io.Writer, raw json.RawMessage) error) *cobra.Command {
	var (
		c       client
		dataset string
		asJSON  bool
	)
	req := map[string]any{}
	var finish func() error
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if finish != nil {
				if err := finish(); err != nil {
					return err
				}
			}
			var raw json.RawMessage
			if err := c.postJSON(cmd.Context(), path(dataset), req, &raw); err != nil {
				return err
			}
			if asJSON {
				_, err := cmd.OutOrStdout().Write(append(raw, '\n'))
				return err
			}
			return print(cmd.OutOrStdout(), raw)
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the server's JSON")
	finish = flags(cmd, req)
	return cmd
}

func dsPath(suffix string) func(string) string {
	return func(ds string) string { return "/v1/datasets/" + url.PathEscape(ds) + suffix }
}

// strFlag and friends bind a flag to a request field, set only when given.
func strFlag(cmd *cobra.Command, req map[string]any, name, field, def, usage string) func() {
	v := cmd.Flags().String(name, def, usage)
	return func() {
		if *v != "" {
			req[field] = *v
		}
	}
}

func intFlag(cmd *cobra.Command, req map[string]any, name, field string, def int, usage string) func() {
	shorthand := ""
	if name == "k" {
		shorthand = "k"
	}
	v := cmd.Flags().IntP(name, shorthand, def, usage)
	return func() {
		if *v != 0 {
			req[field] = *v
		}
	}
}

func floatFlag(cmd *cobra.Command, req map[string]any, name, field, usage string) func() {
	v := cmd.Flags().Float64(name, 0, usage)
	return func() {
		if *v != 0 {
			req[field] = *v
		}
	}
}

func boolFlag(cmd *cobra.Command, req map[string]any, name, field, usage string) func() {
	v := cmd.Flags().Bool(name, false, usage)
	return func() {
		if *v {
			req[field] = true
		}
	}
}

func all(fs ...func()) func() error {
	return func() error {
		for _, f := range fs {
			f()
		}
		return nil
	}
}

func common(cmd *cobra.Command, req map[string]any) []func() {
	return []func(){
		strFlag(cmd, req, "space", "space", "", "embedding space (required)"),
		strFlag(cmd, req, "level", "level", "", "point (default) or object"),
	}
}

type rowRef struct {
	Dataset  string          `json:"dataset"`
	ID       string          `json:"id"`
	ObjectID string          `json:"object_id"`
	Class    string          `json:"class"`
	Metadata json.RawMessage `json:"metadata"`
}

func (r rowRef) String() string {
	s := r.ID
	if r.Dataset != "" {
		s = r.Dataset + ":" + s
	}
	if r.ObjectID != "" {
		s += "/" + r.ObjectID
	}
	return s
}

func short(m json.RawMessage, n int) string {
	s := strings.TrimSpace(string(m))
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func outliersCmd() *cobra.Command {
	return analysisCmd("outliers", "Rank the most outlying points (k-NN distance, percentile)", dsPath("/outliers"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			return all(append(common(cmd, req),
				intFlag(cmd, req, "k", "k", 10, "neighbours per score"),
				intFlag(cmd, req, "limit", "limit", 20, "how many to list"),
				strFlag(cmd, req, "method", "method", "", "knn (default), kth or lof"),
				strFlag(cmd, req, "reference", "reference", "", "score against this dataset (e.g. train)"),
				boolFlag(cmd, req, "write-metadata", "write_metadata", "store outlier_score/outlier_percentile in metadata"))...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Points   int
				K        int
				Outliers []struct {
					rowRef
					Score      float64
					Percentile float64
					Neighbors  []rowRef
				}
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "#\tID\tSCORE\tPERCENTILE\tNEAREST\tMETADATA\n")
			for i, o := range res.Outliers {
				near := ""
				if len(o.Neighbors) > 0 {
					near = o.Neighbors[0].String()
				}
				fmt.Fprintf(tw, "%d\t%s\t%.4f\t%.2f\t%s\t%s\n", i+1, o.rowRef, o.Score, o.Percentile, near, short(o.Metadata, 60))
			}
			fmt.Fprintf(tw, "(%d points scored, k=%d)\n", res.Points, res.K)
			return tw.Flush()
		})
}

func compareCmd() *cobra.Command {
	return analysisCmd("compare", "Compare two datasets' distributions without labels, and say where they differ",
		func(string) string { return "/v1/compare" },
		func(cmd *cobra.Command, req map[string]any) func() error {
			return all(append(common(cmd, req),
				strFlag(cmd, req, "a", "a", "", "first dataset (e.g. train)"),
				strFlag(cmd, req, "b", "b", "", "second dataset (e.g. test or production)"),
				intFlag(cmd, req, "k", "k", 10, "neighbours"),
				intFlag(cmd, req, "permutations", "permutations", 1000, "permutations for the p-value"),
				strFlag(cmd, req, "group-by", "group_by", "", "metadata field, object.class or cluster"),
				floatFlag(cmd, req, "alpha", "alpha", "significance level of the test and the groups (default 0.05)"))...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Verdict          string
				PValue           float64 `json:"p_value"`
				Z                float64
				Statistic        float64
				Expected         float64
				EffectSize       float64  `json:"effect_size"`
				SizeA            int      `json:"size_a"`
				SizeB            int      `json:"size_b"`
				CentroidDistance float64  `json:"centroid_distance"`
				Alpha            float64  `json:"alpha"`
				Drivers          []string `json:"drivers"`
				Groups           []struct {
					Group       string  `json:"group"`
					CountA      int     `json:"count_a"`
					CountB      int     `json:"count_b"`
					Z           float64 `json:"z"`
					PValue      float64 `json:"p_value"`
					LogRatio    float64 `json:"log_ratio"`
					Significant bool    `json:"significant"`
					Driver      bool    `json:"driver"`
					Complement  bool    `json:"complement"`
				}
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			fmt.Fprintf(w, "%s\n  p = %.4g (permutation), z = %.2f, same-set neighbour fraction %.3f vs %.3f expected, effect size %.3f\n  sizes %d vs %d, centroid distance %.4g\n",
				res.Verdict, res.PValue, res.Z, res.Statistic, res.Expected, res.EffectSize, res.SizeA, res.SizeB, res.CentroidDistance)
			if len(res.Groups) > 0 {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "\nGROUP\tIN A\tIN B\tLOG2 RATIO\tZ\tP\tSIGNIFICANT\n")
				for _, g := range res.Groups {
					sig := fmt.Sprint(g.Significant)
					switch {
					case g.Driver:
						sig = "driver"
					case g.Complement:
						sig = "complement only"
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%+.2f\t%.2f\t%.3g\t%s\n", g.Group, g.CountA, g.CountB, g.LogRatio, g.Z, g.PValue, sig)
				}
				tw.Flush()
				if len(res.Drivers) > 0 {
					fmt.Fprintf(w, "drivers at alpha %g: %s\n", res.Alpha, strings.Join(res.Drivers, ", "))
				}
			}
			return nil
		})
}

func clustersCmd() *cobra.Command {
	var fields []string
	return analysisCmd("clusters", "Cluster a space (k-means or density-based) with per-cluster metadata mix", dsPath("/clusters"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			cmd.Flags().StringSliceVar(&fields, "summary", nil, "metadata fields to summarise per cluster")
			fs := append(common(cmd, req),
				strFlag(cmd, req, "method", "method", "", "kmeans (default) or density"),
				intFlag(cmd, req, "k", "k", 10, "clusters (kmeans)"),
				intFlag(cmd, req, "min-cluster-size", "min_cluster_size", 0, "smallest cluster (density)"),
				boolFlag(cmd, req, "write-metadata", "write_metadata", "store each point's cluster in metadata"),
				func() {
					if len(fields) > 0 {
						req["summary_fields"] = fields
					}
				})
			return all(fs...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Points, Noise int
				Clusters      []struct {
					ID, Size int
					Medoid   *rowRef
					Summary  map[string]map[string]int
				}
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "CLUSTER\tSIZE\tMEDOID\tMIX\n")
			for _, c := range res.Clusters {
				med := ""
				if c.Medoid != nil {
					med = c.Medoid.String()
				}
				fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", c.ID, c.Size, med, topMix(c.Summary, 3))
			}
			fmt.Fprintf(tw, "(%d points, %d noise)\n", res.Points, res.Noise)
			return tw.Flush()
		})
}

func topMix(s map[string]map[string]int, n int) string {
	var parts []string
	for field, counts := range s {
		type kv struct {
			k string
			v int
		}
		var kvs []kv
		for k, v := range counts {
			kvs = append(kvs, kv{k, v})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v })
		var top []string
		for _, x := range kvs[:min(n, len(kvs))] {
			top = append(top, fmt.Sprintf("%s %d", x.k, x.v))
		}
		parts = append(parts, field+": "+strings.Join(top, ", "))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func duplicatesCmd() *cobra.Command {
	return analysisCmd("duplicates", "Find near-duplicate groups, inside a dataset or across two (leakage)", dsPath("/duplicates"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			th := cmd.Flags().Float64("threshold", 0, "absolute distance")
			rel := cmd.Flags().Float64("relative", 0, "factor of the median 1-NN distance (default 0.1)")
			return all(append(common(cmd, req),
				strFlag(cmd, req, "other", "other", "", "second dataset, for cross-set duplicates (train/test leakage)"),
				intFlag(cmd, req, "limit", "limit", 50, "groups to list"),
				func() {
					if *th > 0 {
						req["threshold"] = *th
					}
					if *rel > 0 {
						req["relative"] = *rel
					}
				})...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Threshold float64
				Pairs     int
				Groups    []struct {
					Members     []rowRef
					MaxDistance float32 `json:"max_distance"`
				}
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			fmt.Fprintf(w, "%d pairs within %.4g, %d groups\n", res.Pairs, res.Threshold, len(res.Groups))
			for i, g := range res.Groups {
				var ids []string
				for _, m := range g.Members {
					ids = append(ids, m.String())
				}
				fmt.Fprintf(w, "%3d  (%d, max %.4g)  %s\n", i+1, len(ids), g.MaxDistance, strings.Join(ids, "  "))
			}
			return nil
		})
}

func similarCmd() *cobra.Command {
	var pos, neg []string
	return analysisCmd("similar", "Find points like several examples (and unlike others)", dsPath("/search"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			cmd.Flags().StringSliceVar(&pos, "positive", nil, "ids of examples to find more of (dataset:id for another dataset)")
			cmd.Flags().StringSliceVar(&neg, "negative", nil, "ids of counter-examples")
			return all(append(common(cmd, req),
				intFlag(cmd, req, "k", "k", 20, "results"),
				strFlag(cmd, req, "strategy", "strategy", "", "average (default) or best_score"),
				func() {
					req["positive"], req["negative"] = targets(pos), targets(neg)
				})...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Hits []struct {
					hit
					Score   float64
					Matched *int
				}
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "#\tID\tSCORE\tMATCHED\tMETADATA\n")
			for i, h := range res.Hits {
				m := "-"
				if h.Matched != nil {
					m = fmt.Sprint(*h.Matched)
				}
				fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\t%s\n", i+1, h.ID, h.Score, m, short(h.Metadata, 60))
			}
			return tw.Flush()
		})
}

func targets(ids []string) []map[string]string {
	out := []map[string]string{}
	for _, id := range ids {
		t := map[string]string{"id": id}
		if ds, rest, ok := strings.Cut(id, ":"); ok {
			t["dataset"], t["id"] = ds, rest
		}
		out = append(out, t)
	}
	return out
}
