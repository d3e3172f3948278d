package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/extract/audio"
	"github.com/reef-ml/reef/safefile"
)

// ModelInfo describes a model reef can embed with.
type ModelInfo struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	Modality    string `json:"modality"` // "image" or "audio"
	Source      string `json:"source"`   // "builtin" or "registered"
	Layer       string `json:"layer"`
	ObjectLayer string `json:"object_layer,omitempty"`
	InputSize   [2]int `json:"input_size"`
	Dim         int    `json:"dim,omitempty"`        // known once the model was loaded
	ObjectDim   int    `json:"object_dim,omitempty"` // per-box vectors, when object_layer is set
	Default     bool   `json:"default,omitempty"`
}

// modelSet owns the ONNX Runtime and the loaded embedders. The runtime is
// opened on first use so that reef serves vectors without it.
type modelSet struct {
	mu        sync.Mutex
	rt        *extract.Runtime          // guarded by mu
	embedders map[string]*loadedModel   // guarded by mu
	known     map[string]*registeredDef // guarded by mu
	audio     map[string]*audioModel    // guarded by mu; loaded audio models by name
}

type registeredDef struct {
	manifest extract.Manifest
	dir      string
	source   string
}

type loadedModel struct {
	emb *extract.Embedder
	def *registeredDef
	// det is the model's Detector (manifests with a detection section),
	// created on first ingest by detector(); detErr remembers a failed
	// load. Both guarded by modelSet.mu.
	det    *extract.Detector
	detErr error
}

// close releases the embedder and the detector, if any.
func (lm *loadedModel) close() error {
	var errs []error
	if lm.det != nil {
		errs = append(errs, lm.det.Close())
	}
	return errors.Join(append(errs, lm.emb.Close())...)
}

// loadModelDefs finds built-in manifests (Options.ModelDir/*.json) and the
// models registered in storage.
func (e *Ingester) loadModelDefs() error {
	e.models.known = map[string]*registeredDef{}
	e.models.embedders = map[string]*loadedModel{}
	if dir := e.opts.ModelDir; dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range paths {
			m, err := extract.LoadManifest(p)
			if err != nil {
				e.log.Warn("skipping built-in model manifest", "file", p, "err", err)
				continue
			}
			e.models.known[m.Name] = &registeredDef{manifest: *m, dir: dir, source: "builtin"}
		}
	}
	if _, ok := e.models.known[e.opts.DefaultModel]; !ok && e.opts.DefaultModel != "" {
		e.log.Warn("the default image model is not installed: image ingest needs it (run `make setup`, or pass --models)",
			"model", e.opts.DefaultModel, "dir", e.opts.ModelDir)
	}
	stored, err := e.eng.DB().Models()
	if err != nil {
		return err
	}
	for name, raw := range stored {
		m, err := extract.ParseManifest(raw)
		if err != nil {
			e.log.Warn("skipping registered model", "model", name, "err", err)
			continue
		}
		e.models.known[name] = &registeredDef{manifest: *m, dir: e.modelStore(name), source: "registered"}
	}
	return nil
}

func (e *Ingester) modelStore(name string) string {
	return filepath.Join(e.eng.DataDir(), "models", name)
}

// DefaultModel is the model used when an ingest names none.
func (e *Ingester) DefaultModel() string { return e.opts.DefaultModel }

