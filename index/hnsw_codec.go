package index

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// HNSW encoding (little-endian):
//
//	magic "REEFHNSW", version u32
//	dim u32, metric u8, M u32, efC u32, efS u32, seed u64
//	quantization u8 (0 none, 1 sq8); for sq8: trainedAt u32 (0: codes
//	not trained yet), then if trained step f32 and dim×f32 lo
//	targetRecall f64 bits u64, tuned ef u32 (0: not tuned), tuned at u32
//	nodes u32, entry u32, maxLevel u32
//	per node: level u8, label u64, dim×f32, then per level 0..level:
//	          count u32, count×u32 node links
//
// Nodes are renumbered densely on write (free slots are dropped), so every
// node costs at least 13+4·dim input bytes: a decoder's memory stays
// proportional to its input. Vectors are stored as held (normalised under
// Cosine), so a round trip is bit-exact. Codes are not stored: the decoder
// re-encodes them from the vectors and the stored quantiser parameters,
// which gives the same bytes.
//
// Version 1 (before quantisation) is rejected with ErrSnapshotVersion, so
// callers rebuild from storage instead of misreading it.

const (
	hnswMagic   = "REEFHNSW"
	hnswVersion = 2
	maxNodes    = 1 << 31
)

// WriteTo implements io.WriterTo. Inserts, deletes (and searches) wait
// while it runs, since the graph must not change mid-write.
func (h *HNSW) WriteTo(w io.Writer) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	dense := make([]uint32, h.nSlots)
	n := uint32(0)
	for s := range h.nSlots {
		if h.levels[s] >= 0 {
			dense[s] = n
			n++
		}
	}
	e := newEncoder(w)
	e.write([]byte(hnswMagic))
	e.u32(hnswVersion)
	c := h.cfg
	e.u32(uint32(c.Dim))
	e.u8(uint8(c.Metric))
	e.u32(uint32(c.M))
	e.u32(uint32(c.EfConstruction))
	e.u32(uint32(c.EfSearch))
	e.u64(uint64(c.Seed))
	if h.quant {
		e.u8(1)
		if h.sqReady.Load() {
			e.u32(uint32(h.sq.trainedAt))
			e.f32s([]float32{h.sq.step})
			e.f32s(h.sq.lo)
		} else {
			e.u32(0)
		}
	} else {
		e.u8(0)
	}
	e.u64(math.Float64bits(c.TargetRecall))
	e.u32(uint32(h.efTuned.Load()))
	e.u32(uint32(h.tunedAt.Load()))
	e.u32(n)
	if n > 0 {
		e.u32(dense[h.ep])
		e.u32(uint32(h.maxLevel))
	} else {
		e.u32(0)
		e.u32(0)
	}
	for s := range h.nSlots {
		lv := int(h.levels[s])
		if lv < 0 {
			continue
		}
		e.u8(uint8(lv))
		e.u64(h.slotLabel[s])
		e.f32s(h.vec(s))
		for l := 0; l <= lv; l++ {
			ls := h.linksOf(s, l)
			e.u32(uint32(len(ls)))
			for _, x := range ls {
				e.u32(dense[x])
			}
		}
	}
	return e.flush()
}

// decodeBudget is the storage a decoder may allocate for in input bytes.
// Legitimate files stay far below it: upper levels hold ~1/(M-1) of the
// nodes, each with ~M links, on ~log_M(n) levels.
func decodeBudget(in int64) int64 { return 16*in + 1<<20 }

// lenner is implemented by bytes.Reader, bytes.Buffer and strings.Reader;
// when available, header counts are checked against the bytes left.
type lenner interface{ Len() int }

// ReadHNSW decodes an index written by WriteTo. Corrupt or truncated input
// yields an error wrapping ErrCorruptSnapshot, never a panic.
func ReadHNSW(r io.Reader) (*HNSW, error) {
	limit := int64(-1)
	if l, ok := r.(lenner); ok {
		limit = int64(l.Len())
	}
	return readHNSW(r, limit)
}

