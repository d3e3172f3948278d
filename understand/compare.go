package understand

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
)

// CompareRequest compares two datasets' distributions in one space, without
// labels: a nearest-neighbour two-sample test on their joint k-NN graph.
type CompareRequest struct {
	Space        string `json:"space"`
	Level        string `json:"level,omitempty"`
	A            string `json:"a"`
	B            string `json:"b"`
	K            int    `json:"k,omitempty"`            // default 10
	Permutations int    `json:"permutations,omitempty"` // default 1000
	// GroupBy breaks the difference down by a metadata field (or
	// "object.class"), or "cluster" for k-means clusters of the union.
	GroupBy string `json:"group_by,omitempty"`
	// Alpha is the level of the overall test and of each group's
	// (Bonferroni-corrected) tests; default 0.05.
	Alpha float64 `json:"alpha,omitempty"`
	Seed  uint64  `json:"seed,omitempty"`
	// Examples is how many least-covered points of each side to return.
	Examples int `json:"examples,omitempty"`
}

// CompareResult says whether and where two datasets differ.
type CompareResult struct {
	SizeA int `json:"size_a"`
	SizeB int `json:"size_b"`
	K     int `json:"k"`
	// Significant is the permutation p-value (the normal approximation's
	// when permutations are off) below Alpha.
	Significant bool    `json:"significant"`
	Alpha       float64 `json:"alpha"`
	Verdict     string  `json:"verdict"`
	// PValue is the permutation p-value of the same-set neighbour fraction.
	PValue       float64 `json:"p_value"`
	PValueZ      float64 `json:"p_value_z"`
	Z            float64 `json:"z"`
	Statistic    float64 `json:"statistic"`
	Expected     float64 `json:"expected"`
	EffectSize   float64 `json:"effect_size"`
	Permutations int     `json:"permutations"`
	// CentroidDistance is the distance between the two means.
	CentroidDistance float64 `json:"centroid_distance"`
	// Groups is the breakdown: per group, counts, shares, z and p-value.
	GroupBy string               `json:"group_by,omitempty"`
	Groups  []analysis.GroupDiff `json:"groups,omitempty"`
	// Drivers are the groups whose share changed beyond the complement of
	// the others' (GroupDiff.Driver), largest adjusted change first.
	Drivers []string `json:"drivers,omitempty"`
	// UncoveredB are B's points least covered by A (new in B); MissingA are
	// A's points least covered by B (regions of A absent from B).
	UncoveredB []CoveredRow `json:"uncovered_b"`
	MissingA   []CoveredRow `json:"missing_a"`
	TookMs     float64      `json:"took_ms"`
}

// CoveredRow is a point with its coverage by the other set (0: none of its
// neighbours are from the other set; 1: as many as expected).
type CoveredRow struct {
	RowRef
	Coverage float32 `json:"coverage"`
}

