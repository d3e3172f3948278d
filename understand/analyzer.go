package understand

import (
	"log/slog"
	"sync"

	"github.com/reef-ml/reef/engine"
)

// Analyzer answers questions about a dataset's embeddings. Its state is
// the k-NN graph cache (memory and files under the data directory) and the
// saved issues (files there); it is safe for concurrent use.
type Analyzer struct {
	eng     *engine.Engine
	log     *slog.Logger
	graphs  graphCache
	issueMu sync.Mutex // serialises issue file writes
}

// New returns an Analyzer over eng.
func New(eng *engine.Engine) *Analyzer {
	return &Analyzer{eng: eng, log: eng.Logger()}
}
