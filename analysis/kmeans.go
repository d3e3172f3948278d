package analysis

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/viterin/vek/vek32"

	"github.com/reef-ml/reef/index"
)

// KMeansOptions tune KMeans.
type KMeansOptions struct {
	Options
	K int
	// BatchSize is the mini-batch size; 0 means 1024.
	BatchSize int
	// MaxIter is the number of mini-batches; 0 means 100.
	MaxIter int
	// SeedSample caps the points k-means++ seeding looks at; 0 means 20000.
	SeedSample int
	// Seed makes seeding and batches reproducible.
	Seed uint64
	// Metric is L2 (default, also for 0) or Cosine: under Cosine vectors are
	// normalised and centroids re-normalised after every batch (spherical
	// k-means); Inertia is then still the squared L2 on unit vectors, which
	// is 2 × cosine distance.
	Metric index.Metric
}

// KMeansResult is a clustering.
type KMeansResult struct {
	Labels    []int
	Centroids [][]float32
	// Inertia is the sum of squared distances to the assigned centroid.
	Inertia float64
	// Sizes is the number of points per cluster.
	Sizes []int
}

// KMeans clusters vectors with mini-batch k-means (Sculley 2010): k-means++
// seeding on a sample, MaxIter batches of per-centre learning-rate updates
// (rate 1/count), then one full parallel assignment. Batch assignments are
// computed in parallel but applied in order, so the result depends only on
// the input and Seed.
func KMeans(ctx context.Context, vectors [][]float32, opts KMeansOptions) (*KMeansResult, error) {
	metric := opts.Metric
	if metric == 0 {
		metric = index.L2
	}
	if metric != index.L2 && metric != index.Cosine {
		return nil, invalid("k-means supports L2 and Cosine, not %v", metric)
	}
	d, err := checkVectors(vectors, metric)
	if err != nil {
		return nil, err
	}
	n, k := len(vectors), opts.K
	if k < 1 || k > n {
		return nil, invalid("k-means K %d for %d points", k, n)
	}
	if metric == index.Cosine {
		vectors = normalizedCopy(vectors)
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 1024
	}
	batch = min(batch, n)
	iters := opts.MaxIter
	if iters <= 0 {
		iters = 100
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6b6d65616e73))
	cent, err := kmeansPP(ctx, vectors, k, opts, rng)
	if err != nil {
		return nil, err
	}
	counts := make([]float64, k)
	idx := make([]int, batch)
	lab := make([]int, batch)
	inner := opts.Options
	inner.Progress = nil
	for it := range iters {
		for b := range idx {
			idx[b] = rng.IntN(n)
		}
		norms := centroidNorms(cent)
		err := parallelFor(ctx, batch, inner, func(lo, hi int) error {
			for b := lo; b < hi; b++ {
				lab[b], _ = nearest(vectors[idx[b]], cent, norms)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for b, i := range idx {
			c := lab[b]
			counts[c]++
			eta := float32(1 / counts[c])
			x, ct := vectors[i], cent[c]
			for t := range d {
				ct[t] += eta * (x[t] - ct[t])
			}
		}
		if metric == index.Cosine {
			for _, c := range cent {
				normalize(c)
			}
		}
		if opts.Progress != nil {
			opts.Progress(it+1, iters+1)
		}
	}
	res := &KMeansResult{Labels: make([]int, n), Centroids: cent, Sizes: make([]int, k)}
	norms := centroidNorms(cent)
	part := make([]float64, n)
	err = parallelFor(ctx, n, inner, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			res.Labels[i], part[i] = nearest(vectors[i], cent, norms)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, l := range res.Labels {
		res.Sizes[l]++
		res.Inertia += part[i]
	}
	if opts.Progress != nil {
		opts.Progress(iters+1, iters+1)
	}
	return res, nil
}

// kmeansPP picks k initial centres from a sample with D² weighting.
func kmeansPP(ctx context.Context, vectors [][]float32, k int, opts KMeansOptions, rng *rand.Rand) ([][]float32, error) {
	n := len(vectors)
	s := opts.SeedSample
	if s <= 0 {
		s = 20000
	}
	sample := rng.Perm(n)[:min(s, n)]
	cent := make([][]float32, 0, k)
	add := func(i int) { cent = append(cent, append([]float32(nil), vectors[sample[i]]...)) }
	add(rng.IntN(len(sample)))
	d2 := make([]float64, len(sample))
	for i := range d2 {
		d2[i] = math.Inf(1)
	}
	inner := opts.Options
	inner.Progress = nil
	for len(cent) < k {
		c := cent[len(cent)-1]
		err := parallelFor(ctx, len(sample), inner, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				dd := float64(vek32.Distance(vectors[sample[i]], c))
				d2[i] = min(d2[i], dd*dd)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var total float64
		for _, x := range d2 {
			total += x
		}
		pick := 0
		if total > 0 {
			u := rng.Float64() * total
			for pick = 0; pick < len(d2)-1; pick++ {
				u -= d2[pick]
				if u < 0 {
					break
				}
			}
		} else {
			pick = rng.IntN(len(sample)) // all remaining points coincide with centres
		}
		add(pick)
	}
	return cent, nil
}

func centroidNorms(cent [][]float32) []float32 {
	out := make([]float32, len(cent))
	for i, c := range cent {
		out[i] = vek32.Dot(c, c)
	}
	return out
}

// nearest returns the closest centre and the squared distance to it, using
// |x-c|² = |x|² - 2x·c + |c|².
func nearest(x []float32, cent [][]float32, norms []float32) (int, float64) {
	best, bd := 0, float32(math.Inf(1))
	for c, ct := range cent {
		if d := norms[c] - 2*vek32.Dot(x, ct); d < bd {
			best, bd = c, d
		}
	}
	return best, max(0, float64(bd)+float64(vek32.Dot(x, x)))
}

// Medoids returns, for each label 0..max(labels), the member with the least
// summed distance to a random sample of at most sampleSize members of its
// cluster (all members when sampleSize <= 0), or -1 for an empty label.
// Negative labels (noise) are ignored. Cost: O(Σ members × sample × d).
func Medoids(ctx context.Context, vectors [][]float32, labels []int, metric index.Metric, sampleSize int, seed uint64, opts Options) ([]int, error) {
	if len(labels) != len(vectors) {
		return nil, invalid("%d labels for %d vectors", len(labels), len(vectors))
	}
	if _, err := checkVectors(vectors, metric); err != nil {
		return nil, err
	}
	dist, err := distanceFunc(metric)
	if err != nil {
		return nil, err
	}
	if metric == index.Cosine {
		vectors = normalizedCopy(vectors)
	}
	var members [][]int
	for i, l := range labels {
		if l < 0 {
			continue
		}
		for len(members) <= l {
			members = append(members, nil)
		}
		members[l] = append(members[l], i)
	}
	out := make([]int, len(members))
	rng := rand.New(rand.NewPCG(seed, 0x6d65646f6964))
	for c, ms := range members {
		out[c] = -1
		if len(ms) == 0 {
			continue
		}
		ref := ms
		if sampleSize > 0 && len(ms) > sampleSize {
			ref = make([]int, sampleSize)
			for j, p := range rng.Perm(len(ms))[:sampleSize] {
				ref[j] = ms[p]
			}
		}
		sums := make([]float64, len(ms))
		err := parallelFor(ctx, len(ms), Options{Workers: opts.Workers}, func(lo, hi int) error {
			for a := lo; a < hi; a++ {
				for _, r := range ref {
					sums[a] += float64(dist(vectors[ms[a]], vectors[r]))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		best := 0
		for a := range sums {
			if sums[a] < sums[best] {
				best = a
			}
		}
		out[c] = ms[best]
		if opts.Progress != nil {
			opts.Progress(c+1, len(members))
		}
	}
	return out, nil
}
