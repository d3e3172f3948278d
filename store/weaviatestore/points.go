package weaviatestore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/weaviate"
)

// toObject is a point as a Weaviate object: reef_meta verbatim, and each
// top-level scalar key as a filterable property.
func toObject(p storage.Point) (weaviate.Object, error) {
	o := weaviate.Object{ID: p.ID, Properties: map[string]any{propIID: strconv.FormatUint(iidOf(p.ID), 10), propURI: p.URI, propMeta: string(p.Metadata)}, Vectors: map[string][]float32{}}
	for sp, v := range p.Vectors {
		o.Vectors[vectorName(sp)] = v
	}
	if len(p.Metadata) > 0 {
		var m map[string]any
		if err := json.Unmarshal(p.Metadata, &m); err != nil {
			return o, fmt.Errorf("%w: metadata of %q: %v", storage.ErrInvalid, p.ID, err)
		}
		for k, v := range m {
			prop := metaProperty(k)
			if prop == "" {
				continue
			}
			switch v.(type) {
			case string, float64, bool:
				o.Properties[prop] = v
			}
		}
	}
	return o, nil
}

// fromObject is the inverse of toObject for the spaces given.
func fromObject(o weaviate.Object, spaces []storage.Space) storage.Point {
	p := storage.Point{ID: o.ID, IID: iidOf(o.ID)}
	p.URI, _ = o.Properties[propURI].(string)
	if m, _ := o.Properties[propMeta].(string); m != "" {
		p.Metadata = json.RawMessage(m)
	}
	for _, sp := range spaces {
		if v, ok := o.Vectors[vectorName(sp.Name)]; ok && len(v) > 0 {
			if p.Vectors == nil {
				p.Vectors = map[string][]float32{}
			}
			p.Vectors[sp.Name] = v
		}
	}
	return p
}

func pointsOnly(points []storage.Point) error {
	for i, p := range points {
		if len(p.Objects) > 0 {
			return fmt.Errorf("%w: points[%d].objects: the weaviate store has no object level yet", storage.ErrInvalid, i)
		}
	}
	return nil
}

// Upsert writes the batch after bumping the dataset's sequence. With merge
// the stored points are read first and what the batch does not send kept.
func (s *Store) Upsert(ctx context.Context, dataset string, points []storage.Point, merge bool) (uint64, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return 0, err
	}
	if err := pointsOnly(points); err != nil {
		return 0, err
	}
	if len(r.spaces) == 0 {
		for i, p := range points {
			if len(p.Vectors) == 0 {
				continue
			}
			return 0, fmt.Errorf("%w: points[%d].vectors: dataset %q has no space", storage.ErrNotFound, i, dataset)
		}
		return 0, fmt.Errorf("%w: the weaviate store keeps points of datasets with a space only", storage.ErrInvalid)
	}
	if merge {
		if points, err = s.mergeStored(ctx, dataset, r.spaces, points); err != nil {
			return 0, err
		}
	}
	objs := make([]weaviate.Object, len(points))
	touched := map[string]bool{}
	for i, p := range points {
		if objs[i], err = toObject(p); err != nil {
			return 0, err
		}
		for sp := range p.Vectors {
			touched[sp] = true
		}
	}
	seq, err := s.bump(ctx, dataset, keys(touched))
	if err != nil {
		return 0, err
	}
	res, err := s.c.Upsert(ctx, collection(dataset), objs)
	return seq, resultsErr(res, err)
}

func (s *Store) mergeStored(ctx context.Context, dataset string, spaces []storage.Space, points []storage.Point) ([]storage.Point, error) {
	stored, err := s.c.GetMany(ctx, collection(dataset), ids(points), true)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]storage.Point, len(points))
	for i, p := range points {
		o, ok := stored[p.ID]
		if !ok {
			out[i] = p
			continue
		}
		old := fromObject(o, spaces)
		if p.URI == "" {
			p.URI = old.URI
		}
		if p.Metadata == nil {
			p.Metadata = old.Metadata
		}
		vecs := map[string][]float32{}
		for k, v := range old.Vectors {
			vecs[k] = v
		}
		for k, v := range p.Vectors {
			vecs[k] = v
		}
		p.Vectors = vecs
		out[i] = p
	}
	return out, nil
}

