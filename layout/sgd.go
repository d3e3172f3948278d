package layout

import "context"

// attractScale compensates for updating only the head of each directed
// edge. The reference moves both endpoints of every sampled edge and its
// graph holds both directions of each pair, so a vertex is pulled twice per
// pair sample; here it is pulled once with twice the step.
const attractScale = 2

// clip bounds one gradient component, as the reference does.
func clip(v float64) float64 { return max(-4, min(4, v)) }

// optimizer holds the SGD state. Edges are the graph's CSR rows with
// weights replaced by sampling periods (epochs per sample).
type optimizer struct {
	g        *graph
	a, b     float64
	pow      *powTable // d²^b
	negRate  int
	eps      []float32 // epochs per sample, per edge
	nextPos  []float32 // epoch of the next attractive sample
	nextNeg  []float32 // epoch of the next negative sample
	cur, old []float32 // coordinates (x,y interleaved): this epoch, last epoch
	seed     uint64
}

// newOptimizer drops edges too weak to be sampled within epochs (weight
// below max/epochs) and sets each edge's sampling period to max/weight.
func newOptimizer(g *graph, coords []float32, epochs int, o Options) *optimizer {
	wmax := float32(0)
	for _, w := range g.w {
		wmax = max(wmax, w)
	}
	cut := wmax / float32(epochs)
	kept := &graph{n: g.n, start: make([]int, g.n+1)}
	for i := range g.n {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			if g.w[e] >= cut {
				kept.col = append(kept.col, g.col[e])
				kept.w = append(kept.w, wmax/g.w[e])
			}
		}
		kept.start[i+1] = len(kept.col)
	}
	op := &optimizer{g: kept, negRate: o.NegativeSampleRate, eps: kept.w, seed: uint64(o.Seed)}
	op.a, op.b = FitCurve(o.MinDist, o.Spread)
	op.pow = newPowTable(op.b)
	op.nextPos = make([]float32, len(kept.w))
	op.nextNeg = make([]float32, len(kept.w))
	for e, p := range kept.w {
		op.nextPos[e] = p
		op.nextNeg[e] = p / float32(op.negRate)
	}
	op.cur = coords
	op.old = make([]float32, len(coords))
	return op
}

// run performs the SGD epochs. In each epoch every vertex i is processed by
// exactly one goroutine, which updates only i's coordinates: it reads its
// own position from a local copy and every other position from the
// previous epoch's snapshot. There are therefore no data races, and since
// random numbers are drawn per (seed, vertex, epoch) the result is
// bit-identical for any number of workers.
func (op *optimizer) run(ctx context.Context, epochs int, o Options) error {
	const sz = 512
	n := op.g.n
	chunks := (n + sz - 1) / sz
	for ep := range epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		alpha := o.LearningRate * (1 - float64(ep)/float64(epochs))
		op.cur, op.old = op.old, op.cur
		parallel(o.Workers, chunks, func(c int) {
			lo, hi := chunkRange(c, sz, n)
			for i := lo; i < hi; i++ {
				op.vertex(i, ep, alpha)
			}
		})
		o.progress(ep+1, epochs)
	}
	return nil
}

// vertex applies epoch ep's updates for the edges whose head is i, reading
// op.old and writing op.cur[2i:2i+2].
func (op *optimizer) vertex(i, ep int, alpha float64) {
	old := op.old
	xi, yi := float64(old[2*i]), float64(old[2*i+1])
	a, b, pt := op.a, op.b, op.pow
	n := op.g.n
	fe := float32(ep)
	var r rng
	seeded := false
	for e := op.g.start[i]; e < op.g.start[i+1]; e++ {
		if op.nextPos[e] > fe {
			continue
		}
		j := op.g.col[e]
		dx, dy := xi-float64(old[2*j]), yi-float64(old[2*j+1])
		if d2 := dx*dx + dy*dy; d2 > 0 {
			pb := pt.pow(d2) // d2^b
			gc := -2 * a * b * pb / (d2 * (a*pb + 1))
			xi += attractScale * alpha * clip(gc*dx)
			yi += attractScale * alpha * clip(gc*dy)
		}
		op.nextPos[e] += op.eps[e]

		epn := op.eps[e] / float32(op.negRate)
		nneg := int((fe - op.nextNeg[e]) / epn)
		if nneg <= 0 {
			continue
		}
		op.nextNeg[e] += float32(nneg) * epn
		if !seeded {
			r = newRNG(op.seed, uint64(i), uint64(ep))
			seeded = true
		}
		for range nneg {
			k := r.intn(n)
			if k == i {
				continue
			}
			dx, dy := xi-float64(old[2*k]), yi-float64(old[2*k+1])
			d2 := dx*dx + dy*dy
			if d2 > 0 {
				pb := pt.pow(d2)
				gc := 2 * b / ((0.001 + d2) * (a*pb + 1))
				xi += alpha * clip(gc*dx)
				yi += alpha * clip(gc*dy)
			} else {
				xi += alpha * 4
				yi += alpha * 4
			}
		}
	}
	op.cur[2*i], op.cur[2*i+1] = float32(xi), float32(yi)
}
