package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type hit struct {
	ID       string          `json:"id"`
	ObjectID string          `json:"object_id"`
	Distance float32         `json:"distance"`
	Metadata json.RawMessage `json:"metadata"`
	Class    string          `json:"class"`
}

func searchCmd() *cobra.Command {
	var (
		c              client
		dataset, space string
		id, vector     string
		filter, level  string
		k, ef          int
		exact, asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Find the nearest neighbours of a stored point or a vector",
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := map[string]any{"space": space, "k": k, "ef": ef, "exact": exact, "level": level}
			switch {
			case id != "":
				req["id"] = id
			case vector != "":
				var v []float32
				if err := json.Unmarshal([]byte(vector), &v); err != nil {
					return fmt.Errorf("--vector must be a JSON array of numbers: %w", err)
				}
				req["vector"] = v
			default:
				return errors.New("give --id or --vector")
			}
			if filter != "" {
				var f map[string]any
				if err := json.Unmarshal([]byte(filter), &f); err != nil {
					return fmt.Errorf("--filter must be a JSON object: %w", err)
				}
				req["filter"] = f
			}
			var res struct {
				Hits   []hit   `json:"hits"`
				TookMs float64 `json:"took_ms"`
			}
			if err := c.postJSON(cmd.Context(), "/v1/datasets/"+url.PathEscape(dataset)+"/search", req, &res); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			printHits(cmd, res.Hits)
			fmt.Fprintf(cmd.OutOrStdout(), "%d hits in %.2f ms\n", len(res.Hits), res.TookMs)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset (required)")
	f.StringVar(&space, "space", "", "embedding space (default: the dataset's only image space)")
	f.StringVar(&id, "id", "", "query by a stored point's id")
	f.StringVar(&vector, "vector", "", "query vector as a JSON array")
	f.StringVar(&filter, "filter", "", `metadata filter, e.g. '{"metadata.split":"test"}'`)
	f.StringVar(&level, "level", "point", "point or object")
	f.IntVarP(&k, "k", "k", 10, "number of neighbours")
	f.IntVar(&ef, "ef", 0, "HNSW search breadth (0: the space's default)")
	f.BoolVar(&exact, "exact", false, "exact (brute-force) search")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("space")
	return cmd
}

func printHits(cmd *cobra.Command, hits []hit) {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tID\tDISTANCE\tMETADATA")
	for i, h := range hits {
		id := h.ID
		if h.ObjectID != "" {
			id += "/" + h.ObjectID + " " + h.Class
		}
		meta := strings.TrimSpace(string(h.Metadata))
		if len(meta) > 80 {
			meta = meta[:77] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\n", i+1, id, h.Distance, meta)
	}
	tw.Flush()
}

// ensureSpace creates a dataset and space unless they exist.
func ensureSpace(ctx context.Context, c *client, dataset, space string, dim int, metric string) error {
	err := c.postJSON(ctx, "/v1/datasets", map[string]any{"name": dataset}, nil)
	if err != nil && !strings.Contains(err.Error(), "409") {
		return err
	}
	err = c.postJSON(ctx, "/v1/datasets/"+url.PathEscape(dataset)+"/spaces", map[string]any{"name": space, "dim": dim, "metric": metric}, nil)
	if err != nil && !strings.Contains(err.Error(), "409") {
		return err
	}
	return nil
}
