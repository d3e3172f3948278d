package layout

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
)

func heavy() bool { return os.Getenv("REEF_HEAVY") == "1" }

// blobs draws n points in dim dimensions from c isotropic Gaussian blobs
// (unit sd) whose centres are sep apart along random directions.
func blobs(n, dim, c int, sep float64, seed uint64) ([][]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, c)
	for k := range centres {
		centres[k] = make([]float64, dim)
		for j := range dim {
			centres[k][j] = r.NormFloat64() * sep / math.Sqrt(2*float64(dim))
		}
	}
	vecs := make([][]float32, n)
	labels := make([]int, n)
	for i := range n {
		k := i % c
		labels[i] = k
		v := make([]float32, dim)
		for j := range dim {
			v[j] = float32(centres[k][j] + r.NormFloat64())
		}
		vecs[i] = v
	}
	return vecs, labels
}

// bruteKNN returns each point's k nearest other points (Euclidean), by
// brute force on all cores.
func bruteKNN(vecs [][]float32, k int) ([][]int32, [][]float32) {
	n := len(vecs)
	nb := make([][]int32, n)
	ds := make([][]float32, n)
	parallel(4, (n+63)/64, func(c int) {
		lo, hi := chunkRange(c, 64, n)
		type cand struct {
			d float32
			j int32
		}
		all := make([]cand, 0, n)
		for i := lo; i < hi; i++ {
			all = all[:0]
			for j := range n {
				if j == i {
					continue
				}
				var s float32
				for t, x := range vecs[i] {
					d := x - vecs[j][t]
					s += d * d
				}
				all = append(all, cand{s, int32(j)})
			}
			kk := min(k, len(all))
			sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d || (all[a].d == all[b].d && all[a].j < all[b].j) })
			nb[i] = make([]int32, kk)
			ds[i] = make([]float32, kk)
			for t := range kk {
				nb[i][t] = all[t].j
				ds[i][t] = float32(math.Sqrt(float64(all[t].d)))
			}
		}
	})
	return nb, ds
}

var blobCache struct {
	sync.Mutex
	m map[[2]int]blobData
}

type blobData struct {
	vecs   [][]float32
	labels []int
	nb     [][]int32
	ds     [][]float32
}

// cachedBlobs returns n points in 20-D from c blobs with their 15-NN.
func cachedBlobs(t testing.TB, n, c int) blobData {
	blobCache.Lock()
	defer blobCache.Unlock()
	if blobCache.m == nil {
		blobCache.m = map[[2]int]blobData{}
	}
	if d, ok := blobCache.m[[2]int{n, c}]; ok {
		return d
	}
	vecs, labels := blobs(n, 20, c, 30, uint64(n*31+c))
	nb, ds := bruteKNN(vecs, 15)
	d := blobData{vecs, labels, nb, ds}
	blobCache.m[[2]int{n, c}] = d
	return d
}

func cloneKNN(nb [][]int32, ds [][]float32) ([][]int32, [][]float32) {
	n2 := make([][]int32, len(nb))
	d2 := make([][]float32, len(ds))
	for i := range nb {
		n2[i] = slices.Clone(nb[i])
		d2[i] = slices.Clone(ds[i])
	}
	return n2, d2
}
