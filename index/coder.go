package index

import (
	"cmp"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sync"

	"github.com/coder/hnsw"
	"github.com/viterin/vek/vek32"
)

// Coder wraps github.com/coder/hnsw v0.6.1 behind Index, faithfully: it is
// kept to compare against, not to be fixed. Known limitations of v0.6.1
// that show through this wrapper:
//   - its layer search bounds the result set by k rather than ef, so recall
//     is low (≈0.23 recall@10 on Fashion-MNIST) whatever Ef is set to;
//   - it has no efConstruction: EfSearch doubles as the construction ef, so
//     Add sets it to Config.EfConstruction and Search to the query's ef;
//   - layer 0 uses M links, not 2M;
//   - it has no filtering, so filtered searches over-fetch and filter after,
//     falling back to an exact scan when that still finds too few;
//   - its Delete can leave stale pointers to removed nodes, so results are
//     checked against the live node before being returned.
//
// The graph is not safe for concurrent use, so one mutex serialises every
// call; the library also panics on internal invariant failures, which the
// wrapper turns into errors.
type Coder struct {
	cfg Config
	mu  sync.Mutex
	g   *hnsw.Graph[uint64]
	ids map[uint64]struct{} // coder/hnsw has no way to iterate keys
}

// NewCoder returns an empty coder/hnsw-backed index.
func NewCoder(cfg Config) (*Coder, error) {
	cfg.Backend = BackendCoder
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := hnsw.NewGraph[uint64]()
	g.M = cfg.M
	g.EfSearch = cfg.EfSearch
	g.Rng = rand.New(rand.NewSource(cfg.Seed))
	switch cfg.Metric {
	case Cosine:
		g.Distance = hnsw.CosineDistance
	case L2:
		g.Distance = hnsw.EuclideanDistance
	case Dot:
		g.Distance = func(a, b []float32) float32 { return -vek32.Dot(a, b) }
	}
	return &Coder{cfg: cfg, g: g, ids: make(map[uint64]struct{})}, nil
}

// Dim implements Index.
func (c *Coder) Dim() int { return c.cfg.Dim }

// Metric implements Index.
func (c *Coder) Metric() Metric { return c.cfg.Metric }

// Len implements Index.
func (c *Coder) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.g.Len()
}

func recoverErr(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("index: coder/hnsw panicked: %v", r)
	}
}

// Add implements Index. The vector is copied (normalised under Cosine);
// coder/hnsw keeps the slice it is given.
func (c *Coder) Add(id uint64, vec []float32) (err error) {
	if err := checkVector(vec, c.cfg.Dim, c.cfg.Metric); err != nil {
		return err
	}
	v := make([]float32, len(vec))
	prepare(v, vec, c.cfg.Metric)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer recoverErr(&err)
	c.g.EfSearch = c.cfg.EfConstruction
	if _, ok := c.ids[id]; ok {
		// v0.6.1's own replace path deletes mid-insert and then trips its
		// "node not added" invariant, so delete first.
		c.g.Delete(id)
		delete(c.ids, id)
	}
	c.g.Add(hnsw.MakeNode(id, v))
	c.ids[id] = struct{}{}
	return nil
}

// Delete implements Index.
func (c *Coder) Delete(id uint64) (ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	delete(c.ids, id)
	return c.g.Delete(id)
}

// IDs implements Index.
func (c *Coder) IDs(fn func(id uint64) bool) {
	c.mu.Lock()
	ids := make([]uint64, 0, len(c.ids))
	for id := range c.ids {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		if !fn(id) {
			return
		}
	}
}

// Search implements Index.
func (c *Coder) Search(ctx context.Context, q []float32, k int, opts SearchOptions) (hits []Hit, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 0 || opts.Ef < 0 {
		return nil, fmt.Errorf("%w: k=%d ef=%d", ErrInvalidArgument, k, opts.Ef)
	}
	if err := checkVector(q, c.cfg.Dim, c.cfg.Metric); err != nil {
		return nil, err
	}
	if k == 0 {
		return []Hit{}, nil
	}
	qq := make([]float32, len(q))
	prepare(qq, q, c.cfg.Metric)
	ef := opts.Ef
	if ef == 0 {
		ef = c.cfg.EfSearch
	}
	ef = max(ef, k)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer recoverErr(&err)
	c.g.EfSearch = ef
	n := c.g.Len()
	for fetch := k; ; fetch *= 4 {
		fetch = min(fetch, n)
		nodes := c.g.Search(qq, fetch)
		hits = hits[:0]
		for _, nd := range nodes {
			if opts.Filter != nil && !opts.Filter(nd.Key) {
				continue
			}
			if cur, ok := c.g.Lookup(nd.Key); !ok || &cur[0] != &nd.Value[0] {
				// v0.6.1's Delete can leave stale neighbour pointers to a
				// removed (or replaced) node; never report those.
				continue
			}
			hits = append(hits, Hit{ID: nd.Key, Distance: c.g.Distance(qq, nd.Value)})
			if len(hits) == k {
				break
			}
		}
		if len(hits) == k || opts.Filter == nil || fetch >= n {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if opts.Filter != nil && len(hits) < k {
		// The graph walk cannot reach enough accepted nodes (its result set
		// is capped, see above), so scan the accepted ids exactly.
		hits = c.scanLocked(qq, k, opts.Filter)
	}
	if hits == nil {
		hits = []Hit{}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(a.Distance, b.Distance) })
	return hits, nil
}

func (c *Coder) scanLocked(q []float32, k int, f Filter) []Hit {
	var res maxHeap
	var ids []uint64
	for id := range c.ids {
		if !f(id) {
			continue
		}
		v, ok := c.g.Lookup(id)
		if !ok {
			continue
		}
		ids = append(ids, id)
		pushBounded(&res, cand{Dist: c.g.Distance(q, v), ID: uint32(len(ids) - 1)}, k)
	}
	out := res.SortedAsc(nil)
	hits := make([]Hit, len(out))
	for i, x := range out {
		hits[i] = Hit{ID: ids[x.ID], Distance: x.Dist}
	}
	return hits
}
