package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// SearchRequest asks for the nearest neighbours of one query: a raw vector,
// or a stored point (ID) or object (ID and ObjectID), which is then left out
// of its own results.
type SearchRequest struct {
	Space    string    `json:"space"`
	Vector   []float32 `json:"vector,omitempty"`
	ID       string    `json:"id,omitempty"`
	ObjectID string    `json:"object_id,omitempty"`
	K        int       `json:"k,omitempty"`
	Ef       int       `json:"ef,omitempty"`
	Exact    bool      `json:"exact,omitempty"`
	Filter   Filter    `json:"filter,omitempty"`
	Level    string    `json:"level,omitempty"` // "point" (default) or "object"

	// Positive and Negative make a multi-target query ("more like these,
	// unlike those") instead of Vector/ID; Strategy is "average" (Rocchio
	// centroid, default) or "best_score" (max similarity to any positive,
	// penalised by the nearest negative). Feedback's accepted and rejected
	// hits join the positives and negatives, and a logistic model trained
	// on them adds its ranking.
	Positive []Target  `json:"positive,omitempty"`
	Negative []Target  `json:"negative,omitempty"`
	Strategy string    `json:"strategy,omitempty"`
	Feedback *Feedback `json:"feedback,omitempty"`

	// Radius, when positive, returns every point within that distance
	// (up to k, which then defaults to the k limit); with CountOnly just
	// their number.
	Radius    float32 `json:"radius,omitempty"`
	CountOnly bool    `json:"count_only,omitempty"`
}

