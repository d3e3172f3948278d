package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func exportCmd() *cobra.Command {
	var (
		c                   client
		space, format, file string
	)
	cmd := &cobra.Command{
		Use:   "export DATASET",
		Short: "Download a space's vectors with ids and metadata as Parquet, .npz or .npy",
		Long: `export writes one space of a dataset to a file: Parquet (ids, vectors and every metadata field as
columns; reef import reads it back whole), .npz (ids, vectors, metadata as JSON strings) or .npy (vectors
only). --space defaults to the dataset's only image space; -o defaults to DATASET-SPACE.FORMAT, and - is
standard output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format = strings.ToLower(format)
			if format != "parquet" && format != "npz" && format != "npy" {
				return fmt.Errorf("--format must be parquet, npz or npy, not %q", format)
			}
			d, sp, err := c.resolve(ctx, args[0], space)
			if err != nil {
				return err
			}
			if file == "" {
				file = d.Name + "-" + sp + "." + format
			}
			q := url.Values{"space": {sp}, "format": {format}}
			resp, err := c.send(ctx, http.MethodGet, dsURL(d.Name)+"/export?"+q.Encode(), "", nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			n, err := writeExport(file, resp.Body)
			if err != nil {
				return err
			}
			if file != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "exported %s/%s to %s (%s)\n", d.Name, sp, file, humanBytes(n))
			}
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&space, "space", "", "space (default: the dataset's only image space)")
	f.StringVar(&format, "format", "parquet", "parquet, npz or npy")
	f.StringVarP(&file, "output", "o", "", "output file (default DATASET-SPACE.FORMAT; - for stdout)")
	return cmd
}

// writeExport copies an export into file through a temporary name, so an
// interrupted download never leaves a truncated file under the real name.
func writeExport(file string, r io.Reader) (int64, error) {
	if file == "-" {
		return io.Copy(os.Stdout, r)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".part-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes 0600; an export is an ordinary file
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("the export was cut short: %w", err)
		}
		return 0, err
	}
	return n, nil
}

func deleteCmd() *cobra.Command {
	var (
		c   client
		yes bool
	)
	cmd := &cobra.Command{
		Use:   "delete DATASET [ID...]",
		Short: "Delete points by id, or (with --yes and no ids) a whole dataset",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := c.dataset(ctx, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if ids := args[1:]; len(ids) > 0 {
				var res struct {
					Deleted int `json:"deleted"`
				}
				if err := c.postJSON(ctx, dsURL(d.Name)+"/points/delete", map[string]any{"ids": ids}, &res); err != nil {
					return err
				}
				fmt.Fprintf(out, "deleted %s from %s\n", plural(res.Deleted, "point"), d.Name)
				return nil
			}
			if !yes {
				return fmt.Errorf("this deletes dataset %s with its %s and %s; add --yes to confirm", d.Name, plural(d.Points, "point"), plural(len(d.Spaces), "space"))
			}
			if err := c.do(ctx, http.MethodDelete, dsURL(d.Name), "", nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(out, "deleted dataset %s (%s)\n", d.Name, plural(d.Points, "point"))
			return nil
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm deleting a whole dataset")
	return cmd
}
