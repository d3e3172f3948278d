package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Storage layout.
//
// Every node lives in a slot (uint32). Vectors are one contiguous []float32
// (slot*dim), layer-0 adjacency one flat []uint32 of rows [count, 2M links],
// so the hot loop touches two predictable arrays and no pointers. Only about
// 1/M of the nodes reach layer 1, so upper layers are indexed by a second,
// dense "upper row" number: upper[l-1] holds rows [count, M links] and
// up[slot] says which row a node owns (noUp for layer-0-only nodes).
//
// Locking.
//
//   - mu (RWMutex): shared for searches and inserts; exclusive for storage
//     growth, Delete (whose repair rewrites arbitrary lists) and decoding.
//   - locks: striped mutexes guarding link rows; a goroutine holds at most
//     one, so striping cannot deadlock.
//   - allocMu: slot/row allocation, the label map, free lists and the RNG.
//   - epMu: entry point and max level; topMu serialises the rare inserts
//     that raise the max level (as the paper's Algorithm 1 updates ep last).
//
// A node becomes reachable only through a link row written under a stripe
// lock after its vector, level and label were stored, so readers that take
// the same stripe lock see fully initialised nodes.

const (
	noUp      = math.MaxUint32
	maxLevels = 16 // P(level >= 16) = M^-16: never reached in practice
	lockBits  = 12
	lockMask  = 1<<lockBits - 1
)

// HNSW is reef's hierarchical navigable small world index.
type HNSW struct {
	cfg    Config
	dim    int
	metric Metric
	dist   distFunc
	m, m0  int
	ml     float64

	mu    sync.RWMutex
	locks [1 << lockBits]sync.Mutex

	allocMu   sync.Mutex
	labels    map[uint64]uint32
	free      []uint32
	upFree    []uint32
	nSlots    uint32 // high-water mark of slots ever used
	nUp       uint32
	count     int
	rng       *rand.Rand
	slotLabel []uint64
	levels    []int8 // -1 for a free slot
	// ready[slot] is 1 once a node is fully inserted; read and written with
	// sync/atomic so exact scans can walk slots while inserts run.
	ready []uint32

	vecs []float32
	// links0 holds one layer-0 record per slot, stride0 words apart: the
	// sq8 code (codeW words) and its norm (1 word), when quantised, then
	// the link row.
	links0  []uint32
	stride0 int
	codeW   int
	codeLen int
	rowOff  int // words before the link row in a record
	up      []uint32
	upper   [][]uint32
	capUp   int

	epMu     sync.Mutex
	ep       uint32
	maxLevel int // -1 when empty
	topMu    sync.Mutex

	// SQ8 state: quant is fixed at construction; sq is written only under
	// mu held exclusively; sqReady/sqTrainedAt mirror it for lock-free
	// checks on the insert path.
	quant       bool
	sq          sq8
	sqReady     atomic.Bool
	sqTrainedAt atomic.Int64

	// Self-tuned default ef (hnsw_tune.go): efTuned is 0 until tuned.
	tuneMu  sync.Mutex
	efTuned atomic.Int32
	tunedAt atomic.Int64

	pool sync.Pool
}