// Hit is one search result.
type Hit struct {
	ID       string          `json:"id"`
	ObjectID string          `json:"object_id,omitempty"`
	Distance float32         `json:"distance"`
	URI      string          `json:"uri,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Kind     string          `json:"kind,omitempty"`
	Class    string          `json:"class,omitempty"`
	BBox     *[4]float32     `json:"bbox,omitempty"`
	// Score and Matched are set by multi-target queries: the strategy's
	// score (larger is better) and the index of the positive matched.
	Score   *float64 `json:"score,omitempty"`
	Matched *int     `json:"matched,omitempty"`
}

// SearchResult holds hits, nearest first.
type SearchResult struct {
	Hits  []Hit `json:"hits"`
	Count *int  `json:"count,omitempty"` // radius queries
	// Warnings say why an answer may be emptier than expected, e.g. a
	// filter field that no point has.
	Warnings []string `json:"warnings,omitempty"`
	TookMs   float64  `json:"took_ms"`
}

// selectiveFilter is the matching-set size below which a filtered search
// scans the set exactly: HNSW traversal wastes its work when few nodes pass.
const selectiveFilter = 2048

func parseLevel(s string) (storage.Level, error) {
	switch s {
	case "", "point":
		return storage.LevelPoint, nil
	case "object":
		return storage.LevelObject, nil
	}
	return 0, fieldErr(ErrInvalid, "level", "must be \"point\" or \"object\", got %q", s)
}

// Search runs one nearest-neighbour query.
func (e *Engine) Search(ctx context.Context, dataset string, req SearchRequest) (SearchResult, error) {
	start := time.Now()
	_, sp, err := e.space(dataset, req.Space)
	if err != nil {
		return SearchResult{}, err
	}
	level, err := parseLevel(req.Level)
	if err != nil {
		return SearchResult{}, err
	}
	if req.Radius > 0 && req.K == 0 {
		req.K = e.opts.Limits.MaxK
	}
	if err := e.checkKEf(&req.K, req.Ef); err != nil {
		return SearchResult{}, err
	}
	if len(req.Positive) > 0 || len(req.Negative) > 0 {
		if req.Vector != nil || req.ID != "" {
			return SearchResult{}, fieldErr(ErrInvalid, "positive", "give positive/negative or vector/id, not both")
		}
		return e.searchMulti(ctx, dataset, sp, level, req, start)
	}
	q, self, err := e.queryVector(ctx, dataset, sp, level, req)
	if err != nil {
		return SearchResult{}, err
	}
	k := req.K
	if self != 0 {
		k++ // the query point finds itself; drop it below
	}
	sq := StoreQuery{Dataset: dataset, Space: req.Space, Level: level, Metric: sp.metric, Vector: q, K: k, Ef: req.Ef, Exact: req.Exact}
	if len(req.Filter) > 0 {
		if _, err := compileFilter(req.Filter, level); err != nil {
			return SearchResult{}, err
		}
		sq.Filter = req.Filter
	}
	res, err := e.store.Search(ctx, sq)
	if err != nil {
		return SearchResult{}, fromStorage(err)
	}
	hits, warnings := res.Hits, res.Warnings
	if req.Radius > 0 {
		hits = withinRadius(hits, req.Radius)
		if req.CountOnly {
			n := len(hits)
			for _, h := range hits {
				if h.ID == self && self != 0 {
					n--
				}
			}
			return SearchResult{Hits: []Hit{}, Count: &n, Warnings: warnings, TookMs: float64(time.Since(start).Microseconds()) / 1000}, nil
		}
	}
	out, err := e.resolveHits(ctx, dataset, hits, self, req.K)
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{Hits: out, Warnings: warnings, TookMs: float64(time.Since(start).Microseconds()) / 1000}, nil
}

func (e *Engine) checkKEf(k *int, ef int) error {
	if *k == 0 {
		*k = 10
	}
	if *k < 0 || *k > e.opts.Limits.MaxK {
		return fieldErr(ErrInvalid, "k", "must be between 1 and %d, got %d", e.opts.Limits.MaxK, *k)
	}
	if ef < 0 || ef > e.opts.Limits.MaxEf {
		return fieldErr(ErrInvalid, "ef", "must be between 1 and %d, got %d", e.opts.Limits.MaxEf, ef)
	}
	return nil
}

// queryVector returns the query and, for stored queries, the IID to leave out.
func (e *Engine) queryVector(ctx context.Context, dataset string, sp *spaceState, level storage.Level, req SearchRequest) ([]float32, uint64, error) {
	switch {
	case req.Vector != nil && req.ID != "":
		return nil, 0, fieldErr(ErrInvalid, "vector", "give either vector or id, not both")
	case req.Vector != nil:
		return req.Vector, 0, checkVector("vector", req.Vector, sp.info.Dim, sp.metric)
	case req.ID == "":
		return nil, 0, fieldErr(ErrInvalid, "vector", "a query needs a vector or an id")
	}
	ref := storage.Ref{PointID: req.ID}
	if level == storage.LevelObject {
		if req.ObjectID == "" {
			return nil, 0, fieldErr(ErrInvalid, "object_id", "an object-level query by id needs object_id")
		}
		ref.ObjectID = req.ObjectID
	}
	iid, err := e.store.IIDOf(ctx, dataset, ref)
	if err != nil {
		return nil, 0, fieldErr(ErrNotFound, "id", "%v", fromStorage(err))
	}
	v, err := e.store.Vector(ctx, dataset, sp.info.Name, level, iid)
	if err != nil {
		return nil, 0, fieldErr(ErrNotFound, "id", "%q has no vector in space %q", req.ID, sp.info.Name)
	}
	return v, iid, nil
}

func (e *Engine) resolveHits(ctx context.Context, dataset string, hits []index.Hit, self uint64, k int) ([]Hit, error) {
	iids := make([]uint64, 0, len(hits))
	dists := make([]float32, 0, len(hits))
	for _, h := range hits {
		if h.ID == self && self != 0 {
			continue
		}
		iids, dists = append(iids, h.ID), append(dists, h.Distance)
	}
	if len(iids) > k {
		iids, dists = iids[:k], dists[:k]
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
		h := Hit{ID: r.PointID, ObjectID: r.ObjectID, Distance: dists[i], URI: r.URI, Metadata: r.Metadata}
		if r.Object != nil {
			bbox := r.Object.BBox
			h.Kind, h.Class, h.BBox = r.Object.Kind, r.Object.Class, &bbox
		}
		out = append(out, h)
	}
	return out, nil
}

// withinRadius keeps the hits at distance ≤ r (hits are sorted).
func withinRadius(hits []index.Hit, r float32) []index.Hit {
	for i, h := range hits {
		if h.Distance > r {
			return hits[:i]
		}
	}
	return hits
}
