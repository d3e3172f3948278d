package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
)

// pcaLayout projects the rows on their two principal axes. Up to
// pcaExactMax rows go to layout.PCA; beyond, the axes come from a sample and
// the rows are projected in one streaming pass (memory stays bounded).
func (e *Engine) pcaLayout(ctx context.Context, vs *viewState) ([][2]float32, error) {
	n := len(vs.iids)
	if n == 0 {
		return [][2]float32{}, nil
	}
	_, sp, err := e.space(vs.dataset, vs.space)
	if err != nil {
		return nil, err
	}
	cosine := sp.metric == index.Cosine
	prep := func(v []float32) []float32 {
		if cosine {
			return normalized(v)
		}
		return append([]float32(nil), v...)
	}
	if n < 3 {
		return make([][2]float32, n), nil
	}
	if n <= pcaExactMax {
		vecs, err := e.db.Vectors(vs.dataset, vs.space, vs.level, vs.iids)
		if err != nil {
			return nil, fromStorage(err)
		}
		for i, v := range vecs {
			vecs[i] = prep(v)
		}
		opts := layout.DefaultOptions()
		opts.Method, opts.Workers = LayoutPCA, e.workers()
		return layout.PCA(ctx, vecs, opts)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	pick := rng.Perm(n)[:pcaSample]
	slices.Sort(pick)
	sample, err := e.rowVectors(vs, pick)
	if err != nil {
		return nil, err
	}
	for i, v := range sample {
		sample[i] = prep(v)
	}
	mean, axes := principalAxes(sample, 2, 30)
	coords := make([][2]float32, n)
	i := 0
	err = e.db.ScanVectors(vs.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if i%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if i >= n || vs.iids[i] != iid {
			return fmt.Errorf("%w: rows changed during the layout", ErrUnavailable)
		}
		if cosine {
			v = normalized(v)
		}
		for d := range 2 {
			var s float64
			for j, x := range v {
				s += float64(x-mean[j]) * axes[d][j]
			}
			coords[i][d] = float32(s)
		}
		i++
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	return coords, nil
}

// principalAxes finds the top k principal axes of rows by block power
// iteration with Gram–Schmidt.
func principalAxes(rows [][]float32, k, iters int) ([]float32, [][]float64) {
	dim := len(rows[0])
	mean := make([]float32, dim)
	for _, r := range rows {
		for j, x := range r {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float32(len(rows))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	axes := make([][]float64, k)
	for a := range axes {
		axes[a] = make([]float64, dim)
		for j := range axes[a] {
			axes[a][j] = rng.NormFloat64()
		}
	}
	orth := func() {
		for a := range axes {
			for b := range a {
				var d float64
				for j := range dim {
					d += axes[a][j] * axes[b][j]
				}
				for j := range dim {
					axes[a][j] -= d * axes[b][j]
				}
			}
			var s float64
			for _, x := range axes[a] {
				s += x * x
			}
			s = math.Sqrt(s)
			if s == 0 {
				s = 1
			}
			for j := range axes[a] {
				axes[a][j] /= s
			}
		}
	}
	orth()
	proj := make([]float64, k)
	for range iters {
		next := make([][]float64, k)
		for a := range next {
			next[a] = make([]float64, dim)
		}
		for _, r := range rows {
			for a := range k {
				var s float64
				for j, x := range r {
					s += float64(x-mean[j]) * axes[a][j]
				}
				proj[a] = s
			}
			for a := range k {
				for j, x := range r {
					next[a][j] += proj[a] * float64(x-mean[j])
				}
			}
		}
		axes = next
		orth()
	}
	return mean, axes
}
