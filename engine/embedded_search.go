package engine

import (
	"context"
	"fmt"

	"github.com/reef-ml/reef/index"
)

// Search answers a k-NN query from the space level's index. A filter is
// answered by the set of matching IIDs (filterSet, cached per dataset
// version); a set of at most selectiveFilter IIDs is scored exactly, because
// HNSW traversal wastes its work when few nodes pass.
func (s *embedded) Search(ctx context.Context, q StoreQuery) (StoreHits, error) {
	si, err := s.space(q.Dataset, q.Space)
	if err != nil {
		return StoreHits{}, err
	}
	var (
		allowed map[uint64]struct{}
		out     StoreHits
	)
	if len(q.Filter) > 0 {
		if allowed, out.Warnings, err = s.filterSet(q.Dataset, q.Level, q.Filter); err != nil {
			return StoreHits{}, err
		}
	}
	switch {
	case allowed != nil && len(allowed) <= selectiveFilter:
		out.Hits, err = s.exactOver(ctx, q, si.metric, setKeys(allowed))
	case q.Exact:
		out.Hits, err = s.exactScan(ctx, q, si.metric, allowed)
	default:
		opts := index.SearchOptions{Ef: q.Ef}
		if opts.Ef == 0 {
			s.mu.RLock()
			opts.Ef = si.info.Index.EfSearch // tuned default, if any
			s.mu.RUnlock()
		}
		if allowed != nil {
			opts.Filter = func(id uint64) bool { _, ok := allowed[id]; return ok }
		}
		out.Hits, err = si.level(q.Level).Search(ctx, q.Vector, q.K, opts)
	}
	return out, err
}

func setKeys(s map[uint64]struct{}) []uint64 {
	out := make([]uint64, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	return out
}

// exactOver scores the given IIDs exactly, reading vectors from storage.
func (s *embedded) exactOver(ctx context.Context, q StoreQuery, m index.Metric, iids []uint64) ([]index.Hit, error) {
	vecs, err := s.db.Vectors(q.Dataset, q.Space, q.Level, iids)
	if err != nil {
		return nil, err
	}
	top := newTopK(q.K)
	qn := prepareQuery(q.Vector, m)
	for i, v := range vecs {
		if v != nil {
			top.push(iids[i], distance(m, qn, v))
		}
	}
	return top.sorted(), ctx.Err()
}

// exactScan scores every stored vector of the space: the ground truth that
// approximate results are checked against.
func (s *embedded) exactScan(ctx context.Context, q StoreQuery, m index.Metric, allowed map[uint64]struct{}) ([]index.Hit, error) {
	top := newTopK(q.K)
	qn := prepareQuery(q.Vector, m)
	err := s.ScanVectors(ctx, q.Dataset, q.Space, q.Level, func(iid uint64, v []float32) error {
		if allowed != nil {
			if _, ok := allowed[iid]; !ok {
				return nil
			}
		}
		top.push(iid, distance(m, qn, v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	return top.sorted(), nil
}

var _ Store = (*embedded)(nil)
