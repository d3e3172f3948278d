package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func writeFiles(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListImagesClassAndSkipped(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "train/pizza/a.jpg", "test/pizza/a.jpg", "top.png", "train/sushi/b.bmp", "train/sushi/c.TIFF", "README", ".DS_Store")
	tests := []struct {
		level int
		want  map[string]string // id → folder ("" none)
	}{
		{1, map[string]string{"train/pizza/a.jpg": "pizza", "test/pizza/a.jpg": "pizza", "top.png": ""}},
		{2, map[string]string{"train/pizza/a.jpg": "train", "test/pizza/a.jpg": "test", "top.png": ""}},
		{0, map[string]string{"train/pizza/a.jpg": "", "test/pizza/a.jpg": "", "top.png": ""}},
		{3, map[string]string{"train/pizza/a.jpg": "", "test/pizza/a.jpg": "", "top.png": ""}},
	}
	for _, tc := range tests {
		l, err := listImages(dir, tc.level)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.items) != len(tc.want) {
			t.Fatalf("level %d: %d items, want %d", tc.level, len(l.items), len(tc.want))
		}
		for _, it := range l.items {
			folder := ""
			if i := bytes.Index(it.Metadata, []byte(`"folder":"`)); i >= 0 {
				rest := it.Metadata[i+len(`"folder":"`):]
				folder = string(rest[:bytes.IndexByte(rest, '"')])
			}
			if want, ok := tc.want[it.ID]; !ok || folder != want {
				t.Errorf("level %d: %s has folder %q, want %q", tc.level, it.ID, folder, want)
			}
		}
		if l.skipped[".bmp"] != 1 || l.skipped[".tiff"] != 1 || l.skipped[""] != 1 || len(l.skipped) != 3 {
			t.Errorf("skipped %v, want .bmp, .tiff and one without extension (hidden files ignored)", l.skipped)
		}
	}
}

func TestCSVManifestKeysByRelativePath(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "train/a.jpg", "test/a.jpg")
	csv := filepath.Join(dir, "m.csv")
	os.WriteFile(csv, []byte("path,split\ntrain/a.jpg,train\ntest/a.jpg,test\n"), 0o644)
	l, err := listImages(csv, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.items) != 2 || l.items[0].ID != "train/a.jpg" || l.items[1].ID != "test/a.jpg" {
		t.Fatalf("ids %+v, want the relative paths", l.items)
	}
	if l.items[0].Path != filepath.Join(dir, "train", "a.jpg") {
		t.Errorf("path %s not resolved beside the manifest", l.items[0].Path)
	}
	withID := filepath.Join(dir, "n.csv")
	os.WriteFile(withID, []byte("id,path\nx,train/a.jpg\n"), 0o644)
	if l, err = listImages(withID, 1); err != nil || l.items[0].ID != "x" {
		t.Errorf("an id column wins: %+v %v", l.items, err)
	}
}

func TestIngestReportFailsAndSummarises(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "ok.jpg")
	rep := newIngestReport("ds", map[string]int{".bmp": 2})
	items := rep.readable([]ingestItem{{ID: "ok.jpg", Path: filepath.Join(dir, "ok.jpg")}, {ID: "gone.jpg", Path: filepath.Join(dir, "gone.jpg")}})
	if len(items) != 1 {
		t.Fatalf("readable kept %d", len(items))
	}
	rep.stored("images", 1, "")
	for _, id := range []string{"a", "b", "c", "d"} {
		rep.failed(id, "extract: bad image")
	}
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	err := rep.finish(cmd, &client{})
	if !errors.Is(err, errFilesFailed) || !strings.Contains(err.Error(), "5 files not stored") {
		t.Fatalf("finish: %v, want 5 files not stored", err)
	}
	for _, w := range []string{"stored 1 image in ds", "not sent: 2 files of types reef does not ingest (.bmp 2)", "failed: 5 files",
		"4 × extract: bad image (a, b, c, ...)", "1 × cannot read: no such file or directory (gone.jpg)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
}
