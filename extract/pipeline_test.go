package extract

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// builtinEmbedder opens the built-in model or skips.
func builtinEmbedder(t testing.TB, opts EmbedderOptions) *Embedder {
	t.Helper()
	rt := testRuntime(t)
	dir := filepath.Join(repoRoot(t), "models", "builtin")
	m, err := LoadManifest(filepath.Join(dir, "reef-centernet-v1.json"))
	if err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, m.File)); err != nil {
		t.Skipf("built-in model absent (run `make setup`): %v", err)
	}
	e, err := NewEmbedder(rt, m, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func embedAll(t testing.TB, e *Embedder, items []Item) map[string]Result {
	t.Helper()
	in, out := make(chan Item), make(chan Result)
	go e.EmbedFiles(context.Background(), in, out)
	go func() {
		for _, it := range items {
			in <- it
		}
		close(in)
	}()
	got := map[string]Result{}
	for r := range out {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.ID, r.Err)
		}
		got[r.ID] = r
	}
	return got
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// The ingest path (libjpeg-turbo, scaled IDCT for large JPEGs, C resampler,
// full batches) must give the built-in model's embeddings of the Go path it
// replaced (image/jpeg, full decode, Go resampler): the decoders differ in
// chroma upsampling, so vectors move a little, never much. Caltech photos are
// ~300 px, so they test the decoder; 2.5× enlargements of them test the
// 1/2-scale decode against full decode + area shrink.
func TestEmbedFilesMatchesGoDecodePath(t *testing.T) {
	e := builtinEmbedder(t, EmbedderOptions{})
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "data", "caltech101", "images", "*", "image_0001.jpg"))
	if len(files) < 16 {
		t.Skip("caltech photos unavailable")
	}
	files = files[:32]
	var items []Item
	var goImgs []image.Image
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := decodeImageGo(data, "jpeg", DefaultImageLimits())
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, Item{ID: fmt.Sprint("small", i), Data: data})
		goImgs = append(goImgs, img)
		if i%4 == 0 { // a large JPEG: the photo enlarged 2.5×
			b := img.Bounds()
			big, _ := ResizeForModel(img, b.Dx()*5/2, b.Dy()*5/2, ResizeStretch)
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, big, &jpeg.Options{Quality: 92}); err != nil {
				t.Fatal(err)
			}
			bigImg, _ := decodeImageGo(buf.Bytes(), "jpeg", DefaultImageLimits())
			items = append(items, Item{ID: fmt.Sprint("large", i), Data: buf.Bytes()})
			goImgs = append(goImgs, bigImg)
		}
	}
	want, err := e.EmbedImages(context.Background(), goImgs)
	if err != nil {
		t.Fatal(err)
	}
	got := embedAll(t, e, items)
	for _, kind := range []string{"small", "large"} {
		minCos, sum, n := 1.0, 0.0, 0
		for i, it := range items {
			if it.ID[:5] != kind {
				continue
			}
			c := cosine(got[it.ID].Embedding, want[i])
			minCos, sum, n = min(minCos, c), sum+c, n+1
		}
		t.Logf("%s JPEGs (%d): cosine(new path, Go path) min %.4f mean %.4f", kind, n, minCos, sum/float64(n))
		if minCos < 0.97 || sum/float64(n) < 0.99 {
			t.Errorf("%s JPEGs: embeddings moved: min cosine %.4f, mean %.4f", kind, minCos, sum/float64(n))
		}
	}
}

// Boxes are given in original pixels; a JPEG decoded at 1/8 scale must map
// them through that scale.
func TestEmbedFilesBoxesOnScaledDecode(t *testing.T) {
	e, _ := newColourEmbedder(t)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(1024, 512), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	boxes := [][4]float32{{40, 40, 400, 400}, {600, 50, 400, 400}}
	got := embedAll(t, e, []Item{{ID: "big", Data: buf.Bytes(), Boxes: boxes}})["big"]
	if len(got.Boxes) != 2 || !approxEq(got.Boxes[0], []float32{1, 0, 0, 1}, 0.05) || !approxEq(got.Boxes[1], []float32{0, 0, 1, 1}, 0.05) {
		t.Errorf("box vectors %v, want red then blue", got.Boxes)
	}
}

// A producer that waits for results before sending more (or closing) must
// still get them: a partial batch runs once nothing else is coming.
func TestEmbedFilesStalledProducer(t *testing.T) {
	e, _ := newColourEmbedder(t) // BatchSize 3
	png := encodeWith(t, "png", testImage(30, 20))
	in, out := make(chan Item), make(chan Result)
	go e.EmbedFiles(context.Background(), in, out)
	for round := range 2 {
		in <- Item{ID: fmt.Sprint(round), Data: png}
		select {
		case r := <-out:
			if r.Err != nil || len(r.Embedding) != 4 {
				t.Fatalf("round %d: %v", round, r.Err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: a partial batch never ran", round)
		}
	}
	close(in)
	for range out {
	}
}
