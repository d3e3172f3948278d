package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// issueCmd groups the issue commands: save a selection, collect more like
// it from another dataset, export the chosen ids.
func issueCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "issue", Short: "Save a selection as an issue, collect more like it, export it for labelling"}
	cmd.AddCommand(issueSaveCmd(), issueCollectCmd(), issueExportCmd())
	return cmd
}

func issuePath(name, suffix string) func(string) string {
	return func(ds string) string {
		return "/v1/datasets/" + url.PathEscape(ds) + "/issues/" + url.PathEscape(name) + suffix
	}
}

func issueSaveCmd() *cobra.Command {
	var ids []string
	return analysisCmd("save", "Save ids (and the space they were found in) as a named issue", dsPath("/issues"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			cmd.Flags().StringSliceVar(&ids, "ids", nil, "member ids")
			return all(append(common(cmd, req),
				strFlag(cmd, req, "name", "name", "", "issue name"),
				strFlag(cmd, req, "description", "description", "", "what the issue is"),
				func() { req["ids"] = ids })...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var is struct {
				Name  string   `json:"name"`
				IDs   []string `json:"ids"`
				Space struct {
					Name, Provenance string
				} `json:"space"`
			}
			if err := json.Unmarshal(raw, &is); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "issue %q: %d points in space %q (%s)\n", is.Name, len(is.IDs), is.Space.Name, is.Space.Provenance)
			return err
		})
}

func issueCollectCmd() *cobra.Command {
	var name string
	var accept, reject []string
	cmd := analysisCmd("collect", "Find more points like an issue in another dataset; --accept/--reject re-rank", func(ds string) string {
		return issuePath(name, "/collect")(ds)
	},
		func(cmd *cobra.Command, req map[string]any) func() error {
			cmd.Flags().StringVar(&name, "name", "", "issue name")
			cmd.Flags().StringSliceVar(&accept, "accept", nil, "ids in --from judged like the issue")
			cmd.Flags().StringSliceVar(&reject, "reject", nil, "ids in --from judged unlike it")
			return all(
				strFlag(cmd, req, "from", "from", "", "dataset to collect from"),
				intFlag(cmd, req, "k", "k", 50, "candidates"),
				boolFlag(cmd, req, "save", "save", "add the accepted ids to the issue"),
				func() {
					if len(accept) > 0 {
						req["accept"] = accept
					}
					if len(reject) > 0 {
						req["reject"] = reject
					}
				})
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Saved int `json:"saved"`
				Hits  []struct {
					hit
					Score *float64 `json:"score"`
				} `json:"hits"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "#\tID\tSCORE\tMETADATA\n")
			for i, h := range res.Hits {
				s := 0.0
				if h.Score != nil {
					s = *h.Score
				}
				fmt.Fprintf(tw, "%d\t%s\t%.4f\t%s\n", i+1, h.ID, s, short(h.Metadata, 60))
			}
			if res.Saved > 0 {
				fmt.Fprintf(tw, "(%d accepted ids saved to the issue)\n", res.Saved)
			}
			return tw.Flush()
		})
	return cmd
}

func issueExportCmd() *cobra.Command {
	var (
		c                     client
		dataset, name, format string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write an issue's ids and the collected ones as CSV or JSONL",
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := strings.TrimRight(c.base, "/") + issuePath(name, "/export")(dataset) + "?format=" + url.QueryEscape(format)
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, u, nil)
			if err != nil {
				return err
			}
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			resp, err := c.http.Do(req)
			if err != nil {
				return fmt.Errorf("cannot reach reef at %s: %w", c.base, err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				var e struct {
					Error struct{ Message string } `json:"error"`
				}
				json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
				return fmt.Errorf("%s (HTTP %d)", e.Error.Message, resp.StatusCode)
			}
			_, err = io.Copy(cmd.OutOrStdout(), resp.Body)
			return err
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset")
	cmd.Flags().StringVar(&name, "name", "", "issue name")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	return cmd
}
