package ingest

import (
	"context"
	"fmt"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
)

// detectionIDPrefix names inference boxes made on ingest: det0, det1, … in
// descending score order.
const detectionIDPrefix = "det"

// detector returns the model's Detector, loading it on first use; nil (and
// no error) when the model's manifest has no detection section. A failed
// load is remembered so that every ingest does not retry it.
func (e *Ingester) detector(lm *loadedModel) (*extract.Detector, error) {
	if lm.def.manifest.Detection == nil {
		return nil, nil
	}
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	if lm.det != nil || lm.detErr != nil {
		return lm.det, lm.detErr
	}
	name := lm.def.manifest.Name
	if e.models.embedders[name] != lm || e.models.rt == nil {
		// closeModels or RegisterModel dropped this model meanwhile: a
		// detector created now would never be closed.
		return nil, fmt.Errorf("%w: model %q was unloaded", engine.ErrUnavailable, name)
	}
	m := lm.def.manifest
	det, err := extract.NewDetector(e.models.rt, &m, lm.def.dir, extract.DetectorOptions{})
	if err != nil {
		lm.detErr = fmt.Errorf("loading the detection heads of model %q: %w", name, err)
		return nil, lm.detErr
	}
	lm.det = det
	e.log.Info("detector loaded", "model", name, "box_dim", det.Dim(), "classes", len(det.Spec().Classes))
	return det, nil
}

// detectObjects runs the model's detector (when its manifest has a
// detection section; otherwise it returns nil, nil) on the items' images
// and returns, per item id, the detections as inference objects ("det0",
// "det1", … best first) with their box vectors in the dataset's detection
// space (see detectionSpace). Items whose image cannot be decoded are left
// out: the embedding pass reports them in IngestResult.Failed.
func (e *Ingester) detectObjects(ctx context.Context, dataset string, lm *loadedModel, items []ImageItem) (map[string][]engine.ObjectInput, error) {
	det, err := e.detector(lm)
	if det == nil || err != nil {
		return nil, err
	}
	xs := make([]extract.Item, len(items))
	for i, it := range items {
		xs[i] = extract.Item{ID: it.ID, Path: it.Path, Data: it.Data}
	}
	res, err := det.DetectItems(ctx, xs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]engine.ObjectInput, len(items))
	space := ""
	for _, r := range res {
		if r.Err != nil || len(r.Detections) == 0 {
			continue
		}
		if space == "" {
			if space, err = e.detectionSpace(ctx, dataset, lm, det.Dim()); err != nil {
				return nil, err
			}
		}
		objs := make([]engine.ObjectInput, len(r.Detections))
		for j, d := range r.Detections {
			score := d.Score
			objs[j] = engine.ObjectInput{ID: fmt.Sprintf("%s%d", detectionIDPrefix, j), Kind: engine.KindInference, Class: d.Class,
				BBox: d.BBox, Score: &score, Vectors: map[string][]float32{space: d.Vector}}
		}
		out[r.ID] = objs
	}
	return out, nil
}

// detectionSpace ensures the space for detection box vectors, following the
// rule for label boxes so that both kinds share a space and are comparable:
// the image space when the dims match, else "<model>-boxes". Only if the
// label-box vectors (object_layer) have yet another dim do detections get
// "<model>-detections".
func (e *Ingester) detectionSpace(ctx context.Context, dataset string, lm *loadedModel, dim int) (string, error) {
	m := lm.def.manifest
	switch od := lm.emb.ObjectDim(); {
	case dim == lm.emb.Dim():
		return e.ensureModelSpace(ctx, dataset, m, "", dim)
	case od == 0 || od == dim:
		return e.ensureModelSpace(ctx, dataset, m, "-boxes", dim)
	default:
		return e.ensureModelSpace(ctx, dataset, m, "-detections", dim)
	}
}

// appendDetections adds a point's inference boxes after its label boxes.
// A detection id that a label already uses gets a "~n" suffix, and
// detections beyond maxObjects (labels first) are dropped, so that a
// point's objects stay valid for Upsert.
func appendDetections(objs, dets []engine.ObjectInput, maxObjects int) []engine.ObjectInput {
	if len(dets) == 0 {
		return objs
	}
	used := make(map[string]bool, len(objs))
	for j, o := range objs {
		id := o.ID
		if id == "" {
			id = fmt.Sprint(j) // Upsert's default object id
		}
		used[id] = true
	}
	for _, d := range dets {
		if len(objs) >= maxObjects {
			break
		}
		base := d.ID
		for k := 1; used[d.ID]; k++ {
			d.ID = fmt.Sprintf("%s~%d", base, k)
		}
		used[d.ID] = true
		objs = append(objs, d)
	}
	return objs
}
