package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// The model-failure commands: evaluate, label-errors and regions.

func evaluateCmd() *cobra.Command {
	return analysisCmd("evaluate", "Evaluate a model's inferences against the labels; outcomes go to metadata", dsPath("/evaluate"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			return all(
				strFlag(cmd, req, "task", "task", "", "detection (default: label vs inference boxes) or classification"),
				strFlag(cmd, req, "name", "name", "", "metadata key of the outcome (default eval)"),
				floatFlag(cmd, req, "iou", "iou_threshold", "detection: IoU of a match (default 0.5)"),
				strFlag(cmd, req, "inference-prefix", "inference_prefix", "", "detection: only inference objects whose id starts with this"),
				strFlag(cmd, req, "label-field", "label_field", "", "classification: metadata path of the label"),
				strFlag(cmd, req, "prediction-field", "prediction_field", "", "classification: metadata path of the prediction"),
				strFlag(cmd, req, "confidence-field", "confidence_field", "", "classification: metadata path of the confidence"),
				strFlag(cmd, req, "compare-with", "compare_with", "", "a second model (inference prefix or prediction field)"),
				intFlag(cmd, req, "limit", "limit", 10, "worst points to list"),
				boolFlag(cmd, req, "dry-run", "dry_run", "do not write metadata"))
		},
		printEvaluation)
}

type classMetrics struct {
	Class      string  `json:"class"`
	Labels     int     `json:"labels"`
	Inferences int     `json:"inferences"`
	TP         int     `json:"tp"`
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
	AP         float64 `json:"ap"`
}

type evalSummary struct {
	Counts    map[string]int `json:"counts"`
	PerClass  []classMetrics `json:"per_class"`
	MeanAP    float64        `json:"mean_ap"`
	Accuracy  float64        `json:"accuracy"`
	Confusion struct {
		Classes []string `json:"classes"`
		Cells   [][]int  `json:"cells"`
	} `json:"confusion"`
}

func printEvaluation(w io.Writer, raw json.RawMessage) error {
	var res struct {
		Task           string       `json:"task"`
		Name           string       `json:"name"`
		Points         int          `json:"points"`
		Evaluated      int          `json:"evaluated"`
		Failed         int          `json:"failed"`
		Written        int          `json:"written"`
		Detection      *evalSummary `json:"detection"`
		Classification *evalSummary `json:"classification"`
		Worst          []struct {
			ID      string         `json:"id"`
			Counts  map[string]int `json:"counts"`
			Label   string         `json:"label"`
			Predict string         `json:"predicted"`
		} `json:"worst"`
		Comparison *struct {
			With   string  `json:"with"`
			Both   int     `json:"both"`
			OnlyA  int     `json:"only_a"`
			OnlyB  int     `json:"only_b"`
			PValue float64 `json:"p_value"`
		} `json:"comparison"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	sum := res.Detection
	if sum == nil {
		sum = res.Classification
	}
	fmt.Fprintf(w, "%s: %d points, %d evaluated, %d failed; %d written to metadata %q\n", res.Task, res.Points, res.Evaluated, res.Failed, res.Written, res.Name)
	if sum == nil {
		return nil
	}
	if res.Classification != nil {
		fmt.Fprintf(w, "accuracy %.4f, mean AP %.4f\n", sum.Accuracy, sum.MeanAP)
	} else {
		fmt.Fprintf(w, "counts %v, mean AP %.4f\n", sum.Counts, sum.MeanAP)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CLASS\tLABELS\tPREDICTED\tTP\tPRECISION\tRECALL\tAP\n")
	for _, c := range sum.PerClass {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\n", c.Class, c.Labels, c.Inferences, c.TP, c.Precision, c.Recall, c.AP)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nconfusion (rows: label, columns: predicted)\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\t%s\n", strings.Join(sum.Confusion.Classes, "\t"))
	for r, row := range sum.Confusion.Cells {
		cells := make([]string, len(row))
		for c, v := range row {
			cells[c] = fmt.Sprint(v)
		}
		fmt.Fprintf(tw, "%s\t%s\n", sum.Confusion.Classes[r], strings.Join(cells, "\t"))
	}
	tw.Flush()
	if len(res.Worst) > 0 {
		fmt.Fprintf(w, "\nworst points:\n")
		for _, p := range res.Worst {
			if p.Counts != nil {
				fmt.Fprintf(w, "  %s  fp %d fn %d\n", p.ID, p.Counts["spurious"]+p.Counts["class_confusion"]+p.Counts["localisation"]+p.Counts["duplicate"],
					p.Counts["missed"]+p.Counts["class_confusion"]+p.Counts["localisation"])
			} else {
				fmt.Fprintf(w, "  %s  label %s, predicted %q\n", p.ID, p.Label, p.Predict)
			}
		}
	}
	if c := res.Comparison; c != nil {
		fmt.Fprintf(w, "\nvs %s: both right %d, only this model %d, only %s %d (McNemar p = %.3g)\n", c.With, c.Both, c.OnlyA, c.With, c.OnlyB, c.PValue)
	}
	return nil
}

func labelErrorsCmd() *cobra.Command {
	return analysisCmd("label-errors", "Rank labels that disagree with their neighbourhood, with a suggested label", dsPath("/label_errors"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			return all(append(common(cmd, req),
				strFlag(cmd, req, "label-field", "label_field", "", "metadata path of the label (point level)"),
				intFlag(cmd, req, "k", "k", 20, "voting neighbours"),
				strFlag(cmd, req, "prediction-field", "prediction_field", "", "metadata path of a model's prediction"),
				strFlag(cmd, req, "confidence-field", "confidence_field", "", "metadata path of its confidence in [0, 1]"),
				intFlag(cmd, req, "limit", "limit", 20, "how many to list"),
				strFlag(cmd, req, "cursor", "cursor", "", "next page (next_cursor of the previous one)"),
				boolFlag(cmd, req, "write-metadata", "write_metadata", "store label_error {score, suggested, flagged} in metadata"))...)
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Labelled        int    `json:"labelled"`
				EstimatedErrors int    `json:"estimated_errors"`
				NextCursor      string `json:"next_cursor"`
				Issues          []struct {
					rowRef
					Label         string  `json:"label"`
					Score         float64 `json:"score"`
					Suggested     string  `json:"suggested"`
					SuggestedProb float64 `json:"suggested_prob"`
					Flagged       bool    `json:"flagged"`
				} `json:"issues"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ID\tLABEL\tSCORE\tSUGGESTED\tP\tFLAGGED\n")
			for _, is := range res.Issues {
				fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\t%.2f\t%v\n", is.rowRef, is.Label, is.Score, is.Suggested, is.SuggestedProb, is.Flagged)
			}
			fmt.Fprintf(tw, "(%d labelled, about %d label errors)\n", res.Labelled, res.EstimatedErrors)
			if res.NextCursor != "" {
				fmt.Fprintf(tw, "more: --cursor %s\n", res.NextCursor)
			}
			return tw.Flush()
		})
}

