package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/storage"
)

// Target is one example of a multi-target query: a stored point or object
// (of this dataset, or of Dataset when it shares the space definition) or a
// raw vector, with an optional weight.
type Target struct {
	ID       string    `json:"id,omitempty"`
	ObjectID string    `json:"object_id,omitempty"`
	Dataset  string    `json:"dataset,omitempty"`
	Vector   []float32 `json:"vector,omitempty"`
	Weight   float32   `json:"weight,omitempty"`
}

// Feedback holds hits a user accepted or rejected: they join the positives
// and negatives, and a logistic model trained on all of them adds its
// ranking to the examples'.
type Feedback struct {
	Accept []Target `json:"accept,omitempty"`
	Reject []Target `json:"reject,omitempty"`
}

// candidatesPerTarget is how many neighbours of each example are rescored:
// a wide net, because the final ranking is not the index's.
func candidatesPerTarget(k int) int { return max(4*k, 100) }

// searchMulti answers "more like these, unlike those".
func (e *Engine) searchMulti(ctx context.Context, dataset string, sp *spaceState, level storage.Level, req SearchRequest, start time.Time) (SearchResult, error) {
	if len(req.Positive) == 0 {
		return SearchResult{}, fieldErr(ErrInvalid, "positive", "a multi-target query needs at least one positive")
	}
	if len(req.Positive)+len(req.Negative) > 1000 {
		return SearchResult{}, fieldErr(ErrTooLarge, "positive", "at most 1000 targets")
	}
	var strategy analysis.Strategy
	switch req.Strategy {
	case "", "average":
		strategy = analysis.Average
	case "best_score":
		strategy = analysis.BestScore
	default:
		return SearchResult{}, fieldErr(ErrInvalid, "strategy", "must be average or best_score, got %q", req.Strategy)
	}
	exclude := map[uint64]bool{}
	pos, posW, err := e.targetVectors(ctx, dataset, sp, level, "positive", req.Positive, exclude)
	if err != nil {
		return SearchResult{}, err
	}
	neg, negW, err := e.targetVectors(ctx, dataset, sp, level, "negative", req.Negative, exclude)
	if err != nil {
		return SearchResult{}, err
	}
	// Feedback joins the examples: accepted hits are positives and rejected
	// ones negatives. A logistic model on all of them then adds its ranking
	// to the examples' (blendScores), not replaces it: alone, on a handful
	// of examples in hundreds of dimensions, it separates them perfectly
	// and can rank the rest by noise (precision@100 0.41 against 0.99 for
	// the same examples in TestFeedbackNoWorseThanExamples).
	var nAcc, nRej int
	if fb := req.Feedback; fb != nil && len(fb.Accept)+len(fb.Reject) > 0 {
		acc, accW, err := e.targetVectors(ctx, dataset, sp, level, "feedback.accept", fb.Accept, exclude)
		if err != nil {
			return SearchResult{}, err
		}
		rej, rejW, err := e.targetVectors(ctx, dataset, sp, level, "feedback.reject", fb.Reject, exclude)
		if err != nil {
			return SearchResult{}, err
		}
		nAcc, nRej = len(acc), len(rej)
		pos, posW = append(pos, acc...), append(posW, accW...)
		neg, negW = append(neg, rej...), append(negW, rejW...)
	}
	q := analysis.MultiQuery{Positives: pos, Negatives: neg, PosWeights: posW, NegWeights: negW, Metric: sp.metric}
	sq := StoreQuery{Dataset: dataset, Space: sp.info.Name, Level: level, Metric: sp.metric,
		K: candidatesPerTarget(req.K), Ef: max(req.Ef, candidatesPerTarget(req.K))}
	if len(req.Filter) > 0 {
		if _, err := compileFilter(req.Filter, level); err != nil {
			return SearchResult{}, err
		}
		sq.Filter = req.Filter
	}
	// Gather candidates: the Rocchio vector's neighbours and each positive's.
	var warnings []string
	seen := map[uint64]bool{}
	var cands []uint64
	add := func(v []float32) error {
		sq.Vector = v
		res, err := e.store.Search(ctx, sq)
		warnings = res.Warnings
		for _, h := range res.Hits {
			if !seen[h.ID] && !exclude[h.ID] {
				seen[h.ID] = true
				cands = append(cands, h.ID)
			}
		}
		return fromStorage(err)
	}
	if rv, err := analysis.RocchioVector(q); err == nil {
		if err := add(rv); err != nil {
			return SearchResult{}, err
		}
	}
	for _, v := range pos {
		if err := add(v); err != nil {
			return SearchResult{}, err
		}
	}
	vecs, err := e.store.Vectors(ctx, dataset, sp.info.Name, level, cands)
	if err != nil {
		return SearchResult{}, fromStorage(err)
	}
	scored, err := analysis.Rescore(ctx, q, strategy, vecs, analysis.Options{Workers: e.workers()})
	if err != nil {
		return SearchResult{}, fieldErr(ErrInvalid, "positive", "%v", err)
	}
	if nAcc+nRej > 0 && len(neg) > 0 {
		x := append(append([][]float32{}, pos...), neg...)
		y := make([]bool, len(x))
		for i := range pos {
			y[i] = true
		}
		m, err := analysis.TrainLogistic(ctx, x, y, analysis.LogisticOptions{Metric: sp.metric, Unbalanced: true})
		if err != nil {
			return SearchResult{}, fieldErr(ErrInvalid, "feedback", "%v", err)
		}
		lr, err := m.Rerank(ctx, vecs, analysis.Options{Workers: e.workers()})
		if err != nil {
			return SearchResult{}, err
		}
		scored = blendScores(scored, lr)
	}
	out, err := e.scoredHits(ctx, dataset, sp, cands, vecs, scored[:min(req.K, len(scored))], pos)
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{Hits: out, Warnings: warnings, TookMs: float64(time.Since(start).Microseconds()) / 1000}, nil
}

