package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/reef-ml/reef/index"
)

// MaxTuneEf bounds Tune's search.
const MaxTuneEf = 4096

// ErrTargetNotReached is returned by Tune when even MaxTuneEf misses the
// target; the ef and recall returned are those of MaxTuneEf.
var ErrTargetNotReached = errors.New("bench: target recall not reached")

// Tune returns the smallest ef at which idx reaches target mean recall@k on
// queries (truth[i] lists query i's exact neighbours, nearest first). It
// doubles ef from k until the target is met, then binary-searches between
// the last miss and the first hit, so it assumes recall rises with ef
// (true of HNSW up to noise; a non-monotone dip can make it settle on a
// slightly larger ef than strictly necessary, never on one that misses).
func Tune(ctx context.Context, idx index.Index, queries [][]float32, truth [][]uint64, k int, target float64) (ef int, recall float64, err error) {
	if k <= 0 || len(queries) == 0 || len(truth) != len(queries) {
		return 0, 0, errors.New("bench: Tune needs k > 0 and one truth list per query")
	}
	if target <= 0 || target > 1 {
		return 0, 0, fmt.Errorf("bench: target recall %v not in (0, 1]", target)
	}
	measured := map[int]float64{}
	eval := func(ef int) (float64, error) {
		if r, ok := measured[ef]; ok {
			return r, nil
		}
		got := make([][]uint64, len(queries))
		for i, q := range queries {
			hits, err := idx.Search(ctx, q, k, index.SearchOptions{Ef: ef})
			if err != nil {
				return 0, err
			}
			got[i] = hitIDs(hits, k, nil)
		}
		r := meanRecall(got, truth, k)
		measured[ef] = r
		return r, nil
	}
	lo, hi := 0, k // lo misses (0 = nothing measured), hi is the candidate
	for {
		r, err := eval(hi)
		if err != nil {
			return 0, 0, err
		}
		if r >= target {
			break
		}
		if hi >= MaxTuneEf {
			return hi, r, ErrTargetNotReached
		}
		lo, hi = hi, min(2*hi, MaxTuneEf)
	}
	if lo == 0 {
		// The first probe (ef=k) already hit; ef below k is raised to k by
		// every backend, so k is the answer.
		return hi, measured[hi], nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		r, err := eval(mid)
		if err != nil {
			return 0, 0, err
		}
		if r >= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, measured[hi], nil
}