// readHNSW decodes with an optional known payload size (-1 if unknown).
func readHNSW(r io.Reader, limit int64) (*HNSW, error) {
	d := newDecoder(r)
	var magic [8]byte
	d.read(magic[:])
	if d.err == nil && string(magic[:]) != hnswMagic {
		d.fail("bad HNSW magic %q", magic[:])
	}
	if v := d.u32(); d.err == nil && v != hnswVersion {
		d.err = fmt.Errorf("%w: %w: HNSW format %d, this build reads %d", ErrCorruptSnapshot, ErrSnapshotVersion, v, hnswVersion)
	}
	cfg := Config{Backend: BackendHNSW}
	cfg.Dim = int(d.bounded("dim", 1, MaxDim))
	cfg.Metric = Metric(d.u8())
	cfg.M = int(d.bounded("M", MinM, MaxM))
	cfg.EfConstruction = int(d.bounded("efConstruction", 1, maxEf))
	cfg.EfSearch = int(d.bounded("efSearch", 1, maxEf))
	cfg.Seed = int64(d.u64())
	var sq sq8
	switch qm := d.u8(); {
	case d.err != nil:
	case qm == 1:
		cfg.Quantization = QuantSQ8
		sq.trainedAt = int(d.bounded("sq8 trained size", 0, maxNodes))
		if sq.trainedAt > 0 && d.err == nil && cfg.Dim > 0 {
			var step [1]float32
			d.f32s(step[:])
			lo := make([]float32, cfg.Dim) // dim already bounded by MaxDim
			d.f32s(lo)
			if d.err == nil && !validSQ8(step[0], lo) {
				d.fail("sq8 parameters not finite or step not positive")
			}
			sq.lo, sq.step = lo, step[0]
		}
	case qm != 0:
		d.fail("unknown quantization %d", qm)
	}
	cfg.TargetRecall = math.Float64frombits(d.u64())
	efTuned := d.bounded("tuned ef", 0, maxEf)
	tunedAt := d.bounded("tuned size", 0, maxNodes)
	n := d.bounded("node count", 0, maxNodes)
	ep := d.u32()
	top := int(d.bounded("max level", 0, maxLevels-1))
	if d.err != nil {
		return nil, d.err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
	}
	perNode := int64(13 + 4*cfg.Dim)
	if limit >= 0 && int64(n)*perNode > limit {
		return nil, fmt.Errorf("%w: %d nodes cannot fit in %d bytes", ErrCorruptSnapshot, n, limit)
	}
	h, err := NewHNSW(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
	}
	// Pre-size only while the link rows stay proportional to the input:
	// a node needs as few as 13+4·dim input bytes but owns a 4·(2M+1)-byte
	// layer-0 row. Otherwise storage grows (geometrically) as nodes arrive.
	if limit >= 0 && int64(n)*int64(4*h.stride0) <= decodeBudget(limit) {
		h.growTo(int(n), 0, 0) // count verified against the input size
	}
	var row []uint32
	for s := uint32(0); s < n && d.err == nil; s++ {
		lv := int(d.u8())
		if d.err == nil && lv > top {
			d.fail("node %d level %d above max level %d", s, lv, top)
		}
		if d.err != nil {
			break
		}
		// Storage grows (geometrically) only as nodes actually arrive.
		// An upper row is allocated on every upper level (rows are dense
		// across levels), costing 4·(M+1)·maxLevel bytes for as little as
		// 4 bytes of link count per level: many nodes on high levels would
		// cost ~100x their input in memory (and each later Delete scans
		// every level). Keep upper storage proportional to the input read.
		if lv > 0 {
			need := int64(max(len(h.upper), lv)) * int64(h.nUp+1) * int64(4*(h.m+1))
			if need > decodeBudget(d.n) {
				d.fail("node %d: %d nodes on upper levels (up to %d) need %d bytes of links for %d input bytes", s, h.nUp+1, lv, need, d.n)
				break
			}
		}
		h.growTo(int(s)+1, int(h.nUp)+1, lv)
		id := d.u64()
		if _, dup := h.labels[id]; dup && d.err == nil {
			d.fail("duplicate label %d", id)
		}
		d.f32s(h.vec(s))
		if d.err != nil {
			break
		}
		h.labels[id] = s
		h.slotLabel[s] = id
		h.levels[s] = int8(lv)
		h.up[s] = noUp
		if lv > 0 {
			h.up[s] = h.nUp
			h.nUp++
		}
		h.nSlots = s + 1
		h.count++
		for l := 0; l <= lv && d.err == nil; l++ {
			cnt := int(d.bounded("link count", 0, uint32(h.maxLinks(l))))
			row = row[:0]
			for i := 0; i < cnt && d.err == nil; i++ {
				x := d.bounded("link", 0, n-1)
				if x == s && d.err == nil {
					d.fail("node %d links to itself", s)
				}
				row = append(row, x)
			}
			if d.err != nil {
				break
			}
			r := h.row(s, l)
			r[0] = uint32(len(row))
			copy(r[1:], row)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	// Checks that need every node: links point at nodes present on that
	// level and the entry point is a top-level node.
	for s := range h.nSlots {
		lv := int(h.levels[s])
		for l := 0; l <= lv; l++ {
			for _, x := range h.linksOf(s, l) {
				if int(h.levels[x]) < l {
					return nil, fmt.Errorf("%w: node %d links to %d absent on level %d", ErrCorruptSnapshot, s, x, l)
				}
			}
		}
		h.ready[s] = 1
	}
	h.efTuned.Store(int32(efTuned))
	h.tunedAt.Store(int64(tunedAt))
	if sq.trainedAt > 0 {
		h.sq.setParams(sq.lo, sq.step)
		h.sq.trainedAt = sq.trainedAt
		for s := range h.nSlots {
			h.setCode(s, h.vec(s))
		}
		h.sqTrainedAt.Store(int64(sq.trainedAt))
		h.sqReady.Store(true)
	}
	if n == 0 {
		if ep != 0 || top != 0 {
			return nil, fmt.Errorf("%w: empty index with entry %d level %d", ErrCorruptSnapshot, ep, top)
		}
		return h, nil
	}
	if ep >= n || int(h.levels[ep]) != top {
		return nil, fmt.Errorf("%w: bad entry point %d", ErrCorruptSnapshot, ep)
	}
	h.ep, h.maxLevel = ep, top
	// Levels for later inserts come from a fresh stream, not the original.
	h.rng = rand.New(rand.NewPCG(uint64(cfg.Seed)^uint64(n), 0x9e3779b97f4a7c15))
	return h, nil
}
