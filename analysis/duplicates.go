package analysis

import (
	"cmp"
	"math"
	"slices"
)

// DuplicateOptions tune Duplicates. With both Threshold and Relative zero,
// only exact duplicates (distance 0) are reported. Meant for L2 and Cosine
// graphs; Dot "distances" are not distances.
type DuplicateOptions struct {
	// Threshold is an absolute distance in the graph's units: pairs with
	// distance <= Threshold are duplicates.
	Threshold float64
	// Relative, when > 0, overrides Threshold with Relative × the median
	// nearest-neighbour distance of the graph, which adapts to the scale of
	// the embedding (e.g. 0.1 for near-copies).
	Relative float64
	// IsB, when set, switches to cross-set mode: only pairs with one point
	// in A and the other in B (IsB true) are reported, e.g. train/test
	// leakage, and groups are built from those pairs only.
	IsB []bool
}

// DuplicatePair is one pair, A < B, with its distance.
type DuplicatePair struct {
	A, B     int32
	Distance float32
}

// DuplicateResult lists near-duplicate pairs and their groups.
type DuplicateResult struct {
	// Threshold is the absolute threshold used.
	Threshold float64
	// Pairs sorted by distance then indices, each once.
	Pairs []DuplicatePair
	// Groups are the connected components of the pairs (transitive
	// closure: a~b and b~c put a, b, c together), largest first, members
	// ascending.
	Groups [][]int32
}

// Duplicates finds pairs of points within the threshold among the graph's
// edges. Only pairs that appear in some point's neighbour list are seen: a
// group larger than K+1 exact copies is still found whole through union-find
// as long as the copies' lists overlap, but a pair is missed if neither
// point lists the other (K too small, or an approximate graph that missed
// it).
func Duplicates(g *Graph, opts DuplicateOptions) (*DuplicateResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := g.Len()
	if opts.IsB != nil && len(opts.IsB) != n {
		return nil, invalid("IsB has %d entries for %d points", len(opts.IsB), n)
	}
	if opts.Threshold < 0 || opts.Relative < 0 || math.IsNaN(opts.Threshold) || math.IsNaN(opts.Relative) {
		return nil, invalid("negative or NaN threshold")
	}
	thr := opts.Threshold
	if opts.Relative > 0 {
		thr = opts.Relative * MedianNNDistance(g)
	}
	res := &DuplicateResult{Threshold: thr}
	type key struct{ a, b int32 }
	seen := map[key]bool{}
	for i, row := range g.Neighbors {
		for j, nb := range row {
			d := g.Distances[i][j]
			if float64(d) > thr {
				break // rows are sorted
			}
			if opts.IsB != nil && opts.IsB[i] == opts.IsB[nb] {
				continue
			}
			a, b := int32(i), nb
			if a > b {
				a, b = b, a
			}
			if seen[key{a, b}] {
				continue
			}
			seen[key{a, b}] = true
			res.Pairs = append(res.Pairs, DuplicatePair{a, b, d})
		}
	}
	slices.SortFunc(res.Pairs, func(x, y DuplicatePair) int {
		if c := cmp.Compare(x.Distance, y.Distance); c != 0 {
			return c
		}
		if c := cmp.Compare(x.A, y.A); c != 0 {
			return c
		}
		return cmp.Compare(x.B, y.B)
	})
	uf := newUnionFind(n)
	for _, p := range res.Pairs {
		uf.union(p.A, p.B)
	}
	byRoot := map[int32][]int32{}
	for _, p := range res.Pairs {
		for _, x := range [2]int32{p.A, p.B} {
			r := uf.find(x)
			byRoot[r] = append(byRoot[r], x)
		}
	}
	for _, ms := range byRoot {
		slices.Sort(ms)
		res.Groups = append(res.Groups, slices.Compact(ms))
	}
	slices.SortFunc(res.Groups, func(x, y []int32) int {
		if c := cmp.Compare(len(y), len(x)); c != 0 {
			return c
		}
		return cmp.Compare(x[0], y[0])
	})
	return res, nil
}

// MedianNNDistance is the median distance from each point to its nearest
// neighbour (points without neighbours are skipped; 0 if none has one).
func MedianNNDistance(g *Graph) float64 {
	var d []float64
	for _, ds := range g.Distances {
		if len(ds) > 0 {
			d = append(d, float64(ds[0]))
		}
	}
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	m := len(d) / 2
	if len(d)%2 == 1 {
		return d[m]
	}
	return (d[m-1] + d[m]) / 2
}
