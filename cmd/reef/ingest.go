package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/schollz/progressbar/v3"
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
		batch          int
		all, noDetect  bool
	)
	cmd := &cobra.Command{
		Use:   "ingest DIR|manifest.jsonl|manifest.csv",
		Short: "Embed images and audio files on the server and store them (resumable)",
		Long: `ingest uploads images to a running reef server, which embeds them with a model (default: the
built-in one) into the space named after the model.

Audio files (.wav, .flac, .mp3) go to the built-in audio model's space instead
(openwakeword-speech, or --audio-model); --model, --no-detect and labels apply to images only.

DIR: every .jpg/.jpeg/.png/.gif/.webp/.wav/.flac/.mp3 below it; the id is the path relative to DIR and the
metadata records it and its top folder (a class, in folder-per-class datasets).
manifest.jsonl: one {"id","path","uri","metadata":{},"labels":[{"id","class","bbox":[x,y,w,h]}]} per line.
manifest.csv: a header with a path column, optional id and uri columns; the other columns become metadata.
Paths in manifests are relative to the manifest's folder. Ids already stored are skipped unless --all.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			items, err := listImages(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			err = c.postJSON(ctx, "/v1/datasets", map[string]any{"name": dataset}, nil)
			if err != nil && !strings.Contains(err.Error(), "409") {
				return err
			}
			dsPath := "/v1/datasets/" + url.PathEscape(dataset)
			if !all {
				if items, err = c.onlyMissing(cmd, dsPath, items); err != nil {
					return err
				}
			}
			images, clips := splitByKind(items)
			out := cmd.OutOrStdout()
			for _, g := range []struct {
				kind, path, field string
				items             []ingestItem
			}{{"images", dsPath + "/images", "images", images}, {"audio files", dsPath + "/audio", "files", clips}} {
				if len(g.items) == 0 {
					continue
				}
				up := upload{path: g.path, field: g.field, batch: batch, model: audioModel}
				if g.field == "images" {
					up.model, up.noDetect = model, noDetect
				}
				stored, failed, err := c.uploadAll(cmd, up, g.items)
				fmt.Fprintf(out, "\nstored %d %s in %s", stored, g.kind, dataset)
				if len(failed) > 0 {
					fmt.Fprintf(out, "; %d failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
				}
				fmt.Fprintln(out)
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	addClientFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "dataset (created if missing; required)")
	f.StringVar(&model, "model", "", "image model name (default: the server's default model)")
	f.StringVar(&audioModel, "audio-model", "", "audio model name (default: the built-in openwakeword-speech)")
	f.IntVar(&batch, "batch", 32, "images per request")
	f.BoolVar(&all, "all", false, "re-ingest ids that are already stored")
	f.BoolVar(&noDetect, "no-detect", false, "skip inference boxes (detector models; about 10x faster)")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

func listImages(src string) ([]ingestItem, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		var items []ingestItem
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			ext := strings.ToLower(filepath.Ext(p))
			if err != nil || d.IsDir() || !imageExts[ext] && !audioExts[ext] {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			rel = filepath.ToSlash(rel)
			meta := map[string]string{"file": rel}
			if dir, _, ok := strings.Cut(rel, "/"); ok {
				meta["folder"] = dir
			}
			m, _ := json.Marshal(meta)
			items = append(items, ingestItem{ID: rel, Path: p, Metadata: m})
			return nil
		})
		sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
		return items, err
	case strings.HasSuffix(src, ".jsonl"):
		return readJSONL(src)
	case strings.HasSuffix(src, ".csv"):
		return readCSV(src)
	}
	return nil, fmt.Errorf("%s: want a directory, a .jsonl or a .csv manifest", src)
}

func readJSONL(path string) ([]ingestItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []ingestItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var it ingestItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if it.Path == "" {
			return nil, fmt.Errorf("%s:%d: path is required", path, line)
		}
		it.Path = resolveBeside(path, it.Path)
		if it.ID == "" {
			it.ID = filepath.Base(it.Path)
		}
		items = append(items, it)
	}
	return items, sc.Err()
}

func readCSV(path string) ([]ingestItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	pi, ok := col["path"]
	if !ok {
		return nil, fmt.Errorf("%s: the header needs a path column", path)
	}
	var items []ingestItem
	for _, row := range rows[1:] {
		it := ingestItem{Path: resolveBeside(path, row[pi])}
		meta := map[string]string{}
		for name, i := range col {
			switch name {
			case "path":
			case "id":
				it.ID = row[i]
			case "uri":
				it.URI = row[i]
			default:
				meta[name] = row[i]
			}
		}
		if it.ID == "" {
			it.ID = filepath.Base(it.Path)
		}
		it.Metadata, _ = json.Marshal(meta)
		items = append(items, it)
	}
	return items, nil
}

func resolveBeside(manifest, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(manifest), p)
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
		fmt.Fprintf(cmd.ErrOrStderr(), "skipping %d files already stored (--all to redo them)\n", skipped)
	}
	return out, nil
}

// upload says where a group of files goes.
type upload struct {
	path, field string // route and multipart file field
	model       string
	noDetect    bool // images only
	batch       int
}

// uploadAll sends items in batches with a progress bar and returns how many
// the server stored and the files it rejected.
func (c *client) uploadAll(cmd *cobra.Command, up upload, items []ingestItem) (int, []string, error) {
	bar := progressbar.Default(int64(len(items)), "embedding "+up.field)
	var failed []string
	stored := 0
	for lo := 0; lo < len(items); lo += up.batch {
		chunk := items[lo:min(lo+up.batch, len(items))]
		var res struct {
			Upserted int    `json:"upserted"`
			Space    string `json:"space"`
			Failed   []struct{ ID, Error string }
		}
		if err := c.uploadFiles(cmd, up, chunk, &res); err != nil {
			bar.Exit()
			return stored, failed, fmt.Errorf("after %d stored %s: %w", stored, up.field, err)
		}
		stored += res.Upserted
		for _, f := range res.Failed {
			failed = append(failed, f.ID+": "+f.Error)
		}
		bar.Add(len(chunk))
	}
	bar.Finish()
	return stored, failed, nil
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
			return err
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
	if up.noDetect {
		mw.WriteField("detect", "false")
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
