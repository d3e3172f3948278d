package understand

import (
	"log/slog"

	"github.com/reef-ml/reef/engine"
)

// Analyzer answers questions about a dataset's embeddings. It holds no
// state of its own beyond the engine, and is safe for concurrent use.
type Analyzer struct {
	eng *engine.Engine
	log *slog.Logger
}

// New returns an Analyzer over eng.
func New(eng *engine.Engine) *Analyzer {
	return &Analyzer{eng: eng, log: eng.Logger()}
}