// Models lists the models reef knows, sorted by name.
func (e *Ingester) Models(ctx context.Context) []ModelInfo {
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	out := make([]ModelInfo, 0, len(e.models.known))
	for name, d := range e.models.known {
		mi := ModelInfo{Name: name, Version: d.manifest.Version, Description: d.manifest.Description, Source: d.source, Modality: d.manifest.Modality,
			Layer: d.manifest.Layer, ObjectLayer: d.manifest.ObjectLayer, InputSize: d.manifest.InputSize,
			Default: name == e.opts.DefaultModel}
		if lm := e.models.embedders[name]; lm != nil {
			mi.Dim, mi.ObjectDim = lm.emb.Dim(), lm.emb.ObjectDim()
		}
		if am := e.models.audio[name]; am != nil {
			mi.Dim = am.emb.Dim()
		}
		out = append(out, mi)
	}
	if _, err := os.Stat(filepath.Join(e.opts.AudioModelDir, audio.EmbeddingModelFile)); err == nil {
		out = append(out, ModelInfo{Name: AudioModel, Version: AudioModelVersion, Modality: extract.ModalityAudio, Source: "builtin",
			Description: "openWakeWord speech embedding (mean and std of 96-d windows)", Dim: audio.ClipDim})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// embedder returns the loaded embedder of a model, loading it (and the
// runtime) on first use.
func (e *Ingester) embedder(name string) (*loadedModel, error) {
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	if lm := e.models.embedders[name]; lm != nil {
		return lm, nil
	}
	def := e.models.known[name]
	if def == nil {
		return nil, engine.FieldErr(engine.ErrNotFound, "model", "model %q is not known (GET /v1/models lists them; `make setup` builds the built-in one)", name)
	}
	if def.manifest.IsAudio() || name == AudioModel {
		return nil, engine.FieldErr(engine.ErrInvalid, "model", "model %q is an audio model: send audio files to /audio", name)
	}
	if err := e.runtimeLocked(); err != nil {
		return nil, err
	}
	m := def.manifest
	emb, err := extract.NewEmbedder(e.models.rt, &m, def.dir, extract.EmbedderOptions{})
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", name, err)
	}
	lm := &loadedModel{emb: emb, def: def}
	e.models.embedders[name] = lm
	e.log.Info("model loaded", "model", name, "dim", emb.Dim(), "object_dim", emb.ObjectDim())
	return lm, nil
}

func (e *Ingester) runtimeLocked() error {
	if e.models.rt != nil {
		return nil
	}
	rt, err := extract.OpenRuntime(extract.RuntimeOptions{LibraryPath: e.opts.ORTLibrary})
	if err != nil {
		return fmt.Errorf("%w: %v", engine.ErrUnavailable, err)
	}
	e.models.rt = rt
	return nil
}

// RegisterModel installs a user's ONNX model: the file is copied into the
// data directory, loaded once to check the manifest (layer exists, shapes
// work), and the manifest is stored.
func (e *Ingester) RegisterModel(ctx context.Context, m extract.Manifest, model io.Reader) (ModelInfo, error) {
	if err := engine.CheckName("name", m.Name); err != nil {
		return ModelInfo{}, err
	}
	m.File = "model.onnx"
	m = m.WithDefaults()
	if err := m.Validate(); err != nil {
		return ModelInfo{}, engine.FieldErr(engine.ErrInvalid, "manifest", "%v", err)
	}
	e.models.mu.Lock()
	if d := e.models.known[m.Name]; d != nil && d.source == "builtin" || m.Name == AudioModel {
		e.models.mu.Unlock()
		return ModelInfo{}, engine.FieldErr(engine.ErrExists, "name", "%q is a built-in model", m.Name)
	}
	e.models.mu.Unlock()

	dir := e.modelStore(m.Name)
	staging, err := safefile.TempDir(dir)
	if err != nil {
		return ModelInfo{}, err
	}
	defer os.RemoveAll(staging) // gone already once Replace succeeded
	if err := safefile.Write(filepath.Join(staging, m.File), 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, model)
		return err
	}); err != nil {
		return ModelInfo{}, err
	}
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	if err := e.runtimeLocked(); err != nil {
		return ModelInfo{}, err
	}
	dim := 0
	if m.IsAudio() {
		emb, err := audio.NewModelEmbedder(ctx, e.models.rt, &m, staging, 1)
		if err != nil {
			return ModelInfo{}, engine.FieldErr(engine.ErrInvalid, "model", "%v", err)
		}
		dim = emb.Dim()
		emb.Close()
	} else {
		emb, err := extract.NewEmbedder(e.models.rt, &m, staging, extract.EmbedderOptions{Sessions: 1})
		if err != nil {
			return ModelInfo{}, engine.FieldErr(engine.ErrInvalid, "model", "%v", err)
		}
		dim = emb.Dim()
		emb.Close()
	}
	if m.Detection != nil { // check the heads too, so ingest does not fail later
		det, err := extract.NewDetector(e.models.rt, &m, staging, extract.DetectorOptions{Sessions: 1})
		if err != nil {
			return ModelInfo{}, engine.FieldErr(engine.ErrInvalid, "model", "detection: %v", err)
		}
		det.Close()
	}
	if old := e.models.audio[m.Name]; old != nil {
		old.emb.Close()
		delete(e.models.audio, m.Name)
	}
	if old := e.models.embedders[m.Name]; old != nil {
		old.close()
		delete(e.models.embedders, m.Name)
	}
	if err := safefile.Replace(staging, dir); err != nil {
		return ModelInfo{}, err
	}
	raw, _ := json.Marshal(m)
	if err := e.eng.DB().PutModel(m.Name, raw); err != nil {
		return ModelInfo{}, engine.FromStorage(err)
	}
	e.models.known[m.Name] = &registeredDef{manifest: m, dir: dir, source: "registered"}
	return ModelInfo{Name: m.Name, Version: m.Version, Description: m.Description, Modality: m.Modality, Source: "registered",
		Layer: m.Layer, ObjectLayer: m.ObjectLayer, InputSize: m.InputSize, Dim: dim}, nil
}

// closeModels releases embedders and the runtime.
func (e *Ingester) closeModels() error {
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	var errs []error
	for _, lm := range e.models.embedders {
		errs = append(errs, lm.close())
	}
	e.models.embedders = map[string]*loadedModel{}
	for _, am := range e.models.audio {
		am.emb.Close()
	}
	e.models.audio = nil
	if e.models.rt != nil {
		errs = append(errs, e.models.rt.Close())
		e.models.rt = nil
	}
	return errors.Join(errs...)
}
