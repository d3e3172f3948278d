package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// ingestItem is one image to upload.
type ingestItem struct {
	ID       string          `json:"id"`
	Path     string          `json:"path"`
	URI      string          `json:"uri,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Labels   json.RawMessage `json:"labels,omitempty"`
}

var (
	imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true}
	audioExts = map[string]bool{".wav": true, ".flac": true, ".mp3": true}
)

// splitByKind separates audio files (by extension) from images; anything
// else is sent as an image, so the server names what is wrong with it.
func splitByKind(items []ingestItem) (images, clips []ingestItem) {
	for _, it := range items {
		if audioExts[strings.ToLower(filepath.Ext(it.Path))] {
			clips = append(clips, it)
		} else {
			images = append(images, it)
		}
	}
	return images, clips
}

func ingestCmd() *cobra.Command {
	var (
		c              client
		dataset, model string
		audioModel     string
		batch, level   int
		all, detect    bool
		noDetect       bool
	)
	cmd := &cobra.Command{
		Use:   "ingest DIR|manifest.jsonl|manifest.csv",
		Short: "Embed images and audio files on the server and store them (resumable)",
		Long: `ingest uploads images to a running reef server, which embeds them with a model (default: the
built-in one) into the space named after the model; it ends by naming the spaces it wrote.

Audio files (.wav, .flac, .mp3) go to the built-in audio model's space instead
(openwakeword-speech, or --audio-model); --model, --detect and labels apply to images only.

DIR: every .jpg/.jpeg/.png/.gif/.webp/.wav/.flac/.mp3 below it (other files are counted and listed by
extension); the id is the path relative to DIR and the metadata records it as "file" and the class as
"folder": the immediate parent folder (train/pizza/x.jpg: pizza), or --class-level 2 for its parent, 0 for none.
manifest.jsonl: one {"id","path","uri","metadata":{},"labels":[{"id","class","bbox":[x,y,w,h]}]} per line.
manifest.csv: a header with a path column, optional id and uri columns; the other columns become metadata.
Paths in manifests are relative to the manifest's folder; a row without an id is keyed by that path.
Ids already stored are skipped unless --all, so after a failure or Ctrl-C the same command resumes.
Any file that fails makes the exit status non-zero, after a summary by reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := listImages(args[0], level)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			err = c.postJSON(ctx, "/v1/datasets", map[string]any{"name": dataset}, nil)
			if err != nil && !strings.Contains(err.Error(), "409") {
				return err
			}
			items, dsPath := src.items, dsURL(dataset)
			if !all {
				if items, err = c.onlyMissing(cmd, dsPath, items); err != nil {
					return err
				}
			}
			rep := newIngestReport(dataset, src.skipped)
			images, clips := splitByKind(items)
			for _, g := range []struct {
				kind, path, field string
				items             []ingestItem
			}{{"images", dsPath + "/images", "images", images}, {"audio files", dsPath + "/audio", "files", clips}} {
				if len(g.items) == 0 {
					continue
				}
				up := upload{path: g.path, field: g.field, batch: batch, model: audioModel}
				if g.field == "images" {
					up.model, up.detect = model, detect && !noDetect
				}
				err := c.uploadAll(cmd, up, g.kind, g.items, rep)
				if err != nil {
					return rep.stopped(cmd, &c, err)
				}
			}
			return rep.finish(cmd, &c)
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset (created if missing; required)")
	f.StringVar(&model, "model", "", "image model name (default: the server's default model)")
	f.StringVar(&audioModel, "audio-model", "", "audio model name (default: the built-in openwakeword-speech)")
	f.IntVar(&batch, "batch", 32, "images per request")
	f.IntVar(&level, "class-level", 1, "folder that names the class: 1 the file's parent, 2 its parent, ...; 0 none")
	f.BoolVar(&all, "all", false, "re-ingest ids that are already stored")
	f.BoolVar(&detect, "detect", false, "also store the detector model's inference boxes (about 10x slower; COCO classes)")
	f.BoolVar(&noDetect, "no-detect", false, "no inference boxes (now the default)")
	f.MarkDeprecated("no-detect", "inference boxes are off unless --detect")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

// onlyMissing asks the server which ids it lacks.
func (c *client) onlyMissing(cmd *cobra.Command, dsPath string, items []ingestItem) ([]ingestItem, error) {
	missing := map[string]bool{}
	for lo := 0; lo < len(items); lo += 100_000 {
		ids := make([]string, 0, 100_000)
		for _, it := range items[lo:min(lo+100_000, len(items))] {
			ids = append(ids, it.ID)
		}
		var res struct{ Missing []string }
		if err := c.postJSON(cmd.Context(), dsPath+"/points/missing", map[string]any{"ids": ids}, &res); err != nil {
			return nil, err
		}
		for _, id := range res.Missing {
			missing[id] = true
		}
	}
	out := items[:0:0]
	for _, it := range items {
		if missing[it.ID] {
			out = append(out, it)
		}
	}
	if skipped := len(items) - len(out); skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "skipping %s already stored (--all to redo them)\n", plural(skipped, "file"))
	}
	return out, nil
}