func regionsCmd() *cobra.Command {
	var fails, fields []string
	return analysisCmd("regions", "Find regions of a space where failures are significantly over-represented", dsPath("/failure_regions"),
		func(cmd *cobra.Command, req map[string]any) func() error {
			cmd.Flags().StringSliceVar(&fails, "fail-values", nil, "string values of --field that are failures")
			cmd.Flags().StringSliceVar(&fields, "summary", nil, "metadata fields whose dominant values to report")
			filter := cmd.Flags().String("filter", "", "JSON filter marking the failed points (instead of --field)")
			fs := append(common(cmd, req),
				strFlag(cmd, req, "field", "field", "", "metadata path marking failures (e.g. eval.failed)"),
				floatFlag(cmd, req, "threshold", "threshold", "numeric --field above this fails (default 0)"),
				intFlag(cmd, req, "k", "k", 15, "neighbourhood of the scan"),
				floatFlag(cmd, req, "alpha", "alpha", "false discovery rate (default 0.05)"),
				intFlag(cmd, req, "min-size", "min_size", 0, "smallest region (default 10)"),
				intFlag(cmd, req, "limit", "limit", 10, "regions to list"))
			return func() error {
				for _, f := range fs {
					f()
				}
				if len(fails) > 0 {
					req["fail_values"] = fails
				}
				if len(fields) > 0 {
					req["summary_fields"] = fields
				}
				if *filter != "" {
					var f map[string]any
					if err := json.Unmarshal([]byte(*filter), &f); err != nil {
						return fmt.Errorf("--filter: %w", err)
					}
					req["filter"] = f
				}
				return nil
			}
		},
		func(w io.Writer, raw json.RawMessage) error {
			var res struct {
				Points      int     `json:"points"`
				Failures    int     `json:"failures"`
				OverallRate float64 `json:"overall_rate"`
				Regions     []struct {
					Size     int      `json:"size"`
					Failures int      `json:"failures"`
					Rate     float64  `json:"rate"`
					Lift     float64  `json:"lift"`
					QValue   float64  `json:"q_value"`
					Medoids  []rowRef `json:"medoids"`
					Dominant []struct {
						Field string  `json:"field"`
						Value string  `json:"value"`
						Share float64 `json:"share"`
					} `json:"dominant"`
				} `json:"regions"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			fmt.Fprintf(w, "%d failures in %d points (%.1f%%)\n", res.Failures, res.Points, 100*res.OverallRate)
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "#\tSIZE\tFAILED\tRATE\tLIFT\tQ\tMEDOID\tDOMINANT\n")
			for i, r := range res.Regions {
				med := ""
				if len(r.Medoids) > 0 {
					med = r.Medoids[0].String()
				}
				var dom []string
				for _, d := range r.Dominant {
					dom = append(dom, fmt.Sprintf("%s=%s %.0f%%", d.Field, d.Value, 100*d.Share))
				}
				fmt.Fprintf(tw, "%d\t%d\t%d\t%.2f\t%.1f\t%.2g\t%s\t%s\n", i+1, r.Size, r.Failures, r.Rate, r.Lift, r.QValue, med, strings.Join(dom, ", "))
			}
			return tw.Flush()
		})
}
