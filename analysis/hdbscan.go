package analysis

import (
	"cmp"
	"context"
	"math"
	"slices"
)

// DensityOptions tune DensityClusters.
type DensityOptions struct {
	Options
	// MinClusterSize is the smallest group that counts as a cluster; 0 means
	// 10. Must be at least 2.
	MinClusterSize int
	// MinSamples is the neighbour rank whose distance is the core distance;
	// 0 means min(graph K, MinClusterSize).
	MinSamples int
}

// DensityResult is a density-based clustering.
type DensityResult struct {
	// Labels are 0..NumClusters-1, or -1 for noise.
	Labels      []int
	NumClusters int
	// Probabilities are membership strengths in [0,1] (0 for noise): the
	// density level at which the point left its cluster over the cluster's
	// densest level.
	Probabilities []float64
	// Stability per cluster label (excess of mass).
	Stability []float64
}

type mstEdge struct {
	a, b int32
	w    float64
}

// DensityClusters is HDBSCAN on a k-NN graph (Campello, Moulavi, Sander
// 2013): core distance = distance to the MinSamples-th neighbour; every
// graph edge gets the mutual reachability weight max(core a, core b, d(a,b));
// Kruskal's algorithm with union-find gives the minimum spanning forest; the
// single-linkage hierarchy it defines is condensed with MinClusterSize, and
// clusters are chosen by excess of mass (stability), never the root. A
// point that falls out of a chosen cluster's subtree belongs to it; the
// rest is noise (-1). Zero weights (duplicates) are treated as 1e-12 times
// the largest finite weight so that densities stay finite.
func DensityClusters(ctx context.Context, g *Graph, opts DensityOptions) (*DensityResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	n := g.Len()
	mcs := opts.MinClusterSize
	if mcs == 0 {
		mcs = 10
	}
	if mcs < 2 {
		return nil, invalid("MinClusterSize %d < 2", mcs)
	}
	ms := opts.MinSamples
	if ms <= 0 {
		ms = min(g.K, mcs)
	}
	core := make([]float64, n)
	for i, ds := range g.Distances {
		if len(ds) == 0 {
			core[i] = math.Inf(1)
		} else {
			core[i] = float64(ds[min(ms, len(ds))-1])
		}
	}
	var edges []mstEdge
	for i, row := range g.Neighbors {
		for j, nb := range row {
			w := max(core[i], core[nb], float64(g.Distances[i][j]))
			a, b := int32(i), nb
			if a > b {
				a, b = b, a
			}
			edges = append(edges, mstEdge{a, b, w})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(edges, func(x, y mstEdge) int {
		if c := cmp.Compare(x.w, y.w); c != 0 {
			return c
		}
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.b, y.b)
	})
	// Kruskal; the dendrogram has leaves 0..n-1 and internal nodes n.. in
	// merge order. Components left apart are joined at infinite weight.
	uf := newUnionFind(n)
	top := make([]int32, n) // dendrogram node of each union-find root
	for i := range top {
		top[i] = int32(i)
	}
	left, right := make([]int32, 0, n), make([]int32, 0, n)
	weight := make([]float64, 0, n)
	merge := func(a, b int32, w float64) {
		ra, rb := uf.find(a), uf.find(b)
		node := int32(n + len(left))
		left, right, weight = append(left, top[ra]), append(right, top[rb]), append(weight, w)
		uf.union(ra, rb)
		top[uf.find(ra)] = node
	}
	maxW := 0.0
	for _, e := range edges {
		if uf.find(e.a) != uf.find(e.b) && !math.IsInf(e.w, 1) {
			merge(e.a, e.b, e.w)
			maxW = max(maxW, e.w)
		}
	}
	for i := 1; i < n; i++ {
		if uf.find(0) != uf.find(int32(i)) {
			merge(0, int32(i), math.Inf(1))
		}
	}
	if opts.Progress != nil {
		opts.Progress(1, 2)
	}
	res := condense(n, left, right, weight, mcs, max(maxW, 1)*1e-12)
	if opts.Progress != nil {
		opts.Progress(2, 2)
	}
	return res, nil
}

// condense builds the condensed tree top-down, computes stabilities,
// selects clusters by excess of mass and labels points.
func condense(n int, left, right []int32, weight []float64, mcs int, eps float64) *DensityResult {
	res := &DensityResult{Labels: make([]int, n), Probabilities: make([]float64, n)}
	for i := range res.Labels {
		res.Labels[i] = -1
	}
	if n < 2 {
		return res
	}
	size := make([]int32, n+len(left))
	for i := range n {
		size[i] = 1
	}
	for m := range left {
		size[n+m] = size[left[m]] + size[right[m]]
	}
	lambda := func(node int32) float64 { return 1 / max(weight[int(node)-n], eps) }
	var (
		parent, birthOf = []int{-1}, []float64{0}
		stab            = []float64{0}
		pointCl         = make([]int, n)
		pointLam        = make([]float64, n)
	)
	// fallOut assigns every leaf under node to cluster c at level lam.
	var leafStack []int32
	fallOut := func(node int32, c int, lam float64) {
		leafStack = append(leafStack[:0], node)
		for len(leafStack) > 0 {
			x := leafStack[len(leafStack)-1]
			leafStack = leafStack[:len(leafStack)-1]
			if int(x) < n {
				pointCl[x], pointLam[x] = c, lam
				stab[c] += lam - birthOf[c]
				continue
			}
			leafStack = append(leafStack, left[int(x)-n], right[int(x)-n])
		}
	}
	type item struct {
		node int32
		c    int
	}
	stack := []item{{int32(n + len(left) - 1), 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l, r := left[int(it.node)-n], right[int(it.node)-n]
		lam := lambda(it.node)
		if math.IsInf(weight[int(it.node)-n], 1) {
			lam = 0
		}
		bigL, bigR := int(size[l]) >= mcs, int(size[r]) >= mcs
		switch {
		case bigL && bigR:
			stab[it.c] += float64(size[l]+size[r]) * (lam - birthOf[it.c])
			for _, ch := range []int32{l, r} {
				parent, birthOf, stab = append(parent, it.c), append(birthOf, lam), append(stab, 0)
				stack = append(stack, item{ch, len(parent) - 1})
			}
		case !bigL && !bigR:
			fallOut(l, it.c, lam)
			fallOut(r, it.c, lam)
		default:
			small, big := l, r
			if bigL {
				small, big = r, l
			}
			fallOut(small, it.c, lam)
			stack = append(stack, item{big, it.c})
		}
	}
	// Excess-of-mass selection, children before parents (ids grow downward).
	nc := len(parent)
	best := slices.Clone(stab)
	childSum := make([]float64, nc)
	hasChild := make([]bool, nc)
	selected := make([]bool, nc)
	for c := nc - 1; c >= 1; c-- {
		if !hasChild[c] || stab[c] >= childSum[c] {
			selected[c] = true
			best[c] = stab[c]
		} else {
			best[c] = childSum[c]
		}
		childSum[parent[c]] += best[c]
		hasChild[parent[c]] = true
	}
	// A selected ancestor wins over its descendants.
	owner := make([]int, nc)
	owner[0] = -1
	label := make([]int, nc)
	for c := 1; c < nc; c++ {
		owner[c] = owner[parent[c]]
		if owner[c] < 0 && selected[c] {
			owner[c] = c
			label[c] = res.NumClusters
			res.NumClusters++
			res.Stability = append(res.Stability, stab[c])
		}
	}
	maxLam := make([]float64, res.NumClusters)
	for p := range n {
		if o := owner[pointCl[p]]; o >= 0 {
			res.Labels[p] = label[o]
			maxLam[label[o]] = max(maxLam[label[o]], pointLam[p])
		}
	}
	for p, l := range res.Labels {
		if l >= 0 && maxLam[l] > 0 {
			res.Probabilities[p] = min(1, pointLam[p]/maxLam[l])
		}
	}
	return res
}
