package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/index"
)

// randomGraph is a synthetic k-NN-shaped graph (random neighbours, sorted
// random distances) for benchmarking consumers without building a real one.
func randomGraph(n, k int, seed uint64) *Graph {
	rng := rand.New(rand.NewPCG(seed, 3))
	g := &Graph{K: k, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	for i := range n {
		seen := map[int32]bool{int32(i): true}
		d := float32(0)
		for len(g.Neighbors[i]) < k {
			j := int32(rng.IntN(n))
			if seen[j] {
				continue
			}
			seen[j] = true
			d += rng.Float32()
			g.Neighbors[i] = append(g.Neighbors[i], j)
			g.Distances[i] = append(g.Distances[i], d)
		}
	}
	return g
}

func BenchmarkBuildGraphExact(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	vs := gaussian(rng, 2000, 64, 0)
	dist, _ := distanceFunc(index.L2)
	for b.Loop() {
		if _, err := BuildGraph(bgCtx, len(vs), 10, func(i, k int) ([]Neighbor, error) {
			return bruteSearch(vs, vs[i], k, dist, -1), nil
		}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOutliers(b *testing.B) {
	g := randomGraph(50000, 10, 1)
	for _, m := range []struct {
		name string
		m    OutlierMethod
	}{{"mean", MeanDistance}, {"lof", LOF}} {
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Outliers(bgCtx, g, OutlierOptions{Method: m.m}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare1000Permutations(b *testing.B) {
	g := randomGraph(20000, 10, 2)
	isB := make([]bool, 20000)
	for i := range 3000 {
		isB[i*6] = true
	}
	for b.Loop() {
		if _, err := Compare(bgCtx, g, isB, CompareOptions{Permutations: 1000}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKMeans(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	vs := gaussian(rng, 20000, 64, 0)
	for b.Loop() {
		if _, err := KMeans(bgCtx, vs, KMeansOptions{K: 10, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDensityClusters(b *testing.B) {
	g := randomGraph(50000, 15, 5)
	for b.Loop() {
		if _, err := DensityClusters(bgCtx, g, DensityOptions{MinClusterSize: 50}); err != nil {
			b.Fatal(err)
		}
	}
}
