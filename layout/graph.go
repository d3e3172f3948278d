package layout

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// graph is a symmetric weighted graph in CSR form: the neighbours of i are
// col[start[i]:start[i+1]], sorted ascending, with weights w.
type graph struct {
	n     int
	start []int
	col   []int32
	w     []float32
}

// checkKNN validates kNN lists: paired rows of equal length, indices in
// [0,n), finite non-negative distances. Rows may differ in length (a point
// with fewer neighbours, or none, is allowed).
func checkKNN(neighbors [][]int32, distances [][]float32, n int) error {
	if len(neighbors) != n || len(distances) != n {
		return fmt.Errorf("%w: %d neighbour rows and %d distance rows for %d points", ErrInvalidInput, len(neighbors), len(distances), n)
	}
	for i, row := range neighbors {
		if len(row) != len(distances[i]) {
			return fmt.Errorf("%w: row %d has %d neighbours but %d distances", ErrInvalidInput, i, len(row), len(distances[i]))
		}
		for j, nb := range row {
			if nb < 0 || int(nb) >= n {
				return fmt.Errorf("%w: row %d neighbour %d is %d, out of range [0,%d)", ErrInvalidInput, i, j, nb, n)
			}
			d := distances[i][j]
			if d != d || math.IsInf(float64(d), 0) || d < 0 {
				return fmt.Errorf("%w: row %d distance %d is %v (want finite, ≥ 0)", ErrInvalidInput, i, j, d)
			}
		}
	}
	return nil
}

// smoothKNN computes, for one row of distances, rho (distance to the nearest
// neighbour at positive distance) and sigma such that
// Σ exp(-max(0, d-rho)/sigma) = log2(k), by bisection, as in UMAP §3.1.
// Self entries must already be excluded by the caller.
func smoothKNN(dist []float32, skip func(j int) bool) (rho, sigma float64) {
	k := 0
	rho = math.Inf(1)
	mean := 0.0
	for j, d := range dist {
		if skip != nil && skip(j) {
			continue
		}
		k++
		mean += float64(d)
		if d > 0 && float64(d) < rho {
			rho = float64(d)
		}
	}
	if k == 0 {
		return 0, 1
	}
	mean /= float64(k)
	if math.IsInf(rho, 1) {
		rho = 0 // all neighbours coincide with the point
	}
	target := math.Log2(float64(k))
	if k == 1 {
		target = 1 // log2(1)=0 is unreachable; any sigma gives weight 1
	}
	lo, hi, mid := 0.0, math.Inf(1), 1.0
	for range 64 {
		s := 0.0
		for j, d := range dist {
			if skip != nil && skip(j) {
				continue
			}
			if r := float64(d) - rho; r > 0 {
				s += math.Exp(-r / mid)
			} else {
				s++
			}
		}
		if math.Abs(s-target) < 1e-5 {
			break
		}
		if s > target {
			hi = mid
			mid = (lo + hi) / 2
		} else {
			lo = mid
			if math.IsInf(hi, 1) {
				mid *= 2
			} else {
				mid = (lo + hi) / 2
			}
		}
	}
	// Floor sigma as the reference does, so near-duplicate neighbourhoods
	// do not get near-zero bandwidth.
	floor := 1e-3 * mean
	if mid < floor {
		mid = floor
	}
	if mid <= 0 {
		mid = 1e-12
	}
	return rho, mid
}

// membership is the fuzzy membership strength of a neighbour at distance d.
func membership(d float32, rho, sigma float64) float64 {
	if r := float64(d) - rho; r > 0 {
		return math.Exp(-r / sigma)
	}
	return 1
}

type entry struct {
	j int32
	w float32
}

// fuzzyGraph builds the symmetrised fuzzy simplicial set w = a+b-ab from
// validated kNN lists. Self entries are dropped; duplicate entries keep the
// larger weight. Cost: O(n·k·log k) time, O(n·k) memory.
func fuzzyGraph(neighbors [][]int32, distances [][]float32) *graph {
	n := len(neighbors)
	// Directed rows, sorted by column, deduplicated.
	out := make([][]entry, n)
	inDeg := make([]int, n+1)
	for i, row := range neighbors {
		rho, sigma := smoothKNN(distances[i], func(j int) bool { return int(row[j]) == i })
		es := make([]entry, 0, len(row))
		for j, nb := range row {
			if int(nb) == i {
				continue
			}
			es = append(es, entry{nb, float32(membership(distances[i][j], rho, sigma))})
		}
		// Sort by column, larger weight first, so compaction keeps the max.
		slices.SortFunc(es, func(x, y entry) int {
			if x.j != y.j {
				return int(x.j) - int(y.j)
			}
			return cmp.Compare(y.w, x.w)
		})
		es = slices.CompactFunc(es, func(x, y entry) bool { return x.j == y.j })
		out[i] = es
		for _, e := range es {
			inDeg[e.j+1]++
		}
	}
	// Transpose: in-edges of each vertex, sorted by source because sources
	// are visited in ascending order.
	for i := range n {
		inDeg[i+1] += inDeg[i]
	}
	inStart := slices.Clone(inDeg)
	inSrc := make([]entry, inDeg[n])
	fill := slices.Clone(inDeg[:n])
	for i, es := range out {
		for _, e := range es {
			inSrc[fill[e.j]] = entry{int32(i), e.w}
			fill[e.j]++
		}
	}
	// Merge out-row and in-row of every vertex.
	g := &graph{n: n, start: make([]int, n+1)}
	g.col = make([]int32, 0, 2*len(inSrc))
	g.w = make([]float32, 0, 2*len(inSrc))
	for i := range n {
		a, b := out[i], inSrc[inStart[i]:inStart[i+1]]
		for len(a) > 0 || len(b) > 0 {
			var j int32
			var wa, wb float64
			switch {
			case len(b) == 0 || (len(a) > 0 && a[0].j < b[0].j):
				j, wa, a = a[0].j, float64(a[0].w), a[1:]
			case len(a) == 0 || b[0].j < a[0].j:
				j, wb, b = b[0].j, float64(b[0].w), b[1:]
			default:
				j, wa, wb, a, b = a[0].j, float64(a[0].w), float64(b[0].w), a[1:], b[1:]
			}
			if w := wa + wb - wa*wb; w > 0 {
				g.col = append(g.col, j)
				g.w = append(g.w, float32(w))
			}
		}
		g.start[i+1] = len(g.col)
	}
	return g
}
