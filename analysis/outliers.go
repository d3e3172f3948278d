package analysis

import (
	"context"
	"math"
	"slices"
	"sort"
)

// OutlierMethod selects the outlier score.
type OutlierMethod uint8

// Outlier scores; larger is more outlying for all of them.
const (
	// MeanDistance is the mean distance to the K nearest neighbours.
	MeanDistance OutlierMethod = iota
	// KthDistance is the distance to the K-th nearest neighbour.
	KthDistance
	// LOF is the local outlier factor (Breunig et al. 2000): the mean local
	// reachability density of the neighbours over the point's own. About 1
	// inside a cluster of even density, well above 1 for outliers.
	LOF
)

// OutlierOptions tune Outliers and OutliersAgainst.
type OutlierOptions struct {
	Options
	// K is the number of neighbours used; 0 means the graph's K. Rows with
	// fewer neighbours use what they have; a point with none scores +Inf.
	K      int
	Method OutlierMethod
}

// OutlierScore is the result for one point.
type OutlierScore struct {
	Score float64
	// Percentile is the percentage (0..100) of the reference scores below
	// Score, ties counting half. In self mode the reference is the data set's
	// own scores; in reference mode, A's leave-one-out scores.
	Percentile float64
	// Neighbors are the K nearest neighbours used (indices into the graph's
	// points; in reference mode, into A).
	Neighbors []int32
}

// Outliers scores every point of g against its own neighbours. Because the
// graph excludes each point from its own neighbour list, the scores are
// leave-one-out scores, and percentiles rank each point in the data set.
func Outliers(ctx context.Context, g *Graph, opts OutlierOptions) ([]OutlierScore, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	k := opts.K
	if k <= 0 {
		k = g.K
	}
	scores, err := graphScores(ctx, g, k, opts)
	if err != nil {
		return nil, err
	}
	null := sortedCopy(scores)
	out := make([]OutlierScore, len(scores))
	for i, s := range scores {
		nb := g.Neighbors[i][:min(k, len(g.Neighbors[i]))]
		out[i] = OutlierScore{Score: s, Percentile: percentileOf(null, s), Neighbors: append([]int32(nil), nb...)}
	}
	return out, nil
}

// OutliersAgainst scores query points (set B) against a reference set A.
// ref is A's k-NN graph; queries[i] are query i's nearest neighbours in A,
// nearest first (as an index over A returns them). Scores are computed exactly
// as in Outliers, and each percentile ranks a query's score among A's own
// leave-one-out scores, which are the null distribution of a point drawn from
// A. A percentile of 99.9 thus means only 0.1% of A's points are as isolated
// from the rest of A as this query is from A.
func OutliersAgainst(ctx context.Context, ref *Graph, queries [][]Neighbor, opts OutlierOptions) ([]OutlierScore, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	k := opts.K
	if k <= 0 {
		k = ref.K
	}
	nA := ref.Len()
	refScores, err := graphScores(ctx, ref, k, opts)
	if err != nil {
		return nil, err
	}
	null := sortedCopy(refScores)
	var kdist, lrd []float64
	if opts.Method == LOF {
		kdist, lrd = lofParts(ref, k)
	}
	out := make([]OutlierScore, len(queries))
	err = parallelFor(ctx, len(queries), opts.Options, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			q := queries[i]
			q = q[:min(k, len(q))]
			ids := make([]int32, len(q))
			ds := make([]float32, len(q))
			for j, nb := range q {
				if nb.Index < 0 || int(nb.Index) >= nA || math.IsNaN(float64(nb.Distance)) || (j > 0 && nb.Distance < q[j-1].Distance) {
					return invalid("query %d: neighbour %d invalid, out of range or unsorted", i, j)
				}
				ids[j], ds[j] = nb.Index, nb.Distance
			}
			var s float64
			if opts.Method == LOF {
				s = lofScore(ids, ds, kdist, lrd)
			} else {
				s = distScore(ds, opts.Method)
			}
			out[i] = OutlierScore{Score: s, Percentile: percentileOf(null, s), Neighbors: ids}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// graphScores computes each point's score from its first k graph neighbours.
func graphScores(ctx context.Context, g *Graph, k int, opts OutlierOptions) ([]float64, error) {
	n := g.Len()
	scores := make([]float64, n)
	var kdist, lrd []float64
	if opts.Method == LOF {
		kdist, lrd = lofParts(g, k)
	} else if opts.Method != MeanDistance && opts.Method != KthDistance {
		return nil, invalid("unknown outlier method %d", opts.Method)
	}
	err := parallelFor(ctx, n, opts.Options, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			m := min(k, len(g.Neighbors[i]))
			if opts.Method == LOF {
				scores[i] = lofScore(g.Neighbors[i][:m], g.Distances[i][:m], kdist, lrd)
			} else {
				scores[i] = distScore(g.Distances[i][:m], opts.Method)
			}
		}
		return nil
	})
	return scores, err
}

func distScore(ds []float32, m OutlierMethod) float64 {
	if len(ds) == 0 {
		return math.Inf(1)
	}
	if m == KthDistance {
		return float64(ds[len(ds)-1])
	}
	var s float64
	for _, d := range ds {
		s += float64(d)
	}
	return s / float64(len(ds))
}

// lofParts returns each point's k-distance and local reachability density.
// A density is capped at 1/lofEps so duplicates do not make it infinite.
func lofParts(g *Graph, k int) (kdist, lrd []float64) {
	n := g.Len()
	kdist = make([]float64, n)
	for i, ds := range g.Distances {
		m := min(k, len(ds))
		if m == 0 {
			kdist[i] = math.Inf(1)
		} else {
			kdist[i] = float64(ds[m-1])
		}
	}
	lrd = make([]float64, n)
	for i := range n {
		m := min(k, len(g.Neighbors[i]))
		lrd[i] = reachDensity(g.Neighbors[i][:m], g.Distances[i][:m], kdist)
	}
	return kdist, lrd
}

const lofEps = 1e-12

func reachDensity(ids []int32, ds []float32, kdist []float64) float64 {
	if len(ids) == 0 {
		return 0
	}
	var s float64
	for j, o := range ids {
		s += max(kdist[o], float64(ds[j]))
	}
	return 1 / max(s/float64(len(ids)), lofEps)
}

func lofScore(ids []int32, ds []float32, kdist, lrd []float64) float64 {
	if len(ids) == 0 {
		return math.Inf(1)
	}
	own := reachDensity(ids, ds, kdist)
	var s float64
	for _, o := range ids {
		s += lrd[o]
	}
	return s / float64(len(ids)) / own
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// percentileOf is 100 × (#below + #equal/2) / len(sorted).
func percentileOf(sorted []float64, s float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	lo := sort.SearchFloat64s(sorted, s)
	hi := lo + sort.Search(len(sorted)-lo, func(i int) bool { return sorted[lo+i] > s })
	return 100 * (float64(lo) + float64(hi-lo)/2) / float64(len(sorted))
}
