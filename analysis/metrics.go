package analysis

import (
	"cmp"
	"math"
	"slices"
)

// Clustering metrics compare a predicted labelling with a reference one.
// Labels are arbitrary ints; every distinct value (including -1 noise) is
// its own cluster. Filter noise out first if it should not count.

// contingency returns the table n_ij of co-occurrences with row and column
// sums.
func contingency(pred, truth []int) (table map[[2]int]int, rows, cols map[int]int, err error) {
	if len(pred) != len(truth) {
		return nil, nil, nil, invalid("%d predicted labels vs %d reference labels", len(pred), len(truth))
	}
	table, rows, cols = map[[2]int]int{}, map[int]int{}, map[int]int{}
	for i := range pred {
		table[[2]int{pred[i], truth[i]}]++
		rows[pred[i]]++
		cols[truth[i]]++
	}
	return table, rows, cols, nil
}

func choose2(x int) float64 { return float64(x) * float64(x-1) / 2 }

// AdjustedRandIndex is Hubert and Arabie's adjusted Rand index: 1 for
// identical partitions, about 0 for independent ones, possibly negative.
// Two trivial partitions that agree score 1.
func AdjustedRandIndex(pred, truth []int) (float64, error) {
	table, rows, cols, err := contingency(pred, truth)
	if err != nil {
		return 0, err
	}
	var sumIJ, sumA, sumB float64
	for _, c := range table {
		sumIJ += choose2(c)
	}
	for _, c := range rows {
		sumA += choose2(c)
	}
	for _, c := range cols {
		sumB += choose2(c)
	}
	total := choose2(len(pred))
	if total == 0 {
		return 1, nil
	}
	expected := sumA * sumB / total
	maxIdx := (sumA + sumB) / 2
	if maxIdx == expected {
		return 1, nil
	}
	return (sumIJ - expected) / (maxIdx - expected), nil
}

// Purity is the fraction of points whose predicted cluster's majority
// reference label equals their own.
func Purity(pred, truth []int) (float64, error) {
	table, _, _, err := contingency(pred, truth)
	if err != nil {
		return 0, err
	}
	if len(pred) == 0 {
		return 1, nil
	}
	best := map[int]int{}
	for key, c := range table {
		best[key[0]] = max(best[key[0]], c)
	}
	s := 0
	for _, c := range best {
		s += c
	}
	return float64(s) / float64(len(pred)), nil
}

// NMI is the normalised mutual information with arithmetic-mean
// normalisation: I(U;V) / ((H(U)+H(V))/2). It is 1 when both partitions are
// identical (including both trivial) and 0 for independent ones.
func NMI(pred, truth []int) (float64, error) {
	table, rows, cols, err := contingency(pred, truth)
	if err != nil {
		return 0, err
	}
	n := float64(len(pred))
	if n == 0 {
		return 1, nil
	}
	entropy := func(m map[int]int) float64 {
		var h float64
		for _, c := range m {
			p := float64(c) / n
			h -= p * math.Log(p)
		}
		return h
	}
	hu, hv := entropy(rows), entropy(cols)
	if hu == 0 && hv == 0 {
		return 1, nil
	}
	var mi float64
	for key, c := range table {
		p := float64(c) / n
		mi += p * math.Log(p*n*n/(float64(rows[key[0]])*float64(cols[key[1]])))
	}
	return max(0, mi/((hu+hv)/2)), nil
}

// AUROC is the area under the ROC curve of scores for separating positives
// (larger score = more positive), computed as the Mann–Whitney statistic
// with ties counting half. It is NaN when either class is empty.
func AUROC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, invalid("%d scores for %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var rankSum float64
	nPos := 0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // 1-based mid-rank of the tie block
		for _, p := range idx[i:j] {
			if positive[p] {
				rankSum += mid
				nPos++
			}
		}
		i = j
	}
	nNeg := len(scores) - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), nil
	}
	u := rankSum - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg)), nil
}

// PrecisionAtK is the fraction of the first k ranked items that are
// relevant (k is cut to len(ranked)).
func PrecisionAtK(ranked []int, relevant func(int) bool, k int) float64 {
	k = min(k, len(ranked))
	if k == 0 {
		return 0
	}
	hit := 0
	for _, r := range ranked[:k] {
		if relevant(r) {
			hit++
		}
	}
	return float64(hit) / float64(k)
}
