package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/reef-ml/reef/index"
)

type simStats struct {
	single, average, best, rocchioFull, feedback float64
}

// evalSimilar runs the similar-to-several experiment: draws times, pick 5
// positives of class pos and 5 negatives of class neg; compare precision@50
// (fraction of class pos among the top 50, examples excluded) of
//   - single: searching with one positive (mean over the 5),
//   - average / best: Rescore of the union of each positive's top 200,
//   - rocchioFull: searching the whole set with the Rocchio vector,
//   - feedback: a logistic model trained on the examples plus the user's
//     verdicts on best's top 50, ranking the remaining candidates.
func evalSimilar(t testing.TB, imgs [][]float32, labels []int, pos, neg, draws int, seed uint64) simStats {
	t.Helper()
	unit := normalizedCopy(imgs)
	dist, _ := distanceFunc(index.Cosine)
	var byClass [10][]int
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	var st simStats
	for range draws {
		ex := map[int]bool{}
		pick := func(c int) [][]float32 {
			var out [][]float32
			for len(out) < 5 {
				i := byClass[c][rng.IntN(len(byClass[c]))]
				if !ex[i] {
					ex[i] = true
					out = append(out, imgs[i])
				}
			}
			return out
		}
		P, N := pick(pos), pick(neg)
		relevant := func(i int) bool { return labels[i] == pos }
		inCand := map[int]bool{}
		var cand []int
		for _, p := range P {
			q := append([]float32(nil), p...)
			normalize(q)
			hits := bruteSearch(unit, q, 200+10, dist, -1)
			var ranked []int
			for _, h := range hits {
				if i := int(h.Index); !ex[i] {
					ranked = append(ranked, i)
					if !inCand[i] {
						inCand[i] = true
						cand = append(cand, i)
					}
				}
			}
			st.single += PrecisionAtK(ranked, relevant, 50) / 5 / float64(draws)
		}
		cv := make([][]float32, len(cand))
		for j, i := range cand {
			cv[j] = imgs[i]
		}
		q := MultiQuery{Positives: P, Negatives: N, Metric: index.Cosine}
		rank := func(s []Scored, skip map[int]bool) []int {
			var out []int
			for _, x := range s {
				if !skip[cand[x.Index]] {
					out = append(out, cand[x.Index])
				}
			}
			return out
		}
		avg, err := Rescore(bgCtx, q, Average, cv, workers)
		if err != nil {
			t.Fatal(err)
		}
		best, _ := Rescore(bgCtx, q, BestScore, cv, workers)
		st.average += PrecisionAtK(rank(avg, nil), relevant, 50) / float64(draws)
		bestRanked := rank(best, nil)
		st.best += PrecisionAtK(bestRanked, relevant, 50) / float64(draws)
		// Rocchio vector over the whole set.
		rv, _ := RocchioVector(q)
		hits := bruteSearch(unit, rv, 60, dist, -1)
		var full []int
		for _, h := range hits {
			if !ex[int(h.Index)] {
				full = append(full, int(h.Index))
			}
		}
		st.rocchioFull += PrecisionAtK(full, relevant, 50) / float64(draws)
		// Relevance feedback on best's first page.
		x := append(append([][]float32(nil), P...), N...)
		y := []bool{true, true, true, true, true, false, false, false, false, false}
		seen := map[int]bool{}
		for _, i := range bestRanked[:min(50, len(bestRanked))] {
			x = append(x, imgs[i])
			y = append(y, relevant(i))
			seen[i] = true
		}
		m, err := TrainLogistic(bgCtx, x, y, LogisticOptions{Metric: index.Cosine})
		if err != nil {
			t.Fatal(err)
		}
		rr, _ := m.Rerank(bgCtx, cv, workers)
		// Baseline for the second page: best's next 50.
		st.feedback += PrecisionAtK(rank(rr, seen), relevant, 50) / float64(draws)
	}
	return st
}

func TestSimilarFashionSmall(t *testing.T) {
	s := fashion(t, "t10k")
	imgs, labels := subset(s, 4000)
	st := evalSimilar(t, imgs, labels, 6, 0, 5, 1) // Shirt vs T-shirt/top
	t.Logf("Shirt vs T-shirt, n=4000, 5 draws: P@50 single %.3f, average %.3f, best %.3f, rocchio-full %.3f, feedback (next 50) %.3f",
		st.single, st.average, st.best, st.rocchioFull, st.feedback)
	if st.best < st.single || st.average < st.single {
		t.Errorf("multi-example precision below single-example search")
	}
}
