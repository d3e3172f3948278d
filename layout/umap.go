package layout

import (
	"context"
	"fmt"
)

// UMAP lays out n = len(neighbors) points in 2-D from their k-nearest-
// neighbour lists: neighbors[i] are indices in [0,n) (self excluded —
// self entries are ignored if present — nearest first), distances[i] the
// matching distances in the space's metric. Rows must pair up in length;
// they may differ in length from point to point, and an empty row leaves
// that point where init put it.
//
// init, when non-nil, gives n starting coordinates (typically PCA of the
// vectors); when nil a spectral initialisation of the fuzzy graph is used.
// Either way the start is rescaled per axis to [0,10].
//
// Errors wrap ErrInvalidInput for bad inputs and options, or are ctx.Err()
// if ctx is cancelled (checked between epochs).
func UMAP(ctx context.Context, neighbors [][]int32, distances [][]float32, init [][2]float32, opts Options) ([][2]float32, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	n := len(neighbors)
	if err := checkKNN(neighbors, distances, n); err != nil {
		return nil, err
	}
	if init != nil && len(init) != n {
		return nil, fmt.Errorf("%w: init has %d points, want %d", ErrInvalidInput, len(init), n)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return [][2]float32{}, nil
	}
	epochs := o.Epochs
	if epochs == 0 {
		epochs = 200
		if n <= 10_000 {
			epochs = 500
		}
	}
	g := fuzzyGraph(neighbors, distances)
	coords, err := prepareInit(g, init, o.Seed, o.Workers)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op := newOptimizer(g, coords, epochs, o)
	g = nil
	if err := op.run(ctx, epochs, o); err != nil {
		return nil, err
	}
	out := make([][2]float32, n)
	for i := range out {
		out[i] = [2]float32{op.cur[2*i], op.cur[2*i+1]}
	}
	return out, nil
}

// Layout dispatches on opts.Method: "pca" projects vectors; "umap" (the
// default) runs UMAP on the kNN lists, starting from the PCA projection of
// vectors when vectors is non-nil (faster convergence, globally more
// faithful) and from the spectral initialisation otherwise.
func Layout(ctx context.Context, vectors [][]float32, neighbors [][]int32, distances [][]float32, opts Options) ([][2]float32, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	if o.Method == "pca" {
		return PCA(ctx, vectors, o)
	}
	var init [][2]float32
	if vectors != nil {
		po := o
		po.Progress = nil
		if init, err = PCA(ctx, vectors, po); err != nil {
			return nil, err
		}
	}
	return UMAP(ctx, neighbors, distances, init, o)
}
