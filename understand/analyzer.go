package understand

import (
	"log/slog"

	"github.com/reef-ml/reef/engine"
)

// Analyzer answers questions about a dataset's embeddings. Its only state
// is the k-NN graph cache (memory and files under the data directory); it
// is safe for concurrent use.
type Analyzer struct {
	eng    *engine.Engine
	log    *slog.Logger
	graphs graphCache
}

// New returns an Analyzer over eng.
func New(eng *engine.Engine) *Analyzer {
	return &Analyzer{eng: eng, log: eng.Logger()}
}
