package index

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Exact is a brute-force index: the ground truth for recall measurements
// and the right choice for small sets.
type Exact struct {
	dim    int
	metric Metric
	dist   distFunc

	mu     sync.RWMutex
	labels map[uint64]uint32
	slotID []uint64
	vecs   []float32
	free   []uint32
	live   []bool
}

// exactParallelMin is the size above which a search fans out across cores;
// below it goroutine start-up costs more than the scan.
const exactParallelMin = 16384

// NewExact returns an empty exact index.
func NewExact(dim int, metric Metric) (*Exact, error) {
	if err := (Config{Backend: BackendExact, Dim: dim, Metric: metric}).Validate(); err != nil {
		return nil, err
	}
	d, err := distanceFor(metric)
	if err != nil {
		return nil, err
	}
	return &Exact{dim: dim, metric: metric, dist: d, labels: make(map[uint64]uint32)}, nil
}

// Dim implements Index.
func (e *Exact) Dim() int { return e.dim }

// Metric implements Index.
func (e *Exact) Metric() Metric { return e.metric }

// Len implements Index.
func (e *Exact) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.labels)
}

// Add implements Index.
func (e *Exact) Add(id uint64, vec []float32) error {
	if err := checkVector(vec, e.dim, e.metric); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.put(id, vec)
	return nil
}

func (e *Exact) put(id uint64, vec []float32) {
	slot, ok := e.labels[id]
	if !ok {
		if n := len(e.free); n > 0 {
			slot = e.free[n-1]
			e.free = e.free[:n-1]
		} else {
			slot = uint32(len(e.slotID))
			e.slotID = append(e.slotID, 0)
			e.live = append(e.live, false)
			e.vecs = append(e.vecs, make([]float32, e.dim)...)
		}
		e.labels[id] = slot
	}
	e.slotID[slot] = id
	e.live[slot] = true
	prepare(e.vecs[int(slot)*e.dim:int(slot+1)*e.dim], vec, e.metric)
}

// MemoryBytes implements MemoryReporter.
func (e *Exact) MemoryBytes() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return 4*cap(e.vecs) + 8*cap(e.slotID) + cap(e.live) + 4*cap(e.free) + mapEntryBytes*len(e.labels)
}

// Delete implements Index.
func (e *Exact) Delete(id uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	slot, ok := e.labels[id]
	if !ok {
		return false
	}
	delete(e.labels, id)
	e.live[slot] = false
	e.free = append(e.free, slot)
	return true
}

// IDs implements Index.
func (e *Exact) IDs(fn func(id uint64) bool) {
	e.mu.RLock()
	ids := make([]uint64, 0, len(e.labels))
	for id := range e.labels {
		ids = append(ids, id)
	}
	e.mu.RUnlock()
	for _, id := range ids {
		if !fn(id) {
			return
		}
	}
}

// Search implements Index. Ef is ignored; results are exact.
func (e *Exact) Search(ctx context.Context, q []float32, k int, opts SearchOptions) ([]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("%w: k=%d", ErrInvalidArgument, k)
	}
	if err := checkVector(q, e.dim, e.metric); err != nil {
		return nil, err
	}
	if k == 0 {
		return []Hit{}, nil
	}
	qq := make([]float32, e.dim)
	prepare(qq, q, e.metric)
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := len(e.slotID)
	parts := 1
	if n >= exactParallelMin && k <= 1024 {
		parts = min(runtime.GOMAXPROCS(0), n/(exactParallelMin/4))
	}
	heaps := make([]maxHeap, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Go(func() { heaps[p], errs[p] = e.scan(ctx, qq, k, lo, hi, opts.Filter) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res := heaps[0]
	for _, h := range heaps[1:] {
		for _, c := range h {
			pushBounded(&res, c, k)
		}
	}
	out := res.SortedAsc(nil)
	hits := make([]Hit, len(out))
	for i, c := range out {
		hits[i] = Hit{ID: e.slotID[c.ID], Distance: reportDist(e.metric, c.Dist)}
	}
	return hits, nil
}

func pushBounded(h *maxHeap, c cand, k int) {
	if len(*h) < k {
		h.Push(c)
	} else if c.Dist < (*h)[0].Dist {
		h.Pop()
		h.Push(c)
	}
}

func (e *Exact) scan(ctx context.Context, q []float32, k, lo, hi int, f Filter) (maxHeap, error) {
	res := make(maxHeap, 0, k+1)
	done := ctx.Done()
	for s := lo; s < hi; s++ {
		if done != nil && s%4096 == 0 {
			select {
			case <-done:
				return nil, ctx.Err()
			default:
			}
		}
		if !e.live[s] || (f != nil && !f(e.slotID[s])) {
			continue
		}
		pushBounded(&res, cand{Dist: e.dist(q, e.vecs[s*e.dim:(s+1)*e.dim]), ID: uint32(s)}, k)
	}
	return res, nil
}

// Exact encoding: magic "REEFEXCT", version u32, dim u32, metric u8,
// count u32, then count × (label u64, dim×f32) as held (normalised under
// Cosine).
const (
	exactMagic   = "REEFEXCT"
	exactVersion = 1
)

// WriteTo implements io.WriterTo.
func (e *Exact) WriteTo(w io.Writer) (int64, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	enc := newEncoder(w)
	enc.write([]byte(exactMagic))
	enc.u32(exactVersion)
	enc.u32(uint32(e.dim))
	enc.u8(uint8(e.metric))
	enc.u32(uint32(len(e.labels)))
	for s, ok := range e.live {
		if ok {
			enc.u64(e.slotID[s])
			enc.f32s(e.vecs[s*e.dim : (s+1)*e.dim])
		}
	}
	return enc.flush()
}

// ReadExact decodes an index written by (*Exact).WriteTo.
func ReadExact(r io.Reader) (*Exact, error) {
	limit := int64(-1)
	if l, ok := r.(lenner); ok {
		limit = int64(l.Len())
	}
	return readExact(r, limit)
}

func readExact(r io.Reader, limit int64) (*Exact, error) {
	d := newDecoder(r)
	var magic [8]byte
	d.read(magic[:])
	if d.err == nil && string(magic[:]) != exactMagic {
		d.fail("bad exact magic %q", magic[:])
	}
	if v := d.u32(); d.err == nil && v != exactVersion {
		d.fail("unsupported exact version %d", v)
	}
	dim := int(d.bounded("dim", 1, MaxDim))
	metric := Metric(d.u8())
	n := d.bounded("count", 0, maxNodes)
	if d.err != nil {
		return nil, d.err
	}
	if limit >= 0 && int64(n)*int64(8+4*dim) > limit {
		return nil, fmt.Errorf("%w: %d vectors cannot fit in %d bytes", ErrCorruptSnapshot, n, limit)
	}
	e, err := NewExact(dim, metric)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
	}
	v := make([]float32, dim)
	for i := uint32(0); i < n && d.err == nil; i++ {
		id := d.u64()
		d.f32s(v)
		if d.err != nil {
			break
		}
		if _, dup := e.labels[id]; dup {
			d.fail("duplicate label %d", id)
			break
		}
		// Stored as held (already normalised), so appended verbatim.
		slot := uint32(len(e.slotID))
		e.labels[id] = slot
		e.slotID = append(e.slotID, id)
		e.live = append(e.live, true)
		e.vecs = append(e.vecs, v...)
	}
	if d.err != nil {
		return nil, d.err
	}
	return e, nil
}
