package index

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
}

// DefaultConfig returns the settings reef uses when a space does not choose.
func DefaultConfig(dim int, metric Metric) Config {
	return Config{Backend: BackendHNSW, Dim: dim, Metric: metric, M: 16, EfConstruction: 200, EfSearch: 64, Seed: 1}
}
