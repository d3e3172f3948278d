package analysis

import (
	"cmp"
	"context"
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"

	"github.com/reef-ml/reef/index"
)

// Graph is a k-nearest-neighbour graph over points 0..n-1. Row i lists the
// neighbours of point i nearest first, without i itself; rows hold at most K
// entries and may hold fewer when the search returned fewer.
type Graph struct {
	K         int
	Neighbors [][]int32
	Distances [][]float32
}

// Len is the number of points.
func (g *Graph) Len() int { return len(g.Neighbors) }

// Validate checks the graph's shape: matching rows, at most K entries, indices
// in range and not self, distances not NaN and non-decreasing.
func (g *Graph) Validate() error {
	if g == nil {
		return invalid("nil graph")
	}
	n := len(g.Neighbors)
	if len(g.Distances) != n {
		return invalid("graph has %d neighbour rows and %d distance rows", n, len(g.Distances))
	}
	if g.K < 0 {
		return invalid("graph K %d", g.K)
	}
	for i, row := range g.Neighbors {
		ds := g.Distances[i]
		if len(ds) != len(row) || len(row) > g.K {
			return invalid("graph row %d has %d neighbours, %d distances, K %d", i, len(row), len(ds), g.K)
		}
		for j, nb := range row {
			if nb < 0 || int(nb) >= n || int(nb) == i {
				return invalid("graph row %d: neighbour %d out of range or self", i, nb)
			}
			if math.IsNaN(float64(ds[j])) || (j > 0 && ds[j] < ds[j-1]) {
				return invalid("graph row %d: distances not sorted or NaN", i)
			}
		}
	}
	return nil
}

