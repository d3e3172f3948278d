package extract

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func colourManifest() *Manifest {
	return &Manifest{Name: "colour", File: "colour.onnx", Input: "x", InputSize: [2]int{16, 16}, Layout: "nchw",
		Std: [3]float32{255, 255, 255}, Layer: "fmap", ObjectLayer: "fmap", MaxDim: 4}
}

func newColourEmbedder(t *testing.T) (*Embedder, string) {
	t.Helper()
	rt := testRuntime(t)
	dir := t.TempDir()
	writeModel(t, dir, "colour.onnx", colourModel())
	e, err := NewEmbedder(rt, colourManifest(), dir, EmbedderOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, dir
}

func TestEmbedderBoxesAndImages(t *testing.T) {
	e, _ := newColourEmbedder(t)
	if e.Dim() != 4 || e.ObjectDim() != 4 {
		t.Fatalf("dims %d/%d", e.Dim(), e.ObjectDim())
	}
	img := testImage(64, 32) // left red, right blue
	vecs, err := e.EmbedImages(context.Background(), []image.Image{img, img, img, img, img})
	if err != nil || len(vecs) != 5 {
		t.Fatal(vecs, err)
	}
	if !approxEq(vecs[4], []float32{0.5, 0, 0.5, 1}, 0.02) {
		t.Errorf("image vector %v", vecs[4])
	}
	whole, boxes, err := e.EmbedWithBoxes(context.Background(), img, [][4]float32{{4, 4, 20, 24}, {40, 4, 20, 24}, {0, 0, 64, 32}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []float32
		want []float32
	}{
		{"whole", whole, []float32{0.5, 0, 0.5, 1}},
		{"red box", boxes[0], []float32{1, 0, 0, 1}},
		{"blue box", boxes[1], []float32{0, 0, 1, 1}},
		{"full box ≈ global average", boxes[2], []float32{0.5, 0, 0.5, 1}},
	}
	for _, tc := range tests {
		if !approxEq(tc.got, tc.want, 0.05) {
			t.Errorf("%s: %v want %v", tc.name, tc.got, tc.want)
		}
	}
	if _, _, err := e.EmbedWithBoxes(context.Background(), img, [][4]float32{{0, 0, -1, 5}}); !errors.Is(err, ErrBadInput) {
		t.Errorf("negative box: %v", err)
	}
	e.Close()
	if err := e.Close(); err != nil {
		t.Error(err)
	}
	if _, err := e.EmbedImages(context.Background(), []image.Image{img}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestEmbedFilesStreamIsolatesErrors(t *testing.T) {
	e, dir := newColourEmbedder(t)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	png := encodeWith(t, "png", testImage(30, 20))
	items := []Item{
		{ID: "bomb", Path: write("bomb.png", pngHeaderClaiming(100000, 100000))},
		{ID: "truncated", Path: write("trunc.png", png[:len(png)/2])},
		{ID: "text", Path: write("notes.txt", []byte("not an image"))},
		{ID: "missing", Path: filepath.Join(dir, "nope.jpg")},
		{ID: "inline", Data: encodeWith(t, "jpeg", testImage(30, 20))},
	}
	for i := range 7 {
		items = append(items, Item{ID: fmt.Sprintf("good%d", i), Path: write(fmt.Sprintf("g%d.png", i), png)})
	}
	in := make(chan Item)
	out := make(chan Result)
	go e.EmbedFiles(context.Background(), in, out)
	go func() {
		for _, it := range items {
			in <- it
		}
		close(in)
	}()
	got := map[string]Result{}
	for r := range out {
		got[r.ID] = r
	}
	if len(got) != len(items) {
		t.Fatalf("%d results for %d items", len(got), len(items))
	}
	for id, r := range got {
		bad := !strings.HasPrefix(id, "good") && id != "inline"
		switch {
		case bad && !errors.Is(r.Err, ErrBadImage):
			t.Errorf("%s: err %v, want ErrBadImage", id, r.Err)
		case !bad && (r.Err != nil || len(r.Embedding) != 4):
			t.Errorf("%s: %v %v", id, r.Embedding, r.Err)
		}
	}
}

func TestOpenRuntimeMissingLibrary(t *testing.T) {
	t.Setenv(EnvLibraryPath, "")
	_, err := OpenRuntime(RuntimeOptions{LibraryPath: filepath.Join(t.TempDir(), "nope.so")})
	if !errors.Is(err, ErrRuntimeUnavailable) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"ONNX Runtime library not found (looked in:", "nope.so", "make setup", EnvLibraryPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestSecondRuntimeRefused(t *testing.T) {
	rt := testRuntime(t)
	_, err := OpenRuntime(RuntimeOptions{LibraryPath: rt.LibraryPath()})
	if !errors.Is(err, ErrRuntimeUnavailable) {
		t.Fatalf("second runtime: %v", err)
	}
	if rt.Version() == "" {
		t.Error("shared runtime broken after refused second open")
	}
}

// mobilenetEmbedder builds an Embedder on the shared MobileNetV2 using the
// layer Inspect suggests.
func mobilenetEmbedder(t testing.TB, opts EmbedderOptions) *Embedder {
	t.Helper()
	rt := testRuntime(t)
	p := mobilenetPath(t)
	ins, err := Inspect(context.Background(), rt, p, InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Name: "mobilenet-v2", File: filepath.Base(p), Input: "input", InputSize: [2]int{224, 224},
		Layout: "nhwc", Mean: [3]float32{128, 128, 128}, Std: [3]float32{128, 128, 128},
		Layer: ins.Suggestion.Tensor, LayerLayout: "nchw", Normalize: true}
	e, err := NewEmbedder(rt, m, filepath.Dir(p), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func caltechImages(t testing.TB, class string, n int) []image.Image {
	t.Helper()
	var out []image.Image
	for i := 1; i <= n; i++ {
		p := filepath.Join(sharedDir(t), "data", "caltech101", "images", class, fmt.Sprintf("image_%04d.jpg", i))
		img, err := DecodeImageFile(p, ImageLimits{})
		if err != nil {
			t.Skipf("caltech photo unavailable: %v", err)
		}
		out = append(out, img)
	}
	return out
}

func dist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func TestMobilenetEmbeddingsSeparateClasses(t *testing.T) {
	e := mobilenetEmbedder(t, EmbedderOptions{})
	defer e.Close()
	if e.Dim() != 1280 {
		t.Fatalf("dim %d, want 1280", e.Dim())
	}
	classes := []string{"accordion", "airplanes", "Leopards"}
	var imgs []image.Image
	var label []int
	for c, name := range classes {
		for _, img := range caltechImages(t, name, 3) {
			imgs = append(imgs, img)
			label = append(label, c)
		}
	}
	imgs = append(imgs, imgs[0]) // identical image twice
	vecs, err := e.EmbedImages(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	if d := dist(vecs[0], vecs[len(vecs)-1]); d > 1e-4 {
		t.Errorf("identical images at distance %g", d)
	}
	var intra, inter float64
	var ni, nx int
	for i := range label {
		for j := i + 1; j < len(label); j++ {
			d := dist(vecs[i], vecs[j])
			if label[i] == label[j] {
				intra, ni = intra+d, ni+1
			} else {
				inter, nx = inter+d, nx+1
			}
		}
	}
	intra, inter = intra/float64(ni), inter/float64(nx)
	t.Logf("mean intra-class distance %.3f, inter-class %.3f", intra, inter)
	if intra >= inter {
		t.Errorf("intra %.3f >= inter %.3f", intra, inter)
	}
}
