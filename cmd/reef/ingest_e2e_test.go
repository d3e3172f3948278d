package main

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/server"
)

// modelServer is a real server with the built-in image model, or a skip.
func modelServer(t *testing.T) string {
	t.Helper()
	lib, _ := filepath.Abs("../../third_party/onnxruntime/libonnxruntime.so.1")
	models, _ := filepath.Abs("../../models/builtin")
	for _, p := range []string{lib, filepath.Join(models, "reef-centernet-v1.onnx")} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s absent; run `make setup`", p)
		}
	}
	eng := openRestoreEngine(t, t.TempDir())
	so := server.DefaultOptions()
	so.Logger = quiet()
	so.Ingest.ORTLibrary, so.Ingest.ModelDir, so.Ingest.AudioModelDir = lib, models, ""
	srv, err := server.New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); eng.Close() })
	return hs.URL
}

func writePNG(t *testing.T, path string, shade uint8) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i%7)
	}
	img.Set(3, 3, color.RGBA{255, 0, 0, 255})
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// An ingest in which 4 of 5 images fail exits non-zero with a summary by
// reason, counts the files it skipped, names the space it wrote, keeps no
// inference boxes by default, and takes the class from the parent folder;
// the rerun sends only what is missing.
func TestIngestFailuresExitNonZero(t *testing.T) {
	url := modelServer(t)
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "train", "pizza", "ok.png"), 40)
	for _, n := range []string{"a", "b", "c", "d"} {
		os.WriteFile(filepath.Join(dir, "train", "pizza", n+".jpg"), []byte("not a jpeg"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "scan.bmp"), []byte("BM"), 0o644)
	out, err := reef(t, url, "ingest", dir, "--dataset", "food")
	if !errors.Is(err, errFilesFailed) {
		t.Fatalf("err %v, want files not stored; output:\n%s", err, out)
	}
	for _, w := range []string{"stored 1 image in food", "spaces: reef-centernet-v1 (", "0 box vectors", "failed: 4 files", "4 × ",
		"not sent: 1 file of types reef does not ingest (.bmp 1)", "embedding images: 5/5 (100%)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "\r") {
		t.Errorf("a progress bar went into redirected output:\n%q", out)
	}
	info, err := reef(t, url, "info", "food")
	if err != nil || !strings.Contains(info, "folder") {
		t.Fatalf("info: %v\n%s", err, info)
	}
	pts, err := reef(t, url, "search", "--dataset", "food", "--id", "train/pizza/ok.png", "--json")
	if err != nil {
		t.Fatalf("search with the default space: %v %s", err, pts)
	}
	again, err := reef(t, url, "ingest", dir, "--dataset", "food")
	if !strings.Contains(again, "skipping 1 file already stored") || !errors.Is(err, errFilesFailed) {
		t.Errorf("rerun: %v\n%s", err, again)
	}
}