// BuildGraph builds a k-NN graph over n points by calling search(i, k+1) for
// every point in parallel; search returns the nearest points to point i
// (typically an index search with i's vector). The result for i is filtered
// of i itself and of duplicate indices, sorted by (distance, index) and cut
// to k. Out-of-range indices or NaN distances are errors.
func BuildGraph(ctx context.Context, n, k int, search func(i, k int) ([]Neighbor, error), opts Options) (*Graph, error) {
	if n < 0 || k < 1 || search == nil {
		return nil, invalid("BuildGraph needs n >= 0, k >= 1 and a search function")
	}
	g := &Graph{K: k, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	err := parallelFor(ctx, n, opts, func(lo, hi int) error {
		seen := map[int32]bool{}
		for i := lo; i < hi; i++ {
			res, err := search(i, k+1)
			if err != nil {
				return err
			}
			clear(seen)
			row := make([]Neighbor, 0, len(res))
			for _, r := range res {
				if r.Index < 0 || int(r.Index) >= n || math.IsNaN(float64(r.Distance)) {
					return invalid("search for point %d returned index %d distance %v", i, r.Index, r.Distance)
				}
				if int(r.Index) == i || seen[r.Index] {
					continue
				}
				seen[r.Index] = true
				row = append(row, r)
			}
			slices.SortFunc(row, func(a, b Neighbor) int {
				if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
					return c
				}
				return cmp.Compare(a.Index, b.Index)
			})
			row = row[:min(len(row), k)]
			g.Neighbors[i] = make([]int32, len(row))
			g.Distances[i] = make([]float32, len(row))
			for j, r := range row {
				g.Neighbors[i][j], g.Distances[i][j] = r.Index, r.Distance
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// ExactGraph builds the exact k-NN graph of vectors by brute force
// (O(n² d)). Ties are broken by the lower index, so the result is
// deterministic.
func ExactGraph(ctx context.Context, vectors [][]float32, metric index.Metric, k int, opts Options) (*Graph, error) {
	if _, err := checkVectors(vectors, metric); err != nil {
		return nil, err
	}
	dist, err := distanceFunc(metric)
	if err != nil {
		return nil, err
	}
	if metric == index.Cosine {
		vectors = normalizedCopy(vectors)
	}
	return BuildGraph(ctx, len(vectors), k, func(i, kk int) ([]Neighbor, error) {
		return bruteSearch(vectors, vectors[i], kk, dist, i), nil
	}, opts)
}

// bruteSearch returns the kk nearest vectors to q, skipping index skip.
func bruteSearch(vectors [][]float32, q []float32, kk int, dist func(a, b []float32) float32, skip int) []Neighbor {
	top := make([]Neighbor, 0, kk)
	for j, v := range vectors {
		if j == skip {
			continue
		}
		d := dist(q, v)
		if len(top) == kk && d >= top[kk-1].Distance {
			continue
		}
		if len(top) < kk {
			top = append(top, Neighbor{})
		}
		p := len(top) - 1
		for p > 0 && top[p-1].Distance > d {
			top[p] = top[p-1]
			p--
		}
		top[p] = Neighbor{Index: int32(j), Distance: d}
	}
	return top
}

// Graph encoding (little endian):
//
//	magic "REEFKNNG" | u32 version=1 | u32 n | u32 K |
//	n × u32 row length | for each row: length × (i32 index, f32 distance) |
//	u32 CRC-32 (IEEE) of everything before it.
//
// The encoding is canonical: DecodeGraph(b) succeeds only if
// EncodeGraph(result) == b.
const (
	graphMagic   = "REEFKNNG"
	graphVersion = 1
	graphHeader  = 8 + 4 + 4 + 4
	maxGraphK    = 1 << 16
)

// EncodeGraph serialises g. It validates g first.
func EncodeGraph(g *Graph) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if g.K > maxGraphK || len(g.Neighbors) > math.MaxInt32 {
		return nil, invalid("graph too large to encode")
	}
	total := 0
	for _, row := range g.Neighbors {
		total += len(row)
	}
	b := make([]byte, 0, graphHeader+4*len(g.Neighbors)+8*total+4)
	b = append(b, graphMagic...)
	b = binary.LittleEndian.AppendUint32(b, graphVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(g.Neighbors)))
	b = binary.LittleEndian.AppendUint32(b, uint32(g.K))
	for _, row := range g.Neighbors {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(row)))
	}
	for i, row := range g.Neighbors {
		for j, nb := range row {
			b = binary.LittleEndian.AppendUint32(b, uint32(nb))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(g.Distances[i][j]))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// DecodeGraph parses an EncodeGraph encoding. Sizes are checked against the
// input length before anything is allocated, and the decoded graph is
// validated, so corrupt input is an error (wrapping ErrFormat), never a panic.
func DecodeGraph(b []byte) (*Graph, error) {
	le := binary.LittleEndian
	if len(b) < graphHeader+4 || string(b[:8]) != graphMagic {
		return nil, fmtErr("bad magic or short input")
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != le.Uint32(b[len(b)-4:]) {
		return nil, fmtErr("checksum mismatch")
	}
	if v := le.Uint32(b[8:]); v != graphVersion {
		return nil, fmtErr("unsupported version %d", v)
	}
	n64, k64 := uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:]))
	if k64 > maxGraphK || n64 > uint64(len(body)-graphHeader)/4 {
		return nil, fmtErr("header claims n=%d K=%d for %d bytes", n64, k64, len(b))
	}
	n, k := int(n64), int(k64)
	lens := body[graphHeader : graphHeader+4*n]
	total := 0
	for i := range n {
		l := int(le.Uint32(lens[4*i:]))
		if l > k {
			return nil, fmtErr("row %d has %d > K entries", i, l)
		}
		total += l
	}
	if len(body) != graphHeader+4*n+8*total {
		return nil, fmtErr("length mismatch")
	}
	g := &Graph{K: k, Neighbors: make([][]int32, n), Distances: make([][]float32, n)}
	idx, dst := make([]int32, total), make([]float32, total)
	p := graphHeader + 4*n
	off := 0
	for i := range n {
		l := int(le.Uint32(lens[4*i:]))
		g.Neighbors[i], g.Distances[i] = idx[off:off+l:off+l], dst[off:off+l:off+l]
		for j := range l {
			idx[off+j] = int32(le.Uint32(body[p:]))
			dst[off+j] = math.Float32frombits(le.Uint32(body[p+4:]))
			p += 8
		}
		off += l
	}
	if err := g.Validate(); err != nil {
		return nil, fmtErr("%v", err)
	}
	// Reject duplicate neighbours in a row (Validate does not check them).
	stamp := make([]int32, n)
	for i, row := range g.Neighbors {
		for _, nb := range row {
			if stamp[nb] == int32(i)+1 {
				return nil, fmtErr("row %d repeats neighbour %d", i, nb)
			}
			stamp[nb] = int32(i) + 1
		}
	}
	return g, nil
}

func fmtErr(format string, args ...any) error {
	return invalidWrap(ErrFormat, format, args...)
}