// upload says where a group of files goes.
type upload struct {
	path, field string // route and multipart file field
	model       string
	detect      bool // images only
	batch       int
}

// uploadAll sends items in batches, reporting progress, and records in rep
// what the server stored and each file it rejected.
func (c *client) uploadAll(cmd *cobra.Command, up upload, kind string, items []ingestItem, rep *ingestReport) error {
	rep.stored(kind, 0, "") // "stored 0 images" says more than nothing
	bar := newProgress(cmd.ErrOrStderr(), int64(len(items)), "embedding "+kind, false)
	defer bar.Finish()
	for lo := 0; lo < len(items); lo += up.batch {
		chunk := rep.readable(items[lo:min(lo+up.batch, len(items))])
		if len(chunk) == 0 {
			bar.Add(min(up.batch, len(items)-lo))
			continue
		}
		var res struct {
			Upserted int    `json:"upserted"`
			Space    string `json:"space"`
			Failed   []struct {
				ID    string `json:"id"`
				Error string `json:"error"`
			} `json:"failed"`
		}
		if err := c.uploadFiles(cmd, up, chunk, &res); err != nil {
			return err
		}
		rep.stored(kind, res.Upserted, res.Space)
		for _, f := range res.Failed {
			rep.failed(f.ID, f.Error)
		}
		bar.Add(min(up.batch, len(items)-lo))
	}
	return nil
}

func (c *client) uploadFiles(cmd *cobra.Command, up upload, items []ingestItem, out any) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	meta, labels, uris, ids := map[string]json.RawMessage{}, map[string]json.RawMessage{}, map[string]string{}, map[string]string{}
	for i, it := range items {
		// Upload names are positional so that ids may hold any character.
		name := fmt.Sprintf("f%05d%s", i, filepath.Ext(it.Path))
		ids[name] = it.ID
		if len(it.Metadata) > 0 {
			meta[name] = it.Metadata
		}
		if len(it.Labels) > 0 {
			labels[name] = it.Labels
		}
		if it.URI != "" {
			uris[name] = it.URI
		} else if abs, err := filepath.Abs(it.Path); err == nil {
			uris[name] = "file://" + abs
		}
		f, err := os.Open(it.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", it.ID, err)
		}
		w, err := mw.CreateFormFile(up.field, name)
		if err == nil {
			_, err = io.Copy(w, f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	fields := map[string]any{"metadata": meta, "uris": uris, "ids": ids}
	if up.field == "images" {
		fields["labels"] = labels
	}
	for field, v := range fields {
		data, _ := json.Marshal(v)
		if err := mw.WriteField(field, string(data)); err != nil {
			return err
		}
	}
	if up.model != "" {
		mw.WriteField("model", up.model)
	}
	if up.field == "images" {
		mw.WriteField("detect", strconv.FormatBool(up.detect))
	}
	if err := mw.Close(); err != nil {
		return err
	}
	err := c.do(cmd.Context(), http.MethodPost, up.path, mw.FormDataContentType(), &body, out)
	if err != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("upload cut short: %w", err)
	}
	return err
}
