package layout

import "slices"

// NormalizeRobust centres coordinates in place and scales them into
// [-1,1] keeping the aspect ratio. Unlike Normalize it is robust to a few
// far outliers: the 0.1%–99.9% range fills [-0.95,0.95], the rest is
// clamped, and NaN becomes 0.
func NormalizeRobust(c [][2]float32) {
	if len(c) == 0 {
		return
	}
	var lo, hi [2]float32
	for d := range 2 {
		vals := make([]float32, len(c))
		for i := range c {
			vals[i] = c[i][d]
		}
		slices.Sort(vals)
		q := len(vals) / 1000
		lo[d], hi[d] = vals[q], vals[len(vals)-1-q]
	}
	half := max(hi[0]-lo[0], hi[1]-lo[1]) / 2
	if !(half > 0) {
		half = 1
	}
	mid := [2]float32{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2}
	s := 0.95 / half
	for i := range c {
		c[i] = [2]float32{ClampUnit((c[i][0] - mid[0]) * s), ClampUnit((c[i][1] - mid[1]) * s)}
	}
}

// ClampUnit clamps v into [-1,1]; NaN becomes 0.
func ClampUnit(v float32) float32 {
	if v != v {
		return 0
	}
	return max(-1, min(1, v))
}
