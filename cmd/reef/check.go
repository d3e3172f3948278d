package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/engine"
)

func checkCmd() *cobra.Command {
	var (
		dataDir string
		c       client
		remote  bool
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify storage and that every index matches it",
		Long: "check opens a data directory (the server must be stopped) and verifies bbolt's pages and that each " +
			"index holds exactly the stored vectors. With --remote it asks a running server instead.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var rep engine.CheckReport
			if remote {
				err := c.do(cmd.Context(), http.MethodPost, "/v1/check", "", nil, &rep)
				if err != nil && rep.Problems == nil {
					return err
				}
			} else {
				opts := engine.DefaultOptions()
				opts.DataDir, opts.SnapshotInterval, opts.Logger = dataDir, 0, newLogger("warn")
				eng, err := engine.Open(cmd.Context(), opts)
				if err != nil {
					return err
				}
				defer eng.Close()
				if rep, err = eng.Check(cmd.Context()); err != nil {
					return err
				}
			}
			out, _ := json.MarshalIndent(rep, "", "  ")
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			if !rep.OK() {
				return errors.New("check found problems")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d datasets, %d vectors, storage and indexes agree\n", rep.Datasets, rep.Vectors)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().StringVar(&dataDir, "data", envOr("REEF_DATA", "reef-data"), "data directory (env REEF_DATA)")
	cmd.Flags().BoolVar(&remote, "remote", false, "ask the running server (--server) instead of opening --data")
	return cmd
}
