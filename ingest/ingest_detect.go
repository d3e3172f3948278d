package ingest

import (
	"context"
	"fmt"
	"image"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/storage"
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
// detection section; otherwise it returns nil, nil, nil) on the items'
// images and returns, per item id, the detections as inference objects
// ("det0", "det1", … best first) with their box vectors in the dataset's
// detection space (see detectionSpace), and the crops of every object the
// point will have (labels and detections), cut from the pixels the detector
// decoded so that the crops need no decode of their own. Items whose image
// cannot be decoded are left out: the embedding pass reports them in
// IngestResult.Failed.
func (e *Ingester) detectObjects(ctx context.Context, dataset string, lm *loadedModel, items []ImageItem) (map[string][]engine.ObjectInput, map[string]*storage.ObjectThumbs, error) {
	det, err := e.detector(lm)
	if det == nil || err != nil {
		return nil, nil, err
	}
	xs := make([]extract.Item, len(items))
	for i, it := range items {
		xs[i] = extract.Item{ID: it.ID, Path: it.Path, Data: it.Data}
	}
	cut := make([]*storage.ObjectThumbs, len(items)) // each writes only its own entry
	maxObjects := e.eng.Limits().MaxObjects
	res, err := det.DetectItemsEach(ctx, xs, func(i int, img image.Image, found []extract.Detection) {
		objs := itemObjects(items[i], detectionObjects(found, ""), maxObjects)
		if len(objs) == 0 {
			return
		}
		rec, err := cropsOf(items[i].ID, img, objs)
		if err != nil {
			e.log.Warn("object crops not cut", "dataset", dataset, "id", items[i].ID, "err", err)
			return
		}
		cut[i] = rec
	})
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string][]engine.ObjectInput, len(items))
	crops := make(map[string]*storage.ObjectThumbs, len(items))
	space := ""
	for i, r := range res {
		if cut[i] != nil {
			crops[r.ID] = cut[i]
		}
		if r.Err != nil || len(r.Detections) == 0 {
			continue
		}
		if space == "" {
			if space, err = e.detectionSpace(ctx, dataset, lm, det.Dim()); err != nil {
				return nil, nil, err
			}
		}
		out[r.ID] = detectionObjects(r.Detections, space)
	}
	return out, crops, nil
}

// detectionObjects turns detections into inference objects, with their
// vectors in space (none when space is "").
func detectionObjects(found []extract.Detection, space string) []engine.ObjectInput {
	objs := make([]engine.ObjectInput, len(found))
	for j, d := range found {
		score := d.Score
		objs[j] = engine.ObjectInput{ID: fmt.Sprintf("%s%d", detectionIDPrefix, j), Kind: engine.KindInference, Class: d.Class,
			BBox: d.BBox, Score: &score}
		if space != "" {
			objs[j].Vectors = map[string][]float32{space: d.Vector}
		}
	}
	return objs
}

// itemObjects is the object list an ingested image's point gets: its label
// boxes, then its detections (appendDetections), without label vectors.
func itemObjects(it ImageItem, dets []engine.ObjectInput, maxObjects int) []engine.ObjectInput {
	var objs []engine.ObjectInput
	for _, b := range it.Labels {
		objs = append(objs, engine.ObjectInput{ID: b.ID, Kind: engine.KindLabel, Class: b.Class, BBox: b.BBox})
	}
	return appendDetections(objs, dets, maxObjects)
}

// cropsOf cuts the crops of objs (ids as Upsert stores them) out of the
// decoded original image.
func cropsOf(id string, img image.Image, objs []engine.ObjectInput) (*storage.ObjectThumbs, error) {
	stored := make([]storage.Object, len(objs))
	for j, o := range objs {
		stored[j] = storage.Object{ID: o.ID, BBox: o.BBox}
		if o.ID == "" {
			stored[j].ID = fmt.Sprint(j) // Upsert's default object id
		}
	}
	crops, err := cutObjectCrops(img, stored)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	return &storage.ObjectThumbs{PointID: id, Width: b.Dx(), Height: b.Dy(), Crops: crops}, nil
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
