package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/storage"
)

// ImageItem is one image to ingest: its bytes (Data) or a server-side Path,
// plus what the caller knows of it.
type ImageItem struct {
	ID       string
	Data     []byte
	Path     string
	URI      string
	Metadata json.RawMessage
	Labels   []LabelBox
}

// LabelBox is a ground-truth box whose crop gets its own embedding.
type LabelBox struct {
	ID    string     `json:"id,omitempty"`
	Class string     `json:"class,omitempty"`
	BBox  [4]float32 `json:"bbox"`
}

// IngestResult reports an ingest: what was stored and each file that failed.
type IngestResult struct {
	Upserted int           `json:"upserted"`
	Space    string        `json:"space"`
	Dim      int           `json:"dim"`
	Seq      uint64        `json:"seq"`
	Failed   []IngestError `json:"failed"`
}

// IngestError names a file that could not be ingested, and why.
type IngestError struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// IngestImages embeds images with a model and stores them as points of the
// space named after the model (created on first use, provenance = model).
// A bad image is reported in Failed and never stops the batch; the good
// ones are written in one transaction.
func (e *Ingester) IngestImages(ctx context.Context, dataset, model string, items []ImageItem) (IngestResult, error) {
	return e.IngestImagesWith(ctx, dataset, IngestOptions{Model: model}, items)
}

// IngestOptions tune one ingest.
type IngestOptions struct {
	Model string // "" means the default model
	// SkipDetection leaves out inference boxes of detector models: about
	// 10× cheaper per image with the built-in model.
	SkipDetection bool
}

