package layout

import (
	"math"
)

// Place positions new points given their neighbours among already-placed
// points: neighbors[i] index into placed, distances[i] are the matching
// distances in the original space. Each new point goes to the average of
// its neighbours' positions weighted by the same fuzzy membership strengths
// UMAP uses (per-point rho and sigma with Σ weights = log2 k), which is
// UMAP's own initialisation for transformed points. placed is not modified,
// so existing points never move. Cost O(Σ k_i).
//
// Place does not fail: neighbour entries that are out of range or whose
// distance is not a finite non-negative number are ignored, and a point
// left with no usable neighbour is put at the centroid of placed (the
// origin if placed is empty). Rows of neighbors and distances are paired
// up to the shorter of the two.
func Place(neighbors [][]int32, distances [][]float32, placed [][2]float32) [][2]float32 {
	out := make([][2]float32, len(neighbors))
	var cx, cy float64
	for _, p := range placed {
		cx += float64(p[0])
		cy += float64(p[1])
	}
	if len(placed) > 0 {
		cx /= float64(len(placed))
		cy /= float64(len(placed))
	}
	var dist []float32
	var nbs []int32
	for i, row := range neighbors {
		var drow []float32
		if i < len(distances) {
			drow = distances[i]
		}
		dist, nbs = dist[:0], nbs[:0]
		for j := range min(len(row), len(drow)) {
			nb, d := row[j], drow[j]
			if nb < 0 || int(nb) >= len(placed) || d != d || d < 0 || math.IsInf(float64(d), 0) {
				continue
			}
			p := placed[nb]
			if !finite32(p[0]) || !finite32(p[1]) {
				continue
			}
			dist = append(dist, d)
			nbs = append(nbs, nb)
		}
		if len(nbs) == 0 {
			out[i] = [2]float32{float32(cx), float32(cy)}
			continue
		}
		rho, sigma := smoothKNN(dist, nil)
		var sx, sy, sw float64
		for j, nb := range nbs {
			w := membership(dist[j], rho, sigma)
			sx += w * float64(placed[nb][0])
			sy += w * float64(placed[nb][1])
			sw += w
		}
		out[i] = [2]float32{float32(sx / sw), float32(sy / sw)}
	}
	return out
}

func finite32(x float32) bool { return x == x && !math.IsInf(float64(x), 0) }

// Normalize rescales coords in place into [-1,1]² keeping the aspect ratio:
// the bounding box of the finite points is centred on the origin and its
// longer side scaled to length 2. Non-finite points are left as they are;
// if all finite points coincide they are moved to the origin.
func Normalize(coords [][2]float32) {
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range coords {
		if !finite32(p[0]) || !finite32(p[1]) {
			continue
		}
		for c := range 2 {
			lo[c] = min(lo[c], float64(p[c]))
			hi[c] = max(hi[c], float64(p[c]))
		}
	}
	if lo[0] > hi[0] {
		return // no finite point
	}
	half := max(hi[0]-lo[0], hi[1]-lo[1]) / 2
	scale := 0.0
	if half > 0 {
		scale = 1 / half
	}
	mid := [2]float64{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2}
	for i, p := range coords {
		if !finite32(p[0]) || !finite32(p[1]) {
			continue
		}
		for c := range 2 {
			v := (float64(p[c]) - mid[c]) * scale
			coords[i][c] = float32(max(-1, min(1, v)))
		}
	}
}
