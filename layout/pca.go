package layout

import (
	"context"
	"fmt"
	"math"
)

// PCA projects vectors onto their two leading principal components
// (centred, unscaled), found by randomised block power iteration with a
// block of 6 vectors and Rayleigh–Ritz extraction: each iteration is one
// pass over the data, O(n·d), parallel over fixed row chunks whose partial
// sums are combined in chunk order, so the result does not depend on
// Workers. It stops when the two leading Ritz values are stable to 1e-7
// (at most 100 iterations). Signs are fixed so that each axis's largest-
// magnitude loading is positive.
func PCA(ctx context.Context, vectors [][]float32, opts Options) ([][2]float32, error) {
	if len(vectors) == 0 {
		return [][2]float32{}, nil
	}
	p, err := FitPCA(ctx, vectors, opts)
	if err != nil {
		return nil, err
	}
	o, _ := opts.resolved()
	n := len(vectors)
	out := make([][2]float32, n)
	const chunks = 64
	sz := (n + chunks - 1) / chunks
	parallel(o.Workers, chunks, func(c int) {
		lo, hi := chunkRange(c, sz, n)
		for i := lo; i < hi; i++ {
			out[i] = p.Project(vectors[i])
		}
	})
	return out, nil
}

// Projection is a fitted PCA: the sample's mean and its two leading
// principal axes (zero axes when the vectors have dimension 0).
type Projection struct {
	mean []float64
	top  [2][]float64
}

// Project maps a vector (of the fitted dimension) onto the two axes.
func (p *Projection) Project(v []float32) [2]float32 {
	var s0, s1 float64
	for j, x := range v {
		xc := float64(x) - p.mean[j]
		s0 += xc * p.top[0][j]
		s1 += xc * p.top[1][j]
	}
	return [2]float32{float32(s0), float32(s1)}
}

