package ingest

import (
	"log/slog"
	"path/filepath"

	"github.com/reef-ml/reef/engine"
)

// Options configure an Ingester.
type Options struct {
	// ModelDir holds built-in model manifests (*.json) and their files.
	ModelDir string
	// DefaultModel names the model ingest uses when a request names none.
	DefaultModel string
	// AudioModelDir holds the built-in audio model's ONNX files
	// (melspectrogram.onnx, embedding_model.onnx).
	AudioModelDir string
	// ORTLibrary is the ONNX Runtime library; "" searches the usual places.
	ORTLibrary string
}

// DefaultOptions returns the options `reef serve` uses.
func DefaultOptions() Options {
	return Options{ModelDir: filepath.Join("models", "builtin"), AudioModelDir: filepath.Join("models", "audio"),
		DefaultModel: "reef-centernet-v1"}
}

// Ingester embeds files into an engine's datasets. It is safe for
// concurrent use.
type Ingester struct {
	eng    *engine.Engine
	opts   Options
	log    *slog.Logger
	models modelSet
}

// New loads the model definitions (built-in manifests and registered
// models) and returns an Ingester over eng. Its models are released when
// eng closes (or by Close, whichever comes first). It implements
// view.Media, so the view can tell which media points have.
func New(eng *engine.Engine, opts Options) (*Ingester, error) {
	e := &Ingester{eng: eng, opts: opts, log: eng.Logger()}
	if err := e.loadModelDefs(); err != nil {
		return nil, err
	}
	eng.OnClose(e.Close)
	return e, nil
}

// Close releases the loaded models and the ONNX Runtime. Safe to call
// twice; a later ingest loads them again.
func (e *Ingester) Close() error { return e.closeModels() }
