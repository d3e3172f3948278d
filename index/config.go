package index

import (
	"errors"
	"fmt"
)

// Backend names accepted by Config.Backend.
const (
	BackendHNSW  = "hnsw"  // reef's own HNSW (default)
	BackendCoder = "coder" // github.com/coder/hnsw v0.6.1, kept for comparison
	BackendExact = "exact" // brute force; ground truth and small sets
)

// Config describes an index to build with New.
type Config struct {
	Backend        string // BackendHNSW, BackendCoder or BackendExact; "" means BackendHNSW
	Dim            int
	Metric         Metric
	M              int   // max neighbours per node on layers > 0 (layer 0 uses 2*M)
	EfConstruction int   // candidate list size while inserting
	EfSearch       int   // default ef for searches that do not set one
	Seed           int64 // level-generation seed, for reproducible graphs
	// Quantization selects how the HNSW graph walk computes distances:
	// QuantNone (or "") on full float32 vectors, QuantSQ8 on 8-bit codes
	// kept next to each node's links, with an exact re-rank of the ef best
	// candidates so results and distances stay full precision. SQ8 needs
	// the L2 or cosine metric.
	Quantization string
	// TargetRecall, when > 0, makes the HNSW backend tune its default ef
	// itself: the smallest ef whose recall@10 on a sample of its own
	// vectors reaches TargetRecall (plus a small margin), re-measured as
	// the index doubles (see HNSW.DefaultEf). EfSearch is the default
	// until the first tune. Zero keeps EfSearch fixed.
	TargetRecall float64
}

// Quantization names accepted by Config.Quantization.
const (
	QuantNone = "none"
	QuantSQ8  = "sq8"
)

// DefaultConfig returns the settings reef uses when a space does not choose.
func DefaultConfig(dim int, metric Metric) Config {
	return Config{Backend: BackendHNSW, Dim: dim, Metric: metric, M: 16, EfConstruction: 200, EfSearch: 64, Seed: 1}
}

// Limits enforced by Validate (and by the snapshot decoders, so a corrupt
// file cannot ask for absurd structures).
const (
	MaxDim = 65536
	MinM   = 2
	MaxM   = 128
	// maxEf bounds efConstruction / efSearch defaults; per-query Ef is
	// clamped to the index size instead.
	maxEf = 1 << 16
)

// Validate reports every problem with c at once, joined, each wrapping
// ErrInvalidConfig (and ErrUnknownMetric / ErrUnknownBackend where apt).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	switch c.Backend {
	case "", BackendHNSW, BackendCoder, BackendExact:
	default:
		errs = append(errs, fmt.Errorf("%w: %w: %q (want %s, %s or %s)", ErrInvalidConfig, ErrUnknownBackend, c.Backend, BackendHNSW, BackendCoder, BackendExact))
	}
	if c.Dim <= 0 || c.Dim > MaxDim {
		bad("dim %d out of range [1, %d]", c.Dim, MaxDim)
	}
	switch c.Metric {
	case Cosine, L2, Dot:
	default:
		errs = append(errs, fmt.Errorf("%w: %w: %v", ErrInvalidConfig, ErrUnknownMetric, c.Metric))
	}
	if c.Backend != BackendExact {
		if c.M < MinM || c.M > MaxM {
			bad("M %d out of range [%d, %d]", c.M, MinM, MaxM)
		}
		if c.EfConstruction < c.M || c.EfConstruction > maxEf {
			bad("efConstruction %d must be in [M=%d, %d]", c.EfConstruction, c.M, maxEf)
		}
		if c.EfSearch < 1 || c.EfSearch > maxEf {
			bad("efSearch %d out of range [1, %d]", c.EfSearch, maxEf)
		}
	}
	if !(c.TargetRecall >= 0 && c.TargetRecall <= 1) {
		bad("targetRecall %v out of range [0, 1]", c.TargetRecall)
	}
	switch c.Quantization {
	case "", QuantNone:
	case QuantSQ8:
		if c.Backend != "" && c.Backend != BackendHNSW {
			bad("quantization %q needs backend %s, not %q", c.Quantization, BackendHNSW, c.Backend)
		}
		if c.Metric == Dot {
			bad("quantization %q needs metric l2 or cosine, not dot", c.Quantization)
		}
	default:
		bad("quantization %q (want %s or %s)", c.Quantization, QuantNone, QuantSQ8)
	}
	return errors.Join(errs...)
}

// New builds an empty index for cfg.
func New(cfg Config) (Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cfg.Backend {
	case BackendCoder:
		return NewCoder(cfg)
	case BackendExact:
		return NewExact(cfg.Dim, cfg.Metric)
	}
	return NewHNSW(cfg)
}