// blendScores ranks candidates by the sum of two rankings' standardised
// scores: the examples' similarity and the feedback model's decision. A
// flat model adds nothing; a confident one moves what the examples alone
// leave close.
func blendScores(a, b []analysis.Scored) []analysis.Scored {
	za, zb := standardised(a), standardised(b)
	out := make([]analysis.Scored, len(a))
	for _, s := range a {
		out[s.Index] = analysis.Scored{Index: s.Index, Score: za[s.Index] + zb[s.Index], Matched: s.Matched}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// standardised maps each candidate index to its score's z-value (0 when
// every score is the same).
func standardised(s []analysis.Scored) map[int]float64 {
	var mean, sq float64
	for _, x := range s {
		mean += x.Score
	}
	mean /= float64(max(len(s), 1))
	for _, x := range s {
		sq += (x.Score - mean) * (x.Score - mean)
	}
	sd := math.Sqrt(sq / float64(max(len(s), 1)))
	z := make(map[int]float64, len(s))
	for _, x := range s {
		if sd > 0 {
			z[x.Index] = (x.Score - mean) / sd
		}
	}
	return z
}

// scoredHits resolves the ranked candidates, each hit carrying the score
// that ranked it (resolved in the same pass, so a point deleted meanwhile
// drops out without shifting scores onto its neighbours) and, as distance,
// that to the positive it matched (best_score) or to its nearest positive.
func (e *Engine) scoredHits(ctx context.Context, dataset string, sp *spaceState, cands []uint64, vecs [][]float32, scored []analysis.Scored, pos [][]float32) ([]Hit, error) {
	iids := make([]uint64, len(scored))
	for i, s := range scored {
		iids[i] = cands[s.Index]
	}
	res, err := e.store.Resolve(ctx, dataset, iids)
	if err != nil {
		return nil, fromStorage(err)
	}
	out := make([]Hit, 0, len(res))
	for i, r := range res {
		if r.PointID == "" {
			continue // deleted between search and resolve
		}
		s := scored[i]
		h := Hit{ID: r.PointID, ObjectID: r.ObjectID, URI: r.URI, Metadata: r.Metadata, Score: &s.Score}
		if s.Matched >= 0 {
			h.Matched = &s.Matched
			h.Distance = distance(sp.metric, prepareQuery(pos[s.Matched], sp.metric), vecs[s.Index])
		} else {
			h.Distance = float32(math.Inf(1))
			for _, p := range pos {
				h.Distance = min(h.Distance, distance(sp.metric, prepareQuery(p, sp.metric), vecs[s.Index]))
			}
		}
		if r.Object != nil {
			bbox := r.Object.BBox
			h.Kind, h.Class, h.BBox = r.Object.Kind, r.Object.Class, &bbox
		}
		out = append(out, h)
	}
	return out, nil
}

// targetVectors resolves targets to vectors, applying the provenance guard
// to targets from other datasets; same-dataset stored targets are added to
// exclude so that examples are not returned as their own results.
func (e *Engine) targetVectors(ctx context.Context, dataset string, sp *spaceState, level storage.Level, field string, ts []Target, exclude map[uint64]bool) ([][]float32, []float32, error) {
	vecs := make([][]float32, 0, len(ts))
	var weights []float32
	for i, t := range ts {
		f := fmt.Sprintf("%s[%d]", field, i)
		w := t.Weight
		if w == 0 {
			w = 1
		}
		if w < 0 || w != w {
			return nil, nil, fieldErr(ErrInvalid, f+".weight", "must be positive")
		}
		weights = append(weights, w)
		if t.Vector != nil {
			if t.ID != "" {
				return nil, nil, fieldErr(ErrInvalid, f, "give id or vector, not both")
			}
			if err := checkVector(f+".vector", t.Vector, sp.info.Dim, sp.metric); err != nil {
				return nil, nil, err
			}
			vecs = append(vecs, t.Vector)
			continue
		}
		ds := dataset
		if t.Dataset != "" && t.Dataset != dataset {
			if err := e.SameSpace(dataset, t.Dataset, sp.info.Name); err != nil {
				return nil, nil, err
			}
			ds = t.Dataset
		}
		ref := storage.Ref{PointID: t.ID}
		if level == storage.LevelObject {
			ref.ObjectID = t.ObjectID
		}
		iid, err := e.store.IIDOf(ctx, ds, ref)
		if err != nil {
			return nil, nil, fieldErr(ErrNotFound, f+".id", "%v", fromStorage(err))
		}
		v, err := e.store.Vector(ctx, ds, sp.info.Name, level, iid)
		if err != nil {
			return nil, nil, fieldErr(ErrNotFound, f+".id", "%q has no vector in space %q", t.ID, sp.info.Name)
		}
		if ds == dataset {
			exclude[iid] = true
		}
		vecs = append(vecs, v)
	}
	return vecs, weights, nil
}
