package main

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/reef-ml/reef/vecio"
)

func importCmd() *cobra.Command {
	var (
		c                  client
		dataset, space     string
		idsFile, metric    string
		metaFile           string
		create             bool
		idColumn, vecColum string
	)
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Upload embeddings from .npy (+ --ids), .npz or Parquet, with metadata, into a dataset's space",
		Long: `Upload embeddings into a dataset's space.

Metadata comes with the vectors: every extra 1-D array of an .npz (one value
a row: strings, ints, floats, bools) and every non-vector column of a Parquet
file becomes a metadata field. --metadata adds a CSV (header row; an "id"
column matches rows by id, else by position) or JSON-lines file (one object
a line, matched by its "id" or by position) to any of the three formats.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if create {
				dim, err := fileDim(args[0])
				if err != nil {
					return err
				}
				if err := ensureSpace(ctx, &c, dataset, space, dim, metric); err != nil {
					return err
				}
			}
			fields := map[string]string{"space": space, "id_column": idColumn, "vector_column": vecColum}
			files := map[string]string{"vectors": args[0]}
			if idsFile != "" {
				files["ids"] = idsFile
			}
			if metaFile != "" {
				files["metadata"] = metaFile
			}
			var res struct {
				Upserted int    `json:"upserted"`
				Seq      uint64 `json:"seq"`
			}
			if err := c.upload(cmd, "/v1/datasets/"+url.PathEscape(dataset)+"/import", fields, files, &res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d vectors into %s/%s (seq %d)\n", res.Upserted, dataset, space, res.Seq)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset name (required)")
	f.StringVar(&space, "space", "", "embedding space (required with --create; default: the dataset's only space)")
	f.StringVar(&idsFile, "ids", "", "ids for an .npy file: JSON array, .npy of strings/ints, or one id a line")
	f.StringVar(&metaFile, "metadata", "", "metadata for the rows: meta.csv or meta.jsonl, keyed by an id column or by row")
	f.BoolVar(&create, "create", false, "create the dataset and space if missing (dim read from the file)")
	f.StringVar(&metric, "metric", "cosine", "metric for --create: cosine, l2 or dot")
	f.StringVar(&idColumn, "id-column", "", "Parquet id column (default id)")
	f.StringVar(&vecColum, "vector-column", "", "Parquet vector column (default: the only list<float> column)")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("space")
	return cmd
}

// fileDim reads the vector dimension from an embeddings file.
func fileDim(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	lim := vecio.DefaultLimits()
	var m *vecio.Matrix
	switch string(magic[:]) {
	case "PAR1":
		_, m, _, err = vecio.ReadParquet(f, st.Size(), vecio.ParquetOptions{Limits: lim})
	case "PK\x03\x04":
		var z *vecio.NPZ
		if z, err = vecio.ReadNPZ(f, st.Size(), lim); err == nil {
			_, m, err = vecio.EmbeddingsFromNPZ(z)
		}
	default:
		m, err = vecio.ReadNPY(f, lim)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return m.Cols, nil
}

// upload streams a multipart request with a progress bar over the bytes sent.
func (c *client) upload(cmd *cobra.Command, path string, fields, files map[string]string, out any) error {
	var total int64
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		total += st.Size()
	}
	bar := newProgress(cmd.ErrOrStderr(), total, "uploading", true)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if v != "" {
					if err := mw.WriteField(k, v); err != nil {
						return err
					}
				}
			}
			for field, p := range files {
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				w, err := mw.CreateFormFile(field, filepath.Base(p))
				if err == nil {
					_, err = io.Copy(io.MultiWriter(w, progressWriter{bar}), f)
				}
				f.Close()
				if err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	err := c.do(cmd.Context(), http.MethodPost, path, mw.FormDataContentType(), pr, out)
	bar.Finish()
	return err
}