// FitPCA finds the axes PCA projects on, so that a caller can fit them on a
// sample and project more vectors than it holds in memory.
func FitPCA(ctx context.Context, vectors [][]float32, opts Options) (*Projection, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	n := len(vectors)
	if n == 0 {
		return nil, fmt.Errorf("%w: no vectors to fit", ErrInvalidInput)
	}
	d := len(vectors[0])
	for i, v := range vectors {
		if len(v) != d {
			return nil, fmt.Errorf("%w: vector %d has dimension %d, want %d", ErrInvalidInput, i, len(v), d)
		}
		for _, x := range v {
			if x != x || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%w: vector %d is not finite", ErrInvalidInput, i)
			}
		}
	}
	if d == 0 {
		return &Projection{top: [2][]float64{{}, {}}}, nil
	}
	mean := make([]float64, d)
	for _, v := range vectors {
		for j, x := range v {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	p := min(6, d)
	r := newRNG(uint64(o.Seed), 0x9ca)
	V := make([][]float64, p) // p orthonormal columns of length d
	for c := range V {
		V[c] = make([]float64, d)
		for j := range V[c] {
			V[c][j] = r.normal()
		}
	}
	gramSchmidt(V)

	const chunks = 64
	sz := (n + chunks - 1) / chunks
	partial := make([][][]float64, chunks)
	// covTimes returns Xcᵀ Xc V / n.
	covTimes := func(V [][]float64) [][]float64 {
		parallel(o.Workers, chunks, func(c int) {
			lo, hi := chunkRange(c, sz, n)
			if partial[c] == nil {
				partial[c] = make([][]float64, p)
				for k := range p {
					partial[c][k] = make([]float64, d)
				}
			}
			acc := partial[c]
			for k := range p {
				clear(acc[k])
			}
			proj := make([]float64, p)
			for i := lo; i < hi; i++ {
				v := vectors[i]
				clear(proj)
				for j, x := range v {
					xc := float64(x) - mean[j]
					for k := range p {
						proj[k] += xc * V[k][j]
					}
				}
				for j, x := range v {
					xc := float64(x) - mean[j]
					for k := range p {
						acc[k][j] += xc * proj[k]
					}
				}
			}
		})
		out := make([][]float64, p)
		for k := range p {
			out[k] = make([]float64, d)
			for c := range chunks {
				if partial[c] == nil {
					continue
				}
				for j, x := range partial[c][k] {
					out[k][j] += x
				}
			}
			for j := range out[k] {
				out[k][j] /= float64(n)
			}
		}
		return out
	}

	const maxIter = 100
	var prev [2]float64
	var top [2][]float64
	for it := range maxIter {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		CV := covTimes(V)
		// Rayleigh–Ritz: B = Vᵀ C V, eigenvectors rotate V.
		B := make([][]float64, p)
		for a := range p {
			B[a] = make([]float64, p)
			for b := range p {
				B[a][b] = dot(V[a], CV[b])
			}
		}
		vals, vecs := jacobiEigen(B)
		for t := range 2 {
			top[t] = make([]float64, d)
			if t >= p {
				continue
			}
			for a := range p {
				for j := range d {
					top[t][j] += vecs[a][t] * V[a][j]
				}
			}
		}
		o.progress(it+1, maxIter)
		conv := it > 2
		for t := range min(2, p) {
			if math.Abs(vals[t]-prev[t]) > 1e-7*math.Max(math.Abs(vals[0]), 1e-300) {
				conv = false
			}
			prev[t] = vals[t]
		}
		if conv {
			break
		}
		V = CV
		gramSchmidt(V)
	}
	for t := range 2 {
		big := 0.0
		for _, x := range top[t] {
			if math.Abs(x) > math.Abs(big) {
				big = x
			}
		}
		if big < 0 {
			for j := range top[t] {
				top[t][j] = -top[t][j]
			}
		}
	}
	return &Projection{mean: mean, top: top}, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// gramSchmidt orthonormalises the columns in place (modified Gram–Schmidt);
// a column that becomes numerically zero is left zero.
func gramSchmidt(V [][]float64) {
	for a := range V {
		for b := range a {
			d := dot(V[a], V[b])
			for j := range V[a] {
				V[a][j] -= d * V[b][j]
			}
		}
		normalize(V[a])
	}
}

// jacobiEigen diagonalises a small symmetric matrix by cyclic Jacobi
// rotations, returning eigenvalues in descending order and the matching
// eigenvectors as columns (vecs[row][col]).
func jacobiEigen(A [][]float64) ([]float64, [][]float64) {
	p := len(A)
	a := make([][]float64, p)
	v := make([][]float64, p)
	for i := range p {
		a[i] = append([]float64(nil), A[i]...)
		v[i] = make([]float64, p)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := range p {
			for j := i + 1; j < p; j++ {
				off += a[i][j] * a[i][j]
			}
		}
		if off < 1e-30 {
			break
		}
		for i := range p {
			for j := i + 1; j < p; j++ {
				if a[i][j] == 0 {
					continue
				}
				theta := (a[j][j] - a[i][i]) / (2 * a[i][j])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range p {
					aki, akj := a[k][i], a[k][j]
					a[k][i], a[k][j] = c*aki-s*akj, s*aki+c*akj
				}
				for k := range p {
					aik, ajk := a[i][k], a[j][k]
					a[i][k], a[j][k] = c*aik-s*ajk, s*aik+c*ajk
				}
				for k := range p {
					vki, vkj := v[k][i], v[k][j]
					v[k][i], v[k][j] = c*vki-s*vkj, s*vki+c*vkj
				}
			}
		}
	}
	idx := make([]int, p)
	for i := range idx {
		idx[i] = i
	}
	// Selection sort by eigenvalue, descending (p ≤ 6).
	for i := range p {
		for j := i + 1; j < p; j++ {
			if a[idx[j]][idx[j]] > a[idx[i]][idx[i]] {
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
	}
	vals := make([]float64, p)
	vecs := make([][]float64, p)
	for r := range p {
		vecs[r] = make([]float64, p)
	}
	for c, k := range idx {
		vals[c] = a[k][k]
		for r := range p {
			vecs[r][c] = v[r][k]
		}
	}
	return vals, vecs
}
