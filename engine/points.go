package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/reef-ml/reef/storage"
)

// Object kinds.
const (
	KindLabel     = "label"
	KindInference = "inference"
)

// PointInput is one datapoint to write.
type PointInput struct {
	ID       string               `json:"id"`
	URI      string               `json:"uri,omitempty"`
	Metadata json.RawMessage      `json:"metadata,omitempty"`
	Vectors  map[string][]float32 `json:"vectors,omitempty"`
	Objects  []ObjectInput        `json:"objects,omitempty"`
}

// ObjectInput is a box inside a datapoint.
type ObjectInput struct {
	ID      string               `json:"id"`
	Kind    string               `json:"kind"`
	Class   string               `json:"class,omitempty"`
	BBox    [4]float32           `json:"bbox"`
	Score   *float32             `json:"score,omitempty"`
	Vectors map[string][]float32 `json:"vectors,omitempty"`
}

// PointView is a stored datapoint as the API returns it.
type PointView struct {
	ID       string               `json:"id"`
	URI      string               `json:"uri,omitempty"`
	Metadata json.RawMessage      `json:"metadata,omitempty"`
	Vectors  map[string][]float32 `json:"vectors,omitempty"`
	Objects  []ObjectInput        `json:"objects,omitempty"`
	Seq      uint64               `json:"seq"`
}

// WriteResult acknowledges a committed write.
type WriteResult struct {
	Upserted int    `json:"upserted,omitempty"`
	Deleted  int    `json:"deleted,omitempty"`
	Seq      uint64 `json:"seq"`
}

// Write modes of an upsert.
const (
	// ModeReplace replaces an existing point whole, but refuses to drop a
	// vector the request does not name: a point sent without the vector of a
	// space (or without objects) that it has stored is a 400.
	ModeReplace = "replace"
	// ModeMerge replaces only what the request sends: uri, metadata and
	// objects when given, and the vectors of the spaces given; the rest of
	// the stored point is kept.
	ModeMerge = "merge"
)

// Upsert validates a batch whole and writes it in one transaction. Existing
// points are replaced (ModeReplace).
func (e *Engine) Upsert(ctx context.Context, dataset string, points []PointInput) (WriteResult, error) {
	return e.write(ctx, dataset, points, false)
}

// UpsertMode is Upsert with a write mode: "" or ModeReplace, or ModeMerge.
func (e *Engine) UpsertMode(ctx context.Context, dataset string, points []PointInput, mode string) (WriteResult, error) {
	switch mode {
	case "", ModeReplace:
		return e.write(ctx, dataset, points, false)
	case ModeMerge:
		return e.write(ctx, dataset, points, true)
	}
	return WriteResult{}, fieldErr(ErrInvalid, "mode", "must be %q or %q, got %q", ModeReplace, ModeMerge, mode)
}