// IngestImagesWith is IngestImages with options.
func (e *Ingester) IngestImagesWith(ctx context.Context, dataset string, opts IngestOptions, items []ImageItem) (IngestResult, error) {
	model := opts.Model
	if model == "" {
		model = e.opts.DefaultModel
	}
	if len(items) == 0 {
		return IngestResult{}, engine.FieldErr(engine.ErrInvalid, "images", "no images given")
	}
	if len(items) > e.eng.Limits().MaxBatch {
		return IngestResult{}, engine.FieldErr(engine.ErrTooLarge, "images", "%d images, limit %d per request", len(items), e.eng.Limits().MaxBatch)
	}
	seen := map[string]bool{}
	for i, it := range items {
		if err := e.eng.CheckID(fmt.Sprintf("images[%d].id", i), it.ID); err != nil {
			return IngestResult{}, err
		}
		if seen[it.ID] {
			return IngestResult{}, engine.FieldErr(engine.ErrInvalid, fmt.Sprintf("images[%d].id", i), "%q repeats another image id", it.ID)
		}
		seen[it.ID] = true
	}
	if err := e.eng.CheckDataset(dataset); err != nil {
		return IngestResult{}, err
	}
	lm, err := e.embedder(model)
	if err != nil {
		return IngestResult{}, err
	}
	space, err := e.ensureModelSpace(ctx, dataset, lm.def.manifest, "", lm.emb.Dim())
	if err != nil {
		return IngestResult{}, err
	}
	// Metadata and label boxes are checked before any inference: a bad one
	// fails its file, like an undecodable image, not the batch.
	items, rejected := e.validItems(dataset, items)
	if len(items) == 0 {
		return IngestResult{Space: space, Dim: lm.emb.Dim(), Failed: rejected}, nil
	}
	// Box vectors share the image space when their dim matches; otherwise
	// they get a space of their own.
	boxSpace := space
	hasBoxes := false
	for i := range items {
		hasBoxes = hasBoxes || len(items[i].Labels) > 0
	}
	if od := lm.emb.ObjectDim(); hasBoxes && od != 0 && od != lm.emb.Dim() {
		if boxSpace, err = e.ensureModelSpace(ctx, dataset, lm.def.manifest, "-boxes", od); err != nil {
			return IngestResult{}, err
		}
	}
	// Detector models also get inference boxes (ingest_detect.go).
	var dets map[string][]engine.ObjectInput
	var crops map[string]*storage.ObjectThumbs // cut while the detector had the pixels
	if !opts.SkipDetection {
		if dets, crops, err = e.detectObjects(ctx, dataset, lm, items); err != nil {
			return IngestResult{}, err
		}
	}
	byID := make(map[string]int, len(items))
	for i := range items {
		byID[items[i].ID] = i
	}
	in := make(chan extract.Item)
	out := make(chan extract.Result)
	go func() {
		defer close(in)
		for i := range items {
			it := &items[i]
			boxes := make([][4]float32, len(it.Labels))
			for j, b := range it.Labels {
				boxes[j] = b.BBox
			}
			if lm.emb.ObjectDim() == 0 {
				boxes = nil
			}
			select {
			case in <- extract.Item{ID: it.ID, Path: it.Path, Data: it.Data, Boxes: boxes, Thumbnail: true}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go lm.emb.EmbedFiles(ctx, in, out)
	res := IngestResult{Space: space, Dim: lm.emb.Dim(), Failed: rejected}
	var points []engine.PointInput
	thumbs := make(map[string][]byte, len(items))
	for r := range out {
		if r.Err != nil {
			res.Failed = append(res.Failed, IngestError{ID: r.ID, Error: r.Err.Error()})
			continue
		}
		it := items[byID[r.ID]]
		p := engine.PointInput{ID: it.ID, URI: it.URI, Metadata: it.Metadata, Vectors: map[string][]float32{space: r.Embedding}}
		p.Objects = itemObjects(it, dets[it.ID], e.eng.Limits().MaxObjects)
		for j := range min(len(it.Labels), len(r.Boxes)) { // labels come first
			p.Objects[j].Vectors = map[string][]float32{boxSpace: r.Boxes[j]}
		}
		points = append(points, p)
		if r.Thumbnail != nil {
			thumbs[it.ID] = r.Thumbnail
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if len(points) == 0 {
		return res, nil
	}
	// Merge: vectors of other models' spaces on these points are kept.
	wr, err := e.eng.UpsertMode(ctx, dataset, points, engine.ModeMerge)
	if err != nil {
		return res, err
	}
	res.Upserted, res.Seq = wr.Upserted, wr.Seq
	e.storeIngestThumbnails(ctx, dataset, items, points, thumbs)
	e.storeIngestObjectThumbnails(ctx, dataset, items, points, crops)
	return res, nil
}

// validItems returns the items whose point (id, uri, metadata, label boxes)
// Upsert would accept, and a failure for each of the others, naming the
// field as images[i].… with i the item's index in the request.
func (e *Ingester) validItems(dataset string, items []ImageItem) ([]ImageItem, []IngestError) {
	good := make([]ImageItem, 0, len(items))
	bad := []IngestError{}
	for i, it := range items {
		p := engine.PointInput{ID: it.ID, URI: it.URI, Metadata: it.Metadata}
		p.Objects = itemObjects(it, nil, e.eng.Limits().MaxObjects)
		if err := e.eng.ValidatePoint(dataset, fmt.Sprintf("images[%d]", i), p); err != nil {
			bad = append(bad, IngestError{ID: it.ID, Error: err.Error()})
			continue
		}
		good = append(good, it)
	}
	return good, bad
}

// ensureModelSpace creates the model's space in a dataset, or checks that
// the existing one came from the same model and version.
func (e *Ingester) ensureModelSpace(ctx context.Context, dataset string, m extract.Manifest, suffix string, dim int) (string, error) {
	name := m.Name + suffix
	provenance := "model:" + m.Name + suffix
	sh, err := e.eng.Space(dataset, name)
	if sp := sh.Info; err == nil {
		if sp.Provenance != provenance || sp.ModelVersion != m.Version || sp.Dim != dim {
			return "", engine.FieldErr(engine.ErrIncompatible, "model", "space %q holds vectors from %s %s (dim %d), not %s %s (dim %d)",
				name, sp.Provenance, sp.ModelVersion, sp.Dim, provenance, m.Version, dim)
		}
		return name, nil
	}
	if !errors.Is(err, engine.ErrNotFound) {
		return "", err
	}
	_, err = e.eng.CreateSpace(ctx, dataset, engine.SpaceSpec{Name: name, Dim: dim, Metric: "cosine", Provenance: provenance, ModelVersion: m.Version})
	if errors.Is(err, engine.ErrExists) { // a concurrent ingest created it
		return name, nil
	}
	return name, err
}

// MissingPoints returns the ids that are not stored, for resumable ingest.
func (e *Ingester) MissingPoints(ctx context.Context, dataset string, ids []string) ([]string, error) {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return nil, err
	}
	if len(ids) > 100*e.eng.Limits().MaxBatch {
		return nil, engine.FieldErr(engine.ErrTooLarge, "ids", "%d ids, limit %d", len(ids), 100*e.eng.Limits().MaxBatch)
	}
	var missing []string
	for _, id := range ids {
		if _, err := e.eng.DB().IIDOf(dataset, storage.Ref{PointID: id}); errors.Is(err, storage.ErrNotFound) {
			missing = append(missing, id)
		} else if err != nil {
			return nil, engine.FromStorage(err)
		}
	}
	return missing, nil
}
