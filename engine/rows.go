package engine

import (
	"context"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// Rows is one space level's vectors in a fixed row order (ascending IID), the
// frame every analysis (graph, outliers, clusters, layout) indexes into.
type Rows struct {
	Dataset string
	Space   string
	Level   storage.Level
	Metric  index.Metric
	Seq     uint64 // last vector change in this space level when read
	IIDs    []uint64
	Vectors [][]float32
}

// RowOf maps IIDs to row numbers.
func (r *Rows) RowOf() map[uint64]int32 {
	m := make(map[uint64]int32, len(r.IIDs))
	for i, id := range r.IIDs {
		m[id] = int32(i)
	}
	return m
}

// GraphView is the all-points k-NN graph of a space level, over Rows.
type GraphView struct {
	*Rows
	Graph *analysis.Graph
}

// loadRows reads a space level's vectors from storage in IID order.
func (e *Engine) loadRows(ctx context.Context, dataset, space string, level storage.Level) (*Rows, error) {
	_, sp, err := e.space(dataset, space)
	if err != nil {
		return nil, err
	}
	info, err := e.store.Dataset(ctx, dataset)
	if err != nil {
		return nil, fromStorage(err)
	}
	r := &Rows{Dataset: dataset, Space: space, Level: level, Metric: sp.metric, Seq: info.VectorSeq(space, level)}
	err = e.store.ScanVectors(ctx, dataset, space, level, func(iid uint64, v []float32) error {
		r.IIDs = append(r.IIDs, iid)
		r.Vectors = append(r.Vectors, append([]float32(nil), v...))
		return nil
	})
	if err != nil {
		return nil, fromStorage(err)
	}
	return r, nil
}