// DeletePoints deletes nothing unless every id exists.
func (s *Store) DeletePoints(ctx context.Context, dataset string, idList []string) (uint64, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return 0, err
	}
	if len(r.spaces) == 0 {
		return 0, fmt.Errorf("%w: point %q", storage.ErrNotFound, idList[0])
	}
	stored, err := s.c.GetMany(ctx, collection(dataset), idList, false)
	if err != nil {
		return 0, mapErr(err)
	}
	for _, id := range idList {
		if _, ok := stored[id]; !ok {
			return 0, fmt.Errorf("%w: point %q", storage.ErrNotFound, id)
		}
	}
	spaces := make([]string, len(r.spaces))
	for i, sp := range r.spaces {
		spaces[i] = sp.Name
	}
	seq, err := s.bump(ctx, dataset, spaces)
	if err != nil {
		return 0, err
	}
	_, err = s.c.Delete(ctx, collection(dataset), idList)
	return seq, mapErr(err)
}

// EditMetadata reads the points with their vectors, edits them and writes
// the changed ones back whole (a batch write replaces whole objects).
func (s *Store) EditMetadata(ctx context.Context, dataset string, idList []string, skipMissing bool, edit storage.MetadataEdit) (uint64, int, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return 0, 0, err
	}
	var pts []storage.Point
	switch {
	case len(r.spaces) == 0 && idList == nil:
		return 0, 0, nil
	case len(r.spaces) == 0:
		if skipMissing {
			return 0, 0, nil
		}
		return 0, 0, fmt.Errorf("%w: point %q", storage.ErrNotFound, idList[0])
	case idList == nil:
		err = s.ScanPoints(ctx, dataset, spaceNames(r.spaces), func(p *storage.Point) error { pts = append(pts, *p); return nil })
	default:
		var stored map[string]weaviate.Object
		if stored, err = s.c.GetMany(ctx, collection(dataset), idList, true); err != nil {
			return 0, 0, mapErr(err)
		}
		for _, id := range idList {
			o, ok := stored[id]
			if !ok && !skipMissing {
				return 0, 0, fmt.Errorf("%w: point %q", storage.ErrNotFound, id)
			}
			if ok {
				pts = append(pts, fromObject(o, r.spaces))
			}
		}
	}
	if err != nil {
		return 0, 0, err
	}
	var changed []storage.Point
	for _, p := range pts {
		md, ok, err := edit(&p)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			p.Metadata = md
			changed = append(changed, p)
		}
	}
	if len(changed) == 0 {
		return 0, 0, nil
	}
	objs := make([]weaviate.Object, len(changed))
	for i, p := range changed {
		if objs[i], err = toObject(p); err != nil {
			return 0, 0, err
		}
	}
	seq, err := s.bump(ctx, dataset, nil)
	if err != nil {
		return 0, 0, err
	}
	for lo := 0; lo < len(objs); lo += 100 { // small batches: replicas commit within 10 s
		res, err := s.c.Upsert(ctx, collection(dataset), objs[lo:min(lo+100, len(objs))])
		if err := resultsErr(res, err); err != nil {
			return seq, lo, err
		}
	}
	return seq, len(changed), nil
}

func (s *Store) StoredVectors(ctx context.Context, dataset string, idList []string) (map[string]storage.Stored, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil || len(r.spaces) == 0 {
		return map[string]storage.Stored{}, err
	}
	stored, err := s.c.GetMany(ctx, collection(dataset), idList, true)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make(map[string]storage.Stored, len(stored))
	for id, o := range stored {
		p := fromObject(o, r.spaces)
		out[id] = storage.Stored{Spaces: keys(p.Vectors)}
	}
	return out, nil
}

// Point is a replicated read by id (weaviate.Client.Get).
func (s *Store) Point(ctx context.Context, dataset, id string) (storage.Point, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return storage.Point{}, err
	}
	if len(r.spaces) == 0 {
		return storage.Point{}, fmt.Errorf("%w: point %q", storage.ErrNotFound, id)
	}
	o, err := s.c.Get(ctx, collection(dataset), id)
	if err != nil {
		return storage.Point{}, mapErr(err)
	}
	return fromObject(o, r.spaces), nil
}

func (s *Store) IIDOf(ctx context.Context, dataset string, ref storage.Ref) (uint64, error) {
	if ref.ObjectID != "" {
		return 0, fmt.Errorf("%w: the weaviate store has no object level yet", storage.ErrNotFound)
	}
	if _, err := s.readRecord(ctx, dataset); err != nil {
		return 0, err
	}
	stored, err := s.c.GetMany(ctx, collection(dataset), []string{ref.PointID}, false)
	if err != nil {
		return 0, mapErr(err)
	}
	if _, ok := stored[ref.PointID]; !ok {
		return 0, fmt.Errorf("%w: point %q", storage.ErrNotFound, ref.PointID)
	}
	return iidOf(ref.PointID), nil
}