func (e *Engine) write(ctx context.Context, dataset string, points []PointInput, merge bool) (WriteResult, error) {
	st, err := e.dataset(dataset)
	if err != nil {
		return WriteResult{}, err
	}
	batch, err := e.validateBatch(st, points)
	if err != nil {
		return WriteResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return WriteResult{}, err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	// The dataset may have been deleted (and recreated) while we validated.
	if cur, err := e.dataset(dataset); err != nil || cur != st {
		return WriteResult{}, fieldErr(ErrNotFound, "dataset", "dataset %q was deleted", dataset)
	}
	if !merge {
		// Safe to read before the transaction: every write holds writeMu.
		if err := e.checkNoDroppedVectorsLocked(ctx, dataset, batch); err != nil {
			return WriteResult{}, err
		}
	}
	seq, err := e.store.Upsert(ctx, dataset, batch, merge)
	if err != nil {
		return WriteResult{}, fromStorage(err)
	}
	return WriteResult{Upserted: len(batch), Seq: seq}, nil
}

// checkNoDroppedVectorsLocked refuses a replace that would delete a stored
// vector the request did not name: a vector of a space the new point lacks,
// or objects with vectors when the new point sends none. Runs under writeMu.
func (e *Engine) checkNoDroppedVectorsLocked(ctx context.Context, dataset string, batch []storage.Point) error {
	ids := make([]string, len(batch))
	for i := range batch {
		ids[i] = batch[i].ID
	}
	stored, err := e.store.StoredVectors(ctx, dataset, ids)
	if err != nil {
		return fromStorage(err)
	}
	for i := range batch {
		p := &batch[i]
		old, ok := stored[p.ID]
		if !ok {
			continue
		}
		for _, name := range old.Spaces {
			if _, ok := p.Vectors[name]; !ok {
				return fieldErr(ErrInvalid, fmt.Sprintf("points[%d].vectors.%s", i, name),
					"point %q has a vector in space %q that this replace would delete; send it, "+
						"send \"mode\": \"merge\" to keep it, or delete the point first", p.ID, name)
			}
		}
		if p.Objects == nil && old.ObjectVectors {
			return fieldErr(ErrInvalid, fmt.Sprintf("points[%d].objects", i),
				"point %q has objects with vectors that this replace would delete; send them, "+
					"send \"mode\": \"merge\" to keep them, or delete the point first", p.ID)
		}
	}
	return nil
}

func (e *Engine) validateBatch(st *datasetState, points []PointInput) ([]storage.Point, error) {
	lim := e.opts.Limits
	if len(points) == 0 {
		return nil, fieldErr(ErrInvalid, "points", "is empty")
	}
	if len(points) > lim.MaxBatch {
		return nil, fieldErr(ErrTooLarge, "points", "has %d points, limit %d per request", len(points), lim.MaxBatch)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	seen := make(map[string]int, len(points))
	out := make([]storage.Point, len(points))
	for i, p := range points {
		f := fmt.Sprintf("points[%d]", i)
		if err := e.checkID(f+".id", p.ID); err != nil {
			return nil, err
		}
		if j, dup := seen[p.ID]; dup {
			return nil, fieldErr(ErrInvalid, f+".id", "%q repeats points[%d].id", p.ID, j)
		}
		seen[p.ID] = i
		if len(p.URI) > 4096 {
			return nil, fieldErr(ErrTooLarge, f+".uri", "is %d bytes, limit 4096", len(p.URI))
		}
		meta, err := e.checkMetadata(f+".metadata", p.Metadata)
		if err != nil {
			return nil, err
		}
		if err := e.checkVectors(st, f+".vectors", p.Vectors); err != nil {
			return nil, err
		}
		if len(p.Objects) > lim.MaxObjects {
			return nil, fieldErr(ErrTooLarge, f+".objects", "has %d objects, limit %d", len(p.Objects), lim.MaxObjects)
		}
		sp := storage.Point{ID: p.ID, URI: p.URI, Metadata: meta, Vectors: p.Vectors}
		objIDs := map[string]bool{}
		for j, o := range p.Objects {
			of := fmt.Sprintf("%s.objects[%d]", f, j)
			if o.ID == "" {
				o.ID = fmt.Sprint(j)
			}
			if err := e.checkID(of+".id", o.ID); err != nil {
				return nil, err
			}
			if objIDs[o.ID] {
				return nil, fieldErr(ErrInvalid, of+".id", "%q repeats another object id of this point", o.ID)
			}
			objIDs[o.ID] = true
			if o.Kind == "" {
				o.Kind = KindLabel
			}
			if o.Kind != KindLabel && o.Kind != KindInference {
				return nil, fieldErr(ErrInvalid, of+".kind", "must be %q or %q, got %q", KindLabel, KindInference, o.Kind)
			}
			if len(o.Class) > lim.MaxIDLen {
				return nil, fieldErr(ErrTooLarge, of+".class", "is %d bytes, limit %d", len(o.Class), lim.MaxIDLen)
			}
			for k, x := range o.BBox {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || (k >= 2 && x < 0) {
					return nil, fieldErr(ErrInvalid, fmt.Sprintf("%s.bbox[%d]", of, k), "must be finite (and width, height ≥ 0), got %v", x)
				}
			}
			if o.Score != nil && (math.IsNaN(float64(*o.Score)) || math.IsInf(float64(*o.Score), 0)) {
				return nil, fieldErr(ErrInvalid, of+".score", "must be finite")
			}
			if err := e.checkVectors(st, of+".vectors", o.Vectors); err != nil {
				return nil, err
			}
			sp.Objects = append(sp.Objects, storage.Object{ID: o.ID, Kind: o.Kind, Class: o.Class, BBox: o.BBox, Score: o.Score, Vectors: o.Vectors})
		}
		out[i] = sp
	}
	return out, nil
}

// checkVectors validates a vectors map; runs under e.mu read lock.
func (e *Engine) checkVectors(st *datasetState, field string, vecs map[string][]float32) error {
	for name, v := range vecs {
		sp, ok := st.spaces[name]
		if !ok {
			return fieldErr(ErrNotFound, field+"."+name, "space %q does not exist in dataset %q", name, st.info.Name)
		}
		if err := checkVector(field+"."+name, v, sp.info.Dim, sp.metric); err != nil {
			return err
		}
	}
	return nil
}

// Point returns one stored datapoint with its vectors.
func (e *Engine) Point(ctx context.Context, dataset, id string) (PointView, error) {
	if _, err := e.dataset(dataset); err != nil {
		return PointView{}, err
	}
	p, err := e.store.Point(ctx, dataset, id)
	if err != nil {
		return PointView{}, fromStorage(err)
	}
	return pointView(&p), nil
}

func pointView(p *storage.Point) PointView {
	v := PointView{ID: p.ID, URI: p.URI, Metadata: p.Metadata, Vectors: p.Vectors, Seq: p.Seq}
	for _, o := range p.Objects {
		v.Objects = append(v.Objects, ObjectInput{ID: o.ID, Kind: o.Kind, Class: o.Class, BBox: o.BBox, Score: o.Score, Vectors: o.Vectors})
	}
	return v
}

// DeletePoints removes points; all must exist or nothing is deleted.
func (e *Engine) DeletePoints(ctx context.Context, dataset string, ids []string) (WriteResult, error) {
	if _, err := e.dataset(dataset); err != nil {
		return WriteResult{}, err
	}
	if len(ids) == 0 || len(ids) > e.opts.Limits.MaxBatch {
		return WriteResult{}, fieldErr(ErrInvalid, "ids", "must hold 1 to %d ids", e.opts.Limits.MaxBatch)
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	seq, err := e.store.DeletePoints(ctx, dataset, ids)
	if err != nil {
		return WriteResult{}, fromStorage(err)
	}
	return WriteResult{Deleted: len(ids), Seq: seq}, nil
}
