package layout

import (
	"container/heap"
	"math"
	"runtime"
)

// HighDimAgreement is the mean, over points with a label (labels[i] ≥ 0),
// of the fraction of the first k entries of neighbors[i] (self and
// out-of-range entries skipped) that share point i's label. Points with no
// usable neighbour are left out. It returns NaN if len(labels) differs from
// len(neighbors), k < 1, or no point qualifies.
func HighDimAgreement(neighbors [][]int32, labels []int, k int) float64 {
	if len(labels) != len(neighbors) || k < 1 {
		return math.NaN()
	}
	sum, cnt := 0.0, 0
	for i, row := range neighbors {
		if labels[i] < 0 {
			continue
		}
		same, seen := 0, 0
		for _, nb := range row {
			if seen == k {
				break
			}
			if int(nb) == i || nb < 0 || int(nb) >= len(labels) {
				continue
			}
			seen++
			if labels[nb] == labels[i] {
				same++
			}
		}
		if seen > 0 {
			sum += float64(same) / float64(seen)
			cnt++
		}
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / float64(cnt)
}

// NeighborAgreement2D is the mean, over points with a label (labels[i] ≥ 0)
// and finite coordinates, of the fraction of the point's k nearest other
// points in coords (exact Euclidean kNN, ties broken arbitrarily) that
// share its label. The kNN search uses a uniform grid of about two points
// per cell searched in rings, so it costs about O(n·k) for spread-out
// layouts (worst case O(n²) if nearly all points coincide) and runs on
// GOMAXPROCS goroutines. It returns NaN if len(labels) differs from
// len(coords), k < 1, or no point qualifies. k is capped at n-1.
func NeighborAgreement2D(coords [][2]float32, labels []int, k int) float64 {
	if len(labels) != len(coords) || k < 1 {
		return math.NaN()
	}
	gr := newGrid(coords)
	if gr == nil {
		return math.NaN()
	}
	k = min(k, len(gr.ids)-1)
	if k < 1 {
		return math.NaN()
	}
	n := len(coords)
	frac := make([]float64, n)
	for i := range frac {
		frac[i] = -1
	}
	const sz = 1024
	parallel(runtime.GOMAXPROCS(0), (n+sz-1)/sz, func(c int) {
		lo, hi := chunkRange(c, sz, n)
		var h nnHeap
		for i := lo; i < hi; i++ {
			if labels[i] < 0 || !finite32(coords[i][0]) || !finite32(coords[i][1]) {
				continue
			}
			h = gr.knn(coords, i, k, h[:0])
			same := 0
			for _, c := range h {
				if labels[c.id] == labels[i] {
					same++
				}
			}
			frac[i] = float64(same) / float64(len(h))
		}
	})
	sum, cnt := 0.0, 0
	for _, f := range frac {
		if f >= 0 {
			sum += f
			cnt++
		}
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / float64(cnt)
}

// grid buckets finite points into square cells.
type grid struct {
	x0, y0, cell float64
	gx, gy       int
	start        []int32 // cell c holds ids[start[c]:start[c+1]]
	ids          []int32
}

func newGrid(coords [][2]float32) *grid {
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	m := 0
	for _, p := range coords {
		if !finite32(p[0]) || !finite32(p[1]) {
			continue
		}
		m++
		for c := range 2 {
			lo[c] = min(lo[c], float64(p[c]))
			hi[c] = max(hi[c], float64(p[c]))
		}
	}
	if m == 0 {
		return nil
	}
	w, h := hi[0]-lo[0], hi[1]-lo[1]
	cells := max(1, float64(m)/2)
	cell := math.Sqrt(max(w*h, 1e-300) / cells)
	if w == 0 || h == 0 {
		cell = max(w, h) / cells
	}
	if cell == 0 || math.IsInf(cell, 0) || math.IsNaN(cell) {
		cell = 1
	}
	gr := &grid{x0: lo[0], y0: lo[1], cell: cell}
	gr.gx = min(int(w/cell)+1, 4*m+1)
	gr.gy = min(int(h/cell)+1, 4*m+1)
	for gr.gx*gr.gy > 4*m+4 { // guard against extreme aspect ratios
		gr.cell *= 2
		gr.gx, gr.gy = int(w/gr.cell)+1, int(h/gr.cell)+1
	}
	gr.start = make([]int32, gr.gx*gr.gy+1)
	cellOf := make([]int32, len(coords))
	for i, p := range coords {
		cellOf[i] = -1
		if finite32(p[0]) && finite32(p[1]) {
			cx, cy := gr.cellXY(p)
			cellOf[i] = int32(cy*gr.gx + cx)
			gr.start[cellOf[i]+1]++
		}
	}
	for c := 1; c < len(gr.start); c++ {
		gr.start[c] += gr.start[c-1]
	}
	gr.ids = make([]int32, m)
	fill := append([]int32(nil), gr.start[:len(gr.start)-1]...)
	for i, c := range cellOf {
		if c >= 0 {
			gr.ids[fill[c]] = int32(i)
			fill[c]++
		}
	}
	return gr
}

func (gr *grid) cellXY(p [2]float32) (int, int) {
	cx := int((float64(p[0]) - gr.x0) / gr.cell)
	cy := int((float64(p[1]) - gr.y0) / gr.cell)
	return max(0, min(gr.gx-1, cx)), max(0, min(gr.gy-1, cy))
}

type nn struct {
	d  float64
	id int32
}

// nnHeap is a max-heap on distance holding the best candidates so far.
type nnHeap []nn

func (h nnHeap) Len() int           { return len(h) }
func (h nnHeap) Less(i, j int) bool { return h[i].d > h[j].d }
func (h nnHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nnHeap) Push(x any)        { *h = append(*h, x.(nn)) }
func (h *nnHeap) Pop() any          { o := *h; x := o[len(o)-1]; *h = o[:len(o)-1]; return x }

// knn returns the k nearest other points to point q, scanning rings of
// cells outward until no unscanned cell can hold a closer point.
func (gr *grid) knn(coords [][2]float32, q, k int, h nnHeap) nnHeap {
	p := coords[q]
	px, py := float64(p[0]), float64(p[1])
	cx, cy := gr.cellXY(p)
	for r := 0; ; r++ {
		x0, x1, y0, y1 := cx-r, cx+r, cy-r, cy+r
		for y := max(0, y0); y <= min(gr.gy-1, y1); y++ {
			step := 1
			if y != y0 && y != y1 {
				step = x1 - x0 // only the ring's left and right columns
			}
			for x := x0; x <= x1; x += max(step, 1) {
				if x < 0 || x >= gr.gx {
					continue
				}
				c := y*gr.gx + x
				for _, id := range gr.ids[gr.start[c]:gr.start[c+1]] {
					if int(id) == q {
						continue
					}
					dx, dy := float64(coords[id][0])-px, float64(coords[id][1])-py
					d := dx*dx + dy*dy
					if len(h) < k {
						heap.Push(&h, nn{d, id})
					} else if d < h[0].d {
						h[0] = nn{d, id}
						heap.Fix(&h, 0)
					}
				}
			}
		}
		if x0 <= 0 && y0 <= 0 && x1 >= gr.gx-1 && y1 >= gr.gy-1 {
			return h // whole grid scanned
		}
		// Distance from q to the outside of the scanned block.
		bx := min(px-(gr.x0+float64(x0)*gr.cell), gr.x0+float64(x1+1)*gr.cell-px)
		by := min(py-(gr.y0+float64(y0)*gr.cell), gr.y0+float64(y1+1)*gr.cell-py)
		if b := max(0, min(bx, by)); len(h) == k && h[0].d <= b*b {
			return h
		}
	}
}
