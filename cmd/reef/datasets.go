package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func datasetsCmd() *cobra.Command {
	var (
		c      client
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "datasets",
		Short: "List the datasets with their counts and spaces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := c.datasets(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"datasets": list})
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no datasets yet: reef ingest DIR --dataset NAME, or reef import FILE --dataset NAME --space NAME --create")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DATASET\tPOINTS\tOBJECTS\tSPACES")
			for _, d := range list {
				names := make([]string, len(d.Spaces))
				for i, s := range d.Spaces {
					names[i] = s.Name
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", d.Name, d.Points, d.Objects, strings.Join(names, ", "))
			}
			return tw.Flush()
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// fieldStat is what a sample says of one metadata field.
type fieldStat struct {
	Field   string         `json:"field"`
	Types   map[string]int `json:"types"` // JSON type → points
	Present int            `json:"present"`
}

func infoCmd() *cobra.Command {
	var (
		c      client
		sample int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "info DATASET",
		Short: "Describe a dataset: spaces (dim, metric, model, version, counts) and metadata fields with types",
		Long: `info describes a dataset: its counts, each space's dim, metric, model (provenance) and version and
vector counts, and the metadata fields with their JSON types, read from a sample of the first --sample
points in id order (GET /v1/datasets/{ds}/points).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := c.dataset(ctx, args[0])
			if err != nil {
				return err
			}
			fields, sampled, err := c.sampleFields(cmd, d.Name, sample)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"dataset": d, "fields": fields, "sampled": sampled})
			}
			printInfo(cmd, d, fields, sampled)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().IntVar(&sample, "sample", 1000, "points read to find the metadata fields")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sampleFields reads up to n points and tallies their top-level metadata
// fields by JSON type.
func (c *client) sampleFields(cmd *cobra.Command, dataset string, n int) ([]fieldStat, int, error) {
	stats := map[string]*fieldStat{}
	sampled, cursor := 0, ""
	for sampled < n {
		q := url.Values{"limit": {strconv.Itoa(min(n-sampled, 1000))}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Points []struct {
				Metadata map[string]any `json:"metadata"`
			} `json:"points"`
			NextCursor string `json:"next_cursor"`
		}
		if err := c.do(cmd.Context(), http.MethodGet, dsURL(dataset)+"/points?"+q.Encode(), "", nil, &page); err != nil {
			return nil, 0, err
		}
		for _, p := range page.Points {
			for k, v := range p.Metadata {
				st := stats[k]
				if st == nil {
					st = &fieldStat{Field: k, Types: map[string]int{}}
					stats[k] = st
				}
				st.Present++
				st.Types[jsonType(v)]++
			}
		}
		sampled += len(page.Points)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	out := make([]fieldStat, 0, len(stats))
	for _, st := range stats {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, sampled, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}

func printInfo(cmd *cobra.Command, d datasetInfo, fields []fieldStat, sampled int) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "dataset %s: %d points, %d objects (seq %d)\n\n", d.Name, d.Points, d.Objects, d.Seq)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPACE\tDIM\tMETRIC\tMODEL\tVERSION\tPOINT VECTORS\tOBJECT VECTORS")
	for _, s := range d.Spaces {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\n", s.Name, s.Dim, s.Metric, strings.TrimPrefix(s.Provenance, "model:"), orDash(s.ModelVersion), s.PointVectors, s.ObjectVectors)
	}
	if len(d.Spaces) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmetadata fields (from %d of %d points):\n", sampled, d.Points)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tPRESENT")
	for _, f := range fields {
		types := make([]string, 0, len(f.Types))
		for t := range f.Types {
			types = append(types, t)
		}
		sort.Strings(types)
		fmt.Fprintf(tw, "%s\t%s\t%d\n", f.Field, strings.Join(types, "|"), f.Present)
	}
	if len(fields) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