// NewHNSW returns an empty HNSW index.
func NewHNSW(cfg Config) (*HNSW, error) {
	if cfg.Backend == "" {
		cfg.Backend = BackendHNSW
	}
	if cfg.Backend != BackendHNSW {
		return nil, fmt.Errorf("%w: NewHNSW with backend %q", ErrInvalidConfig, cfg.Backend)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := distanceFor(cfg.Metric)
	if err != nil {
		return nil, err
	}
	h := &HNSW{
		cfg: cfg, dim: cfg.Dim, metric: cfg.Metric, dist: d,
		m: cfg.M, m0: 2 * cfg.M, ml: 1 / math.Log(float64(cfg.M)),
		labels:   make(map[uint64]uint32),
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		maxLevel: -1,
		quant:    cfg.Quantization == QuantSQ8,
	}
	h.stride0 = record0Words(cfg.Dim, h.m0, h.quant)
	if h.quant {
		h.codeW = codeWords(cfg.Dim)
		h.codeLen = 4 * h.codeW
		h.rowOff = h.codeW + 1
	}
	return h, nil
}

// Config returns the configuration the index was built with.
func (h *HNSW) Config() Config { return h.cfg }

// Dim implements Index.
func (h *HNSW) Dim() int { return h.dim }

// Metric implements Index.
func (h *HNSW) Metric() Metric { return h.metric }

// Len implements Index.
func (h *HNSW) Len() int {
	h.allocMu.Lock()
	defer h.allocMu.Unlock()
	return h.count
}

// IDs implements Index. It iterates over a copy taken under the lock, so
// fn may call back into the index.
func (h *HNSW) IDs(fn func(id uint64) bool) {
	h.allocMu.Lock()
	ids := make([]uint64, 0, len(h.labels))
	for id := range h.labels {
		ids = append(ids, id)
	}
	h.allocMu.Unlock()
	for _, id := range ids {
		if !fn(id) {
			return
		}
	}
}

func (h *HNSW) vec(slot uint32) []float32 {
	o := int(slot) * h.dim
	return h.vecs[o : o+h.dim : o+h.dim]
}

func (h *HNSW) lockFor(slot uint32) *sync.Mutex { return &h.locks[slot&lockMask] }

// row returns the link row (count followed by capacity links) of slot at
// level l. Callers hold the slot's stripe lock or mu exclusively.
func (h *HNSW) row(slot uint32, l int) []uint32 {
	if l == 0 {
		w := h.m0 + 1
		o := int(slot)*h.stride0 + h.rowOff
		return h.links0[o : o+w : o+w]
	}
	w := h.m + 1
	o := int(h.up[slot]) * w
	return h.upper[l-1][o : o+w : o+w]
}

func (h *HNSW) maxLinks(l int) int {
	if l == 0 {
		return h.m0
	}
	return h.m
}

func (h *HNSW) randomLevel() int {
	u := 1 - h.rng.Float64() // (0, 1]
	l := int(-math.Log(u) * h.ml)
	return min(l, maxLevels-1)
}

// allocation is what tryAlloc hands back; grow is set when storage must be
// enlarged first.
type allocation struct {
	slot     uint32
	level    int
	exists   bool
	growSlot bool
	growUp   bool
}

// tryAlloc reserves a slot for a new label. Caller holds mu shared.
func (h *HNSW) tryAlloc(id uint64, level int) allocation {
	h.allocMu.Lock()
	defer h.allocMu.Unlock()
	if _, ok := h.labels[id]; ok {
		return allocation{exists: true}
	}
	if level < 0 {
		level = h.randomLevel()
	}
	a := allocation{level: level}
	if len(h.free) == 0 && int(h.nSlots) >= len(h.levels) {
		a.growSlot = true
	}
	if level > 0 && (len(h.upFree) == 0 && int(h.nUp) >= h.capUp || len(h.upper) < level) {
		a.growUp = true
	}
	if a.growSlot || a.growUp {
		return a
	}
	if n := len(h.free); n > 0 {
		a.slot = h.free[n-1]
		h.free = h.free[:n-1]
	} else {
		a.slot = h.nSlots
		h.nSlots++
	}
	h.up[a.slot] = noUp
	if level > 0 {
		var r uint32
		if n := len(h.upFree); n > 0 {
			r = h.upFree[n-1]
			h.upFree = h.upFree[:n-1]
		} else {
			r = h.nUp
			h.nUp++
		}
		h.up[a.slot] = r
		for l := 1; l <= level; l++ {
			h.row(a.slot, l)[0] = 0
		}
	}
	h.row(a.slot, 0)[0] = 0
	h.levels[a.slot] = int8(level)
	h.slotLabel[a.slot] = id
	h.labels[id] = a.slot
	h.count++
	return a
}

// grow enlarges storage so at least extra more slots (and upper rows up to
// level) fit. Caller holds mu exclusively.
func (h *HNSW) grow(extraSlots int, level int) {
	h.allocMu.Lock()
	defer h.allocMu.Unlock()
	need := int(h.nSlots) + extraSlots - len(h.free)
	// Upper rows: expect about 1/(M-1) of the slots to need one.
	needUp := int(h.nUp) + max(1, extraSlots/(h.m-1)+1)
	h.growTo(need, needUp, level)
}

// growTo makes room for slots slots and upRows upper rows on levels up to
// level, growing geometrically. Caller holds allocMu (or owns h).
func (h *HNSW) growTo(slots, upRows, level int) {
	if c := len(h.levels); slots > c {
		nc := max(slots, 2*c, 1024)
		h.vecs = growSlice(h.vecs, nc*h.dim)
		h.links0 = growSlice(h.links0, nc*h.stride0)
		h.up = growSlice(h.up, nc)
		h.slotLabel = growSlice(h.slotLabel, nc)
		h.ready = growSlice(h.ready, nc)
		old := len(h.levels)
		h.levels = growSlice(h.levels, nc)
		for i := old; i < nc; i++ {
			h.levels[i] = -1
		}
	}
	if upRows > h.capUp {
		h.capUp = max(upRows, 2*h.capUp, 64)
		for l := range h.upper {
			h.upper[l] = growSlice(h.upper[l], h.capUp*(h.m+1))
		}
	}
	for len(h.upper) < level {
		h.upper = append(h.upper, make([]uint32, h.capUp*(h.m+1)))
	}
}

func growSlice[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	ns := make([]T, n)
	copy(ns, s)
	return ns
}

// entry returns the current entry point and max level.
func (h *HNSW) entry() (uint32, int) {
	h.epMu.Lock()
	defer h.epMu.Unlock()
	return h.ep, h.maxLevel
}

// MemoryBytes implements MemoryReporter: vectors, layer-0 records (codes
// and links), upper links, per-slot metadata and the label map.
func (h *HNSW) MemoryBytes() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 4*len(h.vecs) + 4*len(h.links0) + 4*len(h.up) + 8*len(h.slotLabel) + len(h.levels) + 4*len(h.ready)
	for _, u := range h.upper {
		n += 4 * len(u)
	}
	n += 4 * len(h.sq.lo)
	// Label map: ~ 8 key + 4 value + overhead per entry.
	return n + mapEntryBytes*len(h.labels)
}
