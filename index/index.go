// Package index holds reef's vector indexes: its own HNSW graph (optionally
// walking on sq8 codes, Config.Quantization), a backend built on
// github.com/coder/hnsw v0.6.1 (kept for comparison; it has a known recall
// bug) and exact brute-force search. Distance kernels live in package vec.
//
// Guarantees and caveats:
//   - An Index is a cache. reef's source of truth is the bbolt store; every
//     index can be rebuilt from it, and snapshots carry the sequence number of
//     the last write they contain so newer writes can be replayed.
//   - IDs are caller-chosen uint64 labels. Add with an existing ID replaces
//     the vector.
//   - Vectors are copied on Add; callers may reuse their slices.
//   - Under Cosine, vectors are normalised once on Add and queries once per
//     search, so the distance is 1 - cos(a, b). L2 reports the Euclidean
//     distance; Dot reports -dot(a, b) so smaller is always nearer.
//   - With sq8, the graph walk ranks by 8-bit code distances, but the
//     candidates are re-ranked on the full vectors: returned hits and
//     distances are exact for the candidates found, as without it.
//   - Snapshots of another format version are refused (ErrSnapshotVersion)
//     so callers rebuild instead of misreading them.
//   - All methods are safe for concurrent use.
package index

import (
	"context"
	"fmt"
)

// Metric is a distance function.
type Metric uint8

// Metrics supported by every backend.
const (
	Cosine Metric = iota + 1
	L2
	Dot
)

// ParseMetric parses "cosine", "l2" or "dot".
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "cosine":
		return Cosine, nil
	case "l2":
		return L2, nil
	case "dot":
		return Dot, nil
	}
	return 0, fmt.Errorf("%w: %q (want cosine, l2 or dot)", ErrUnknownMetric, s)
}

func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case L2:
		return "l2"
	case Dot:
		return "dot"
	}
	return fmt.Sprintf("metric(%d)", uint8(m))
}

// Hit is one search result.
type Hit struct {
	ID       uint64
	Distance float32
}

// Filter reports whether an ID may appear in results.
type Filter func(id uint64) bool

// SearchOptions tune one search.
type SearchOptions struct {
	// Ef is the size of the dynamic candidate list (HNSW). Zero means the
	// index default; values below k are raised to k.
	Ef int
	// Filter, when set, restricts results to IDs it accepts. It must not
	// call back into the index.
	Filter Filter
	// Selectivity optionally hints the fraction (0, 1] of IDs Filter
	// accepts; zero means the index estimates it by sampling. Very
	// selective filters are answered by an exact scan.
	Selectivity float64
}

// Index is the interface every backend implements.
type Index interface {
	Dim() int
	Metric() Metric
	// Len is the number of live (not deleted) vectors.
	Len() int
	// Add inserts or replaces the vector for id.
	Add(id uint64, vec []float32) error
	// Delete removes id; it reports whether id was present.
	Delete(id uint64) bool
	// Search returns up to k nearest live vectors, nearest first.
	Search(ctx context.Context, q []float32, k int, opts SearchOptions) ([]Hit, error)
	// IDs calls fn for every live id, in no particular order, until fn
	// returns false.
	IDs(fn func(id uint64) bool)
}

// MemoryReporter is implemented by backends that can count the bytes they
// hold (allocated capacity, not just what is in use), which is steadier
// than measuring heap growth around a build.
type MemoryReporter interface {
	MemoryBytes() int
}

// mapEntryBytes approximates a Go map[uint64]uint32 entry with its share
// of bucket overhead.
const mapEntryBytes = 24
