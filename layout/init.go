package layout

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// rng is SplitMix64: tiny, fast, and seedable per (seed, vertex, epoch) so
// results do not depend on how work is split among goroutines.
type rng struct{ s uint64 }

func newRNG(parts ...uint64) rng {
	r := rng{0x9E3779B97F4A7C15}
	for _, p := range parts {
		r.s ^= p
		r.s = r.next()
	}
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0,n) (Lemire's multiply-shift; the
// tiny bias is irrelevant here).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// float returns a uniform float64 in [0,1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// normal returns a standard normal deviate (Box–Muller).
func (r *rng) normal() float64 {
	u := 1 - r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

// parallel runs fn(c) for c in [0,chunks) on up to workers goroutines.
// Callers make fn's effect independent of which goroutine runs it.
func parallel(workers, chunks int, fn func(c int)) {
	workers = max(1, min(workers, chunks))
	if workers == 1 {
		for c := range chunks {
			fn(c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				fn(c)
			}
		})
	}
	wg.Wait()
}

// chunkRange splits [0,n) into chunks of size sz.
func chunkRange(c, sz, n int) (int, int) { return c * sz, min(n, (c+1)*sz) }

// spectralInit approximates the two leading non-trivial eigenvectors of the
// normalised adjacency D^-½ W D^-½ (equivalently the smallest of the
// normalised Laplacian, as UMAP's spectral initialisation) by a fixed number
// of block power iterations on (I + D^-½ W D^-½)/2 with the trivial
// eigenvector √d deflated. Each iteration is O(edges). On large graphs the
// iteration does not fully converge; the result is then a smooth
// low-frequency embedding, which is all an SGD starting point needs.
func spectralInit(g *graph, seed int64, workers int, iters int) [][2]float64 {
	n := g.n
	deg := make([]float64, n)
	for i := range n {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			deg[i] += float64(g.w[e])
		}
	}
	isq := make([]float64, n)
	triv := make([]float64, n) // √d, normalised
	for i, d := range deg {
		if d > 0 {
			isq[i] = 1 / math.Sqrt(d)
		}
		triv[i] = math.Sqrt(d)
	}
	normalize(triv)
	r := newRNG(uint64(seed), 0x5bec)
	v := [2][]float64{make([]float64, n), make([]float64, n)}
	for c := range 2 {
		for i := range n {
			v[c][i] = r.normal()
		}
	}
	orth := func() {
		for c := range 2 {
			sub(v[c], triv)
			if c == 1 {
				sub(v[1], v[0])
			}
			normalize(v[c])
		}
	}
	orth()
	tmp := [2][]float64{make([]float64, n), make([]float64, n)}
	const sz = 4096
	for range iters {
		parallel(workers, (n+sz-1)/sz, func(c int) {
			lo, hi := chunkRange(c, sz, n)
			for i := lo; i < hi; i++ {
				var s0, s1 float64
				for e := g.start[i]; e < g.start[i+1]; e++ {
					j := g.col[e]
					w := float64(g.w[e]) * isq[j]
					s0 += w * v[0][j]
					s1 += w * v[1][j]
				}
				tmp[0][i] = 0.5 * (v[0][i] + isq[i]*s0)
				tmp[1][i] = 0.5 * (v[1][i] + isq[i]*s1)
			}
		})
		v, tmp = tmp, v
		orth()
	}
	out := make([][2]float64, n)
	for i := range n {
		out[i] = [2]float64{v[0][i], v[1][i]}
	}
	return out
}

// sub removes from x its component along the unit vector u.
func sub(x, u []float64) {
	d := 0.0
	for i := range x {
		d += x[i] * u[i]
	}
	for i := range x {
		x[i] -= d * u[i]
	}
}

func normalize(x []float64) {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	if s = math.Sqrt(s); s > 0 {
		for i := range x {
			x[i] /= s
		}
	}
}

// prepareInit returns starting coordinates scaled per axis to [0,10] (as
// the reference does before SGD) plus tiny deterministic noise so that
// coincident starting points can separate.
func prepareInit(g *graph, init [][2]float32, seed int64, workers int) ([]float32, error) {
	n := g.n
	var raw [][2]float64
	if init != nil {
		if len(init) != n {
			return nil, fmt.Errorf("%w: init has %d points, want %d", ErrInvalidInput, len(init), n)
		}
		raw = make([][2]float64, n)
		for i, p := range init {
			for c := range 2 {
				if f := float64(p[c]); math.IsNaN(f) || math.IsInf(f, 0) {
					return nil, fmt.Errorf("%w: init point %d is not finite", ErrInvalidInput, i)
				}
				raw[i][c] = float64(p[c])
			}
		}
	} else {
		raw = spectralInit(g, seed, workers, 100)
	}
	r := newRNG(uint64(seed), 0x1417)
	out := make([]float32, 2*n)
	for c := range 2 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range n {
			lo, hi = min(lo, raw[i][c]), max(hi, raw[i][c])
		}
		scale := 0.0
		if hi > lo {
			scale = 10 / (hi - lo)
		}
		for i := range n {
			x := (raw[i][c] - lo) * scale
			if scale == 0 { // degenerate axis: random spread
				x = 10 * r.float()
			}
			out[2*i+c] = float32(x + 1e-4*r.normal())
		}
	}
	return out, nil
}