// byIID reads the points of iids (one filtered read per 1,000).
func (s *Store) byIID(ctx context.Context, dataset string, iids []uint64, vectors bool) (map[uint64]weaviate.Object, error) {
	out := make(map[uint64]weaviate.Object, len(iids))
	for lo := 0; lo < len(iids); lo += 1000 {
		chunk := iids[lo:min(lo+1000, len(iids))]
		vals := make([]any, len(chunk))
		for i, x := range chunk {
			vals[i] = strconv.FormatUint(x, 10)
		}
		objs, err := s.c.Find(ctx, collection(dataset), weaviate.Filter{weaviate.AnyOf(propIID, vals...)}, len(chunk), vectors)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, o := range objs {
			out[iidOf(o.ID)] = o
		}
	}
	return out, nil
}

func (s *Store) Resolve(ctx context.Context, dataset string, iids []uint64) ([]storage.Resolved, error) {
	out := make([]storage.Resolved, len(iids))
	if len(iids) == 0 {
		return out, nil
	}
	found, err := s.byIID(ctx, dataset, iids, false)
	if err != nil {
		return nil, err
	}
	for i, iid := range iids {
		if o, ok := found[iid]; ok {
			p := fromObject(o, nil)
			out[i] = storage.Resolved{Ref: storage.Ref{PointID: p.ID}, URI: p.URI, Metadata: p.Metadata}
		}
	}
	return out, nil
}

func (s *Store) Vector(ctx context.Context, dataset, space string, level storage.Level, iid uint64) ([]float32, error) {
	vs, err := s.Vectors(ctx, dataset, space, level, []uint64{iid})
	if err != nil {
		return nil, err
	}
	if vs[0] == nil {
		return nil, fmt.Errorf("%w: vector of %d in space %q", storage.ErrNotFound, iid, space)
	}
	return vs[0], nil
}

func (s *Store) Vectors(ctx context.Context, dataset, space string, level storage.Level, iids []uint64) ([][]float32, error) {
	if level != storage.LevelPoint {
		return make([][]float32, len(iids)), nil
	}
	found, err := s.byIID(ctx, dataset, iids, true)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(iids))
	for i, iid := range iids {
		if v := found[iid].Vectors[vectorName(space)]; len(v) > 0 {
			out[i] = v
		}
	}
	return out, nil
}

// ScanVectors streams the cursor and sorts by IID before calling fn: the
// engine promises ascending IID order, so this holds the level's vectors
// in memory once (the caveat of a first cut; see docs/SCALING.md).
func (s *Store) ScanVectors(ctx context.Context, dataset, space string, level storage.Level, fn func(uint64, []float32) error) error {
	if level != storage.LevelPoint {
		return nil
	}
	if _, err := s.space(ctx, dataset, space); err != nil {
		return err
	}
	type row struct {
		iid uint64
		v   []float32
	}
	var rows []row
	vn := vectorName(space)
	err := s.c.Scan(ctx, collection(dataset), weaviate.ScanOptions{Vectors: []string{vn}}, func(o weaviate.Object) error {
		if v := o.Vectors[vn]; len(v) > 0 {
			rows = append(rows, row{iidOf(o.ID), v})
		}
		return nil
	})
	if err != nil {
		return mapErr(err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].iid < rows[j].iid })
	for _, r := range rows {
		if err := fn(r.iid, r.v); err != nil {
			return err
		}
	}
	return nil
}

// ScanPoints streams points in id order: the cursor returns them in UUID
// order, so they are collected and sorted first (held in memory once, a
// caveat of this first cut).
func (s *Store) ScanPoints(ctx context.Context, dataset string, spaces []string, fn func(*storage.Point) error) error {
	r, err := s.readRecord(ctx, dataset)
	if err != nil || len(r.spaces) == 0 {
		return err
	}
	var want []storage.Space
	vn := []string{}
	for _, sp := range r.spaces {
		if slices.Contains(spaces, sp.Name) {
			want = append(want, sp)
			vn = append(vn, vectorName(sp.Name))
		}
	}
	var pts []storage.Point
	err = s.c.Scan(ctx, collection(dataset), weaviate.ScanOptions{Vectors: vn}, func(o weaviate.Object) error {
		pts = append(pts, fromObject(o, want))
		return nil
	})
	if err != nil {
		return mapErr(err)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].ID < pts[j].ID })
	for i := range pts {
		if err := fn(&pts[i]); err != nil {
			return err
		}
	}
	return nil
}

func ids(points []storage.Point) []string {
	out := make([]string, len(points))
	for i, p := range points {
		out[i] = p.ID
	}
	return out
}

func spaceNames(sps []storage.Space) []string {
	out := make([]string, len(sps))
	for i, sp := range sps {
		out[i] = sp.Name
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
