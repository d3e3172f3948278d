package view

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/layout"
)

// pcaLayout projects the rows on their two principal axes. Up to
// pcaExactMax rows go to layout.PCA; beyond, the axes are fitted on a sample
// (layout.FitPCA) and the rows are projected in one streaming pass, so
// memory stays bounded.
func (e *Viewer) pcaLayout(ctx context.Context, vs *viewState) ([][2]float32, error) {
	n := len(vs.iids)
	if n == 0 {
		return [][2]float32{}, nil
	}
	sh, err := e.eng.Space(vs.dataset, vs.space)
	if err != nil {
		return nil, err
	}
	cosine := sh.Metric == index.Cosine
	prep := func(v []float32) []float32 {
		if cosine {
			return engine.Normalized(v)
		}
		return append([]float32(nil), v...)
	}
	if n < 3 {
		return make([][2]float32, n), nil
	}
	opts := layout.DefaultOptions()
	opts.Method, opts.Workers = LayoutPCA, e.eng.Workers()
	if n <= pcaExactMax {
		vecs, err := e.eng.DB().Vectors(vs.dataset, vs.space, vs.level, vs.iids)
		if err != nil {
			return nil, engine.FromStorage(err)
		}
		for i, v := range vecs {
			vecs[i] = prep(v)
		}
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
	proj, err := layout.FitPCA(ctx, sample, opts)
	if err != nil {
		return nil, err
	}
	coords := make([][2]float32, n)
	i := 0
	err = e.eng.DB().ScanVectors(vs.dataset, vs.space, vs.level, func(iid uint64, v []float32) error {
		if i%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if i >= n || vs.iids[i] != iid {
			return fmt.Errorf("%w: rows changed during the layout", engine.ErrUnavailable)
		}
		if cosine {
			v = engine.Normalized(v)
		}
		coords[i] = proj.Project(v)
		i++
		return nil
	})
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	return coords, nil
}