// Compare runs the two-sample test and the breakdown.
func (e *Analyzer) Compare(ctx context.Context, req CompareRequest) (CompareResult, error) {
	start := time.Now()
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return CompareResult{}, err
	}
	if req.A == "" || req.B == "" {
		return CompareResult{}, engine.FieldErr(engine.ErrInvalid, "b", "compare needs datasets a and b")
	}
	if err := e.eng.SameSpace(req.A, req.B, req.Space); err != nil {
		return CompareResult{}, err
	}
	if req.K == 0 {
		req.K = 10
	}
	if req.Permutations == 0 {
		req.Permutations = 1000
	}
	if req.Alpha == 0 {
		req.Alpha = 0.05
	}
	if !(req.Alpha > 0 && req.Alpha < 1) {
		return CompareResult{}, engine.FieldErr(engine.ErrInvalid, "alpha", "must be in (0, 1), got %v", req.Alpha)
	}
	if req.Examples == 0 {
		req.Examples = 20
	}
	if err := checkCompare(req); err != nil {
		return CompareResult{}, err
	}
	rowsA, err := e.eng.Rows(ctx, req.A, req.Space, lvl)
	if err != nil {
		return CompareResult{}, err
	}
	rowsB, err := e.eng.Rows(ctx, req.B, req.Space, lvl)
	if err != nil {
		return CompareResult{}, err
	}
	if len(rowsA.IIDs) < 2 || len(rowsB.IIDs) < 2 {
		return CompareResult{}, engine.FieldErr(engine.ErrInvalid, "a", "each dataset needs at least 2 vectors in space %q", req.Space)
	}
	shA, errA := e.eng.Space(req.A, req.Space)
	shB, errB := e.eng.Space(req.B, req.Space)
	if err := errors.Join(errA, errB); err != nil {
		return CompareResult{}, err
	}
	idxA, idxB := shA.Index(lvl), shB.Index(lvl)
	g, err := e.jointGraph(ctx, rowsA, rowsB, idxA, idxB, req.K)
	if err != nil {
		return CompareResult{}, err
	}
	nA := len(rowsA.IIDs)
	isB := make([]bool, g.Len())
	for i := nA; i < len(isB); i++ {
		isB[i] = true
	}
	opts := analysis.CompareOptions{Options: analysis.Options{Workers: e.eng.Workers()}, K: req.K,
		Permutations: req.Permutations, Seed: req.Seed + 1, Alpha: req.Alpha}
	if req.GroupBy != "" {
		if opts.Groups, err = e.compareGroups(ctx, rowsA, rowsB, req.GroupBy, req.Seed); err != nil {
			return CompareResult{}, err
		}
	}
	cr, err := analysis.Compare(ctx, g, isB, opts)
	if err != nil {
		return CompareResult{}, err
	}
	cd, err := analysis.CentroidDistance(rowsA.Vectors, rowsB.Vectors, rowsA.Metric)
	if err != nil {
		return CompareResult{}, err
	}
	res := CompareResult{SizeA: nA, SizeB: len(rowsB.IIDs), K: req.K, PValue: cr.PValuePerm, PValueZ: cr.PValueZ, Z: cr.Z,
		Statistic: cr.Statistic, Expected: cr.Expected, EffectSize: cr.Effect, Permutations: cr.Permutations,
		CentroidDistance: cd, GroupBy: req.GroupBy, Groups: cr.Groups, Drivers: cr.Drivers,
		Significant: cr.Significant, Alpha: cr.Alpha}
	res.Verdict = verdict(res)
	// Least-covered points of each side, the "where".
	pick := func(lo, hi int, rows *engine.Rows, offset int) ([]CoveredRow, error) {
		idx := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		sort.SliceStable(idx, func(x, y int) bool { return cr.Coverage[idx[x]] < cr.Coverage[idx[y]] })
		idx = idx[:min(req.Examples, len(idx))]
		local := make([]int, len(idx))
		for i, v := range idx {
			local[i] = v - offset
		}
		refs, err := e.refs(rows, local, true)
		if err != nil {
			return nil, err
		}
		out := make([]CoveredRow, len(refs))
		for i := range refs {
			out[i] = CoveredRow{RowRef: refs[i], Coverage: cr.Coverage[idx[i]]}
		}
		return out, nil
	}
	if res.UncoveredB, err = pick(nA, g.Len(), rowsB, nA); err != nil {
		return res, err
	}
	if res.MissingA, err = pick(0, nA, rowsA, 0); err != nil {
		return res, err
	}
	for i := range res.Groups {
		gd := &res.Groups[i]
		gd.MeanCoverageA, gd.MeanCoverageB = nanToZero(gd.MeanCoverageA), nanToZero(gd.MeanCoverageB)
	}
	res.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

func nanToZero(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func verdict(r CompareResult) string {
	if !r.Significant {
		return fmt.Sprintf("no significant difference between the two distributions (p ≥ %g)", r.Alpha)
	}
	return fmt.Sprintf("the distributions differ (p < %g); see drivers, groups and uncovered_b/missing_a for where", r.Alpha)
}

// compareGroups labels the union's rows by a metadata field or by k-means
// clusters of the union.
func (e *Analyzer) compareGroups(ctx context.Context, a, b *engine.Rows, by string, seed uint64) ([]string, error) {
	if by == "cluster" {
		if a.Metric == index.Dot {
			return nil, engine.FieldErr(engine.ErrInvalid, "group_by", "cluster groups use k-means, which needs an l2 or cosine space")
		}
		union := append(append([][]float32(nil), a.Vectors...), b.Vectors...)
		km, err := analysis.KMeans(ctx, union, analysis.KMeansOptions{Options: analysis.Options{Workers: e.eng.Workers()},
			K: min(10, len(union)), Seed: seed + 1, Metric: a.Metric})
		if err != nil {
			return nil, err
		}
		out := make([]string, len(union))
		for i, l := range km.Labels {
			out[i] = "cluster " + strconv.Itoa(l)
		}
		return out, nil
	}
	ga, err := e.groupValues(a, by)
	if err != nil {
		return nil, err
	}
	gb, err := e.groupValues(b, by)
	if err != nil {
		return nil, err
	}
	all := append(ga, gb...)
	if !slices.ContainsFunc(all, func(v string) bool { return v != "" }) {
		return nil, engine.FieldErr(engine.ErrInvalid, "group_by", "no point of %q or %q has %q", a.Dataset, b.Dataset, by)
	}
	return all, nil
}
