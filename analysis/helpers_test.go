package analysis

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/reef-ml/reef/fashionmnist"
	"github.com/reef-ml/reef/index"
)

// heavy reports whether full-size checks are enabled (REEF_HEAVY=1).
func heavy() bool { return os.Getenv("REEF_HEAVY") == "1" }

func needHeavy(t testing.TB) {
	t.Helper()
	if !heavy() {
		t.Skip("set REEF_HEAVY=1 for full-size runs")
	}
}

var (
	fmOnce  sync.Map // split -> *fmEntry
	bgCtx   = context.Background()
	workers = Options{}
)

type fmEntry struct {
	once sync.Once
	set  *fashionmnist.Set
	err  error
}

// fashion loads a Fashion-MNIST split once per test binary, skipping when
// the data set is not installed.
func fashion(t testing.TB, split string) *fashionmnist.Set {
	t.Helper()
	if !fashionmnist.Available(fashionmnist.DefaultDir) {
		t.Skip("Fashion-MNIST not installed")
	}
	e, _ := fmOnce.LoadOrStore(split, &fmEntry{})
	ent := e.(*fmEntry)
	ent.once.Do(func() { ent.set, ent.err = fashionmnist.Load(fashionmnist.DefaultDir, split) })
	if ent.err != nil {
		t.Fatal(ent.err)
	}
	return ent.set
}

// subset returns the first n images and their labels.
func subset(s *fashionmnist.Set, n int) ([][]float32, []int) {
	n = min(n, len(s.Images))
	labels := make([]int, n)
	for i := range labels {
		labels[i] = int(s.Labels[i])
	}
	return s.Images[:n], labels
}

// naiveKNN is an independent reference: full sort of all distances.
func naiveKNN(vs [][]float32, m index.Metric, k int) *Graph {
	dist := func(a, b []float32) float64 {
		var dot, na, nb, sq float64
		for i := range a {
			x, y := float64(a[i]), float64(b[i])
			dot += x * y
			na += x * x
			nb += y * y
			sq += (x - y) * (x - y)
		}
		switch m {
		case index.Cosine:
			return 1 - dot/math.Sqrt(na*nb)
		case index.Dot:
			return -dot
		}
		return math.Sqrt(sq)
	}
	g := &Graph{K: k, Neighbors: make([][]int32, len(vs)), Distances: make([][]float32, len(vs))}
	for i := range vs {
		type nd struct {
			j int
			d float64
		}
		var all []nd
		for j := range vs {
			if j != i {
				all = append(all, nd{j, dist(vs[i], vs[j])})
			}
		}
		slices.SortStableFunc(all, func(a, b nd) int { return cmp.Compare(a.d, b.d) })
		for _, x := range all[:min(k, len(all))] {
			g.Neighbors[i] = append(g.Neighbors[i], int32(x.j))
			g.Distances[i] = append(g.Distances[i], float32(x.d))
		}
	}
	return g
}

// blobs draws n points around each of the centres with standard deviation sd.
func blobs(rng *rand.Rand, centres [][]float32, n int, sd float64) ([][]float32, []int) {
	var vs [][]float32
	var labels []int
	for c, ctr := range centres {
		for range n {
			v := make([]float32, len(ctr))
			for t := range v {
				v[t] = ctr[t] + float32(rng.NormFloat64()*sd)
			}
			vs = append(vs, v)
			labels = append(labels, c)
		}
	}
	return vs, labels
}

func gaussian(rng *rand.Rand, n, d int, shift float32) [][]float32 {
	vs := make([][]float32, n)
	for i := range vs {
		vs[i] = make([]float32, d)
		for t := range vs[i] {
			vs[i][t] = float32(rng.NormFloat64())
		}
		vs[i][0] += shift
	}
	return vs
}

func mustGraph(t testing.TB, vs [][]float32, m index.Metric, k int) *Graph {
	t.Helper()
	g, err := ExactGraph(bgCtx, vs, m, k, workers)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// invert maps pixel p to 255-p: a realistic "wrong preprocessing" outlier.
func invert(img []float32) []float32 {
	out := make([]float32, len(img))
	for i, p := range img {
		out[i] = 255 - p
	}
	return out
}

// rotate90 rotates a 28×28 image a quarter turn clockwise.
func rotate90(img []float32) []float32 {
	out := make([]float32, len(img))
	for r := range 28 {
		for c := range 28 {
			out[c*28+(27-r)] = img[r*28+c]
		}
	}
	return out
}

// pcaModel is a principal-component projection used by heavy tests to make
// exact 70k-point kNN affordable; it is a test helper, not part of the package.
type pcaModel struct {
	Mean  []float64
	Comps [][]float64
}

// fitPCA estimates the top dims principal components from at most 10000
// evenly spaced samples by block power iteration with Gram-Schmidt.
func fitPCA(vs [][]float32, dims int, seed uint64) *pcaModel {
	d := len(vs[0])
	mean := make([]float64, d)
	for _, v := range vs {
		for t, x := range v {
			mean[t] += float64(x)
		}
	}
	for t := range mean {
		mean[t] /= float64(len(vs))
	}
	step := max(1, len(vs)/10000)
	cov := make([]float64, d*d)
	row := make([]float64, d)
	for i := 0; i < len(vs); i += step {
		for t := range row {
			row[t] = float64(vs[i][t]) - mean[t]
		}
		for a := range d {
			if row[a] == 0 {
				continue
			}
			ra := row[a]
			c := cov[a*d : (a+1)*d]
			for b := range d {
				c[b] += ra * row[b]
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	q := make([][]float64, dims)
	for j := range q {
		q[j] = make([]float64, d)
		for t := range q[j] {
			q[j][t] = rng.NormFloat64()
		}
	}
	for range 60 {
		for j := range q {
			z := make([]float64, d)
			for a := range d {
				z[a] = dot64(cov[a*d:(a+1)*d], q[j])
			}
			q[j] = z
		}
		for j := range q {
			for i := range j {
				p := dot64(q[j], q[i])
				for t := range q[j] {
					q[j][t] -= p * q[i][t]
				}
			}
			nrm := math.Sqrt(dot64(q[j], q[j]))
			for t := range q[j] {
				q[j][t] /= nrm
			}
		}
	}
	return &pcaModel{Mean: mean, Comps: q}
}

func (m *pcaModel) project(vs [][]float32) [][]float32 {
	out := make([][]float32, len(vs))
	_ = parallelFor(bgCtx, len(vs), workers, func(lo, hi int) error {
		row := make([]float64, len(m.Mean))
		for i := lo; i < hi; i++ {
			for t := range row {
				row[t] = float64(vs[i][t]) - m.Mean[t]
			}
			o := make([]float32, len(m.Comps))
			for j, c := range m.Comps {
				o[j] = float32(dot64(row, c))
			}
			out[i] = o
		}
		return nil
	})
	return out
}

// pool2 averages 2×2 pixel blocks of 28×28 images (784 → 196 dims) to keep
// normal-mode brute-force tests fast.
func pool2(imgs [][]float32) [][]float32 {
	out := make([][]float32, len(imgs))
	for i, img := range imgs {
		o := make([]float32, 196)
		for r := range 28 {
			for c := range 28 {
				o[(r/2)*14+c/2] += img[r*28+c] / 4
			}
		}
		out[i] = o
	}
	return out
}
