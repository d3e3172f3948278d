package index

import (
	"math"
	"unsafe"

	"github.com/reef-ml/reef/vec"
)

// SQ8 scalar quantisation.
//
// Every component becomes one byte: code = round((x - lo[i]) / step),
// clamped to [0, 255]. lo is the per-dimension minimum of the training
// vectors and step one shared scale (the widest dimension's range / 255),
// so the integer squared L2 between two codes is exactly step² times the
// squared L2 between their dequantised vectors: the graph walk ranks by a
// true (if rounded) Euclidean metric. Per-dimension steps would give narrow
// dimensions more resolution but weight them unevenly in the integer
// distance (measured in sq8_test.go: lower recall on Fashion-MNIST).
// Under cosine the vectors are unit length, so squared L2 ranks like the
// cosine distance.
//
// Training needs data, so an sq8 index walks on float vectors until it
// holds sq8TrainMin vectors, then trains on all of them and re-encodes
// everything; it retrains whenever it has doubled since, so the ranges
// follow the data as it grows. Values outside the trained range are
// clamped, which only costs walk accuracy: the final re-rank is exact.

// sq8TrainMin is the index size at which codes are first trained (a var
// so tests can train small indexes).
var sq8TrainMin = 1024

type sq8 struct {
	lo   []float32
	step float32
	inv  float32 // 1/step
	// trainedAt is the live count the codes were trained at (0: not yet).
	trainedAt int
}

// train fits lo and step to the vectors vecOf(0..n-1) of length dim.
func (q *sq8) train(n, dim int, vecOf func(i int) []float32) {
	lo := make([]float32, dim)
	hi := make([]float32, dim)
	for i := range dim {
		lo[i], hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i := range n {
		for j, x := range vecOf(i) {
			lo[j] = min(lo[j], x)
			hi[j] = max(hi[j], x)
		}
	}
	var width float32
	for j := range dim {
		width = max(width, hi[j]-lo[j])
	}
	q.setParams(lo, width/255)
}

// setParams installs lo and step; a zero step (all training vectors equal)
// becomes 1 so encoding stays finite.
func (q *sq8) setParams(lo []float32, step float32) {
	if !(step > 0) || math.IsInf(float64(step), 0) {
		step = 1
	}
	q.lo, q.step, q.inv = lo, step, 1/step
}

// validSQ8 reports whether decoded parameters are usable.
func validSQ8(step float32, lo []float32) bool {
	if !(step > 0) || math.IsInf(float64(step), 0) {
		return false
	}
	for _, x := range lo {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// encode writes v's code into dst (len >= len(v)); bytes past len(v) are
// zeroed so padded kernels add nothing for them.
func (q *sq8) encode(dst []byte, v []float32) {
	for i, x := range v {
		c := (x-q.lo[i])*q.inv + 0.5
		switch {
		case !(c > 0): // also NaN
			dst[i] = 0
		case c >= 255:
			dst[i] = 255
		default:
			dst[i] = byte(c)
		}
	}
	clear(dst[len(v):])
}

// store writes v's stored form: the code as signed bytes (code XOR 0x80,
// padding included, see package vec) into dst and returns the unsigned
// code's squared norm, which the VNNI distance needs.
func (q *sq8) store(dst []byte, v []float32) uint32 {
	q.encode(dst, v)
	var nb uint32
	for i, c := range dst {
		nb += uint32(c) * uint32(c)
		dst[i] = c ^ 0x80
	}
	return nb
}

// codeWords is the uint32 words a code occupies in a layer-0 record.
func codeWords(dim int) int { return vec.PadCodeLen(dim) / 4 }

// record0Words is the stride of a layer-0 record: the code and its norm
// (when quantised) followed by the link row [count, 2M links], rounded to
// a 64-byte cache line so every code starts on a line.
func record0Words(dim, m0 int, quant bool) int {
	if !quant {
		return m0 + 1
	}
	return (codeWords(dim) + 1 + m0 + 1 + 15) &^ 15
}

// code returns slot's stored code inside its layer-0 record. Written
// before the node becomes reachable (like its vector), read without locks.
func (h *HNSW) code(slot uint32) []byte {
	o := int(slot) * h.stride0
	w := h.links0[o : o+h.codeW : o+h.codeW]
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), h.codeLen)
}

// setCode stores v's code and norm in slot's record.
func (h *HNSW) setCode(slot uint32, v []float32) {
	h.links0[int(slot)*h.stride0+h.codeW] = h.sq.store(h.code(slot), v)
}

// codeNorm is the squared norm of slot's unsigned code.
func (h *HNSW) codeNorm(slot uint32) uint32 { return h.links0[int(slot)*h.stride0+h.codeW] }

// trainCodes (re)fits the quantiser to every stored vector and re-encodes
// all codes. Caller holds mu exclusively.
func (h *HNSW) trainCodes() {
	slots := make([]uint32, 0, h.count)
	for s := range h.nSlots {
		if h.levels[s] >= 0 {
			slots = append(slots, s)
		}
	}
	h.sq.train(len(slots), h.dim, func(i int) []float32 { return h.vec(slots[i]) })
	for _, s := range slots {
		h.setCode(s, h.vec(s))
	}
	h.sq.trainedAt = max(len(slots), 1)
	h.sqReady.Store(true)
}

// maybeTrain trains or retrains the codes when the index reached the first
// training size or doubled since the last training.
func (h *HNSW) maybeTrain() {
	if !h.quant {
		return
	}
	n := h.Len()
	if n < sq8TrainMin || (h.sqReady.Load() && n < 2*int(h.sqTrainedAt.Load())) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.count < sq8TrainMin || (h.sqReady.Load() && h.count < 2*h.sq.trainedAt) {
		return // another goroutine trained meanwhile
	}
	h.trainCodes()
	h.sqTrainedAt.Store(int64(h.sq.trainedAt))
}
