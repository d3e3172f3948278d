package analysis

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/viterin/vek/vek32"
)

// sharedDir is ../shared beside the project (/work/shared on the team's
// machines); tests that need it skip without it.
func sharedDir(t testing.TB) string {
	t.Helper()
	for _, d := range []string{os.Getenv("REEF_SHARED"), "../../shared", "/work/shared"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "data", "caltech101", "train.txt")); err == nil {
			return d
		}
	}
	t.Skip("../shared (Caltech-101 photos) not available")
	return ""
}

// caltech28 returns n Caltech-101 photos (drawn from train.txt with seed)
// centre-cropped, shrunk to 28×28 by box averaging and turned gray in
// [0,255]: foreign items for Fashion-MNIST.
func caltech28(t testing.TB, n int, seed uint64) [][]float32 {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "data", "caltech101")
	f, err := os.Open(filepath.Join(dir, "train.txt"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var paths []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if p := strings.TrimSpace(sc.Text()); p != "" {
			paths = append(paths, p)
		}
	}
	rand.New(rand.NewPCG(seed, 3)).Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	var out [][]float32
	for _, p := range paths {
		if len(out) == n {
			break
		}
		img, err := decodeFile(filepath.Join(dir, "images", p))
		if err != nil {
			continue
		}
		out = append(out, gray28(img))
	}
	if len(out) < n {
		t.Skipf("only %d Caltech photos decoded, need %d", len(out), n)
	}
	return out
}

func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	return img, err
}

func gray28(img image.Image) []float32 {
	b := img.Bounds()
	s := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-s)/2, b.Min.Y+(b.Dy()-s)/2
	out := make([]float32, 28*28)
	for r := range 28 {
		for c := range 28 {
			ya, yb := y0+r*s/28, y0+max((r+1)*s/28, r*s/28+1)
			xa, xb := x0+c*s/28, x0+max((c+1)*s/28, c*s/28+1)
			var sum float64
			for y := ya; y < yb; y++ {
				for x := xa; x < xb; x++ {
					R, G, B, _ := img.At(x, y).RGBA()
					sum += (0.299*float64(R) + 0.587*float64(G) + 0.114*float64(B)) / 257
				}
			}
			out[r*28+c] = float32(sum / float64((yb-ya)*(xb-xa)))
		}
	}
	return out
}

// wideGraph is the exact L2 graph with up to k neighbours per point, from
// full distance rows (fast for large k, unlike insertion into a top-k).
func wideGraph(ctx context.Context, vs [][]float32, k int) (*Graph, error) {
	n := len(vs)
	k = min(k, n-1)
	g := &Graph{K: k, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	err := parallelFor(ctx, n, Options{}, func(lo, hi int) error {
		row := make([]Neighbor, n)
		for i := lo; i < hi; i++ {
			for j := range vs {
				row[j] = Neighbor{int32(j), vek32.Distance(vs[i], vs[j])}
			}
			row[i].Distance = float32(1e30)
			slices.SortFunc(row, func(a, b Neighbor) int {
				if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
					return c
				}
				return cmp.Compare(a.Index, b.Index)
			})
			g.Neighbors[i], g.Distances[i] = make([]int32, k), make([]float32, k)
			for j := range k {
				g.Neighbors[i][j], g.Distances[i][j] = row[j].Index, row[j].Distance
			}
		}
		return nil
	})
	return g, err
}

// contaminated is n Fashion-MNIST test images plus the foreign items after
// them, with its wide exact graph cached on disk.
//
// With unit true every vector is scaled to unit length first, so L2
// distances rank as cosine does (raw pixels' L2 is dominated by how much
// ink an image has).
func contaminated(t testing.TB, n int, foreign [][]float32, tag string, k int, unit bool) (*Graph, []bool) {
	t.Helper()
	imgs, _ := subset(fashion(t, "t10k"), n)
	all := append(slices.Clone(imgs), foreign...)
	if unit {
		all = normalizedCopy(all)
		tag += "-unit"
	}
	isOut := make([]bool, len(all))
	for i := len(imgs); i < len(all); i++ {
		isOut[i] = true
	}
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("reef-analysis-contam-%s-%d-%d-%d.graph", tag, n, len(foreign), k))
	if b, err := os.ReadFile(cache); err == nil {
		if g, err := DecodeGraph(b); err == nil && g.Len() == len(all) {
			return g, isOut
		}
	}
	g, err := wideGraph(bgCtx, all, k)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := EncodeGraph(g); err == nil {
		_ = os.WriteFile(cache, b, 0o644)
	}
	return g, isOut
}

// scattered returns n foreign items that are far from the data and from
// each other: each a random test image half-blended with its own uniform
// noise.
func scattered(t testing.TB, n int, seed uint64) [][]float32 {
	s := fashion(t, "t10k")
	rng := rand.New(rand.NewPCG(seed, 8))
	out := make([][]float32, n)
	for i := range out {
		src := s.Images[rng.IntN(len(s.Images))]
		v := make([]float32, len(src))
		for j := range v {
			v[j] = 0.5*src[j] + 0.5*float32(rng.Float64()*255)
		}
		out[i] = v
	}
	return out
}

func foreignShare(g *Graph, isOut []bool, k int) float64 {
	var s, c float64
	for i, o := range isOut {
		if !o {
			continue
		}
		for _, j := range g.Neighbors[i][:k] {
			if isOut[j] {
				s++
			}
			c++
		}
	}
	return s / c
}
