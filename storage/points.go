package storage

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Upsert writes a batch of points in one transaction and returns its
// sequence number and the vector changes it made, in order. A point that
// exists keeps its IID and is replaced whole: its metadata, vectors and
// objects become the new ones (vectors of spaces the new point lacks are
// removed). With merge, an existing point instead keeps what the new one
// leaves unset: its uri, metadata, objects (when Objects is nil) and the
// vectors of other spaces.
func (db *DB) Upsert(dataset string, points []Point, merge bool) (uint64, []Change, error) {
	return db.writeBatch(dataset, func(w *batchWriter) error {
		for i := range points {
			if err := w.put(&points[i], merge); err != nil {
				return fmt.Errorf("points[%d] (id %q): %w", i, points[i].ID, err)
			}
		}
		return nil
	})
}

// DeletePoints removes points (and their objects) in one transaction. Every
// id must exist; otherwise nothing is deleted and the error wraps ErrNotFound.
func (db *DB) DeletePoints(dataset string, ids []string) (uint64, []Change, error) {
	return db.writeBatch(dataset, func(w *batchWriter) error {
		for _, id := range ids {
			old, err := w.old(id)
			if err != nil {
				return err
			}
			if old == nil {
				return fmt.Errorf("%w: point %q", ErrNotFound, id)
			}
			if err := w.removePoint(old); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeBatch runs fn on a batchWriter inside one write transaction, then
// records the dataset's counters, vector sequences and the change log.
func (db *DB) writeBatch(dataset string, fn func(w *batchWriter) error) (uint64, []Change, error) {
	var w batchWriter
	err := db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		info, err := readInfo(b)
		if err != nil {
			return err
		}
		spaces, err := spaceMap(b)
		if err != nil {
			return err
		}
		seq, err := nextSeqLocked(tx)
		if err != nil {
			return err
		}
		w = batchWriter{b: b, info: &info, spaces: spaces, seq: seq, dataset: dataset}
		if err := fn(&w); err != nil {
			return err
		}
		info.Seq = seq
		markVectorSeq(&info, seq, w.changes)
		if err := putJSON(b, keyInfo, info); err != nil {
			return err
		}
		return appendLog(tx, seq, w.changes)
	})
	if err != nil {
		return 0, nil, err
	}
	return w.seq, w.changes, nil
}

// batchWriter applies one batch inside a write transaction.
type batchWriter struct {
	b       *bolt.Bucket
	info    *Dataset
	spaces  map[string]Space
	seq     uint64
	dataset string
	changes []Change
}

func (w *batchWriter) old(id string) (*Point, error) {
	v := w.b.Bucket(bucketPoints).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var p Point
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("%w: point %q: %v", ErrCorrupt, id, err)
	}
	return &p, nil
}

func (w *batchWriter) checkVectors(vecs map[string][]float32) error {
	for name, v := range vecs {
		sp, ok := w.spaces[name]
		if !ok {
			return fmt.Errorf("%w: space %q", ErrNotFound, name)
		}
		if len(v) != sp.Dim {
			return fmt.Errorf("%w: space %q wants %d, got %d", ErrDimensionMismatch, name, sp.Dim, len(v))
		}
	}
	return nil
}

func (w *batchWriter) put(p *Point, merge bool) error {
	if p.ID == "" {
		return fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if err := w.checkVectors(p.Vectors); err != nil {
		return err
	}
	for i := range p.Objects {
		if err := w.checkVectors(p.Objects[i].Vectors); err != nil {
			return fmt.Errorf("objects[%d]: %w", i, err)
		}
	}
	old, err := w.old(p.ID)
	if err != nil {
		return err
	}
	newObjects := true
	switch {
	case old == nil:
		p.IID = w.info.NextIID
		w.info.NextIID++
		w.info.Points++
	case merge:
		p.IID = old.IID
		if p.URI == "" {
			p.URI = old.URI
		}
		if p.Metadata == nil {
			p.Metadata = old.Metadata
		}
		if p.Objects == nil {
			p.Objects, newObjects = old.Objects, false
		} else if err := w.removeObjects(old); err != nil {
			return err
		}
	default:
		p.IID = old.IID
		if err := w.deleteVectors(old.IID, LevelPoint); err != nil {
			return err
		}
		if err := w.removeObjects(old); err != nil {
			return err
		}
	}
	if err := w.putVectors(p.IID, LevelPoint, p.Vectors); err != nil {
		return err
	}
	iids := w.b.Bucket(bucketIIDs)
	if err := iids.Put(u64key(p.IID), encodeRef(Ref{PointID: p.ID})); err != nil {
		return err
	}
	for i := range p.Objects {
		if !newObjects {
			break
		}
		o := &p.Objects[i]
		o.IID = w.info.NextIID
		w.info.NextIID++
		w.info.Objects++
		if err := iids.Put(u64key(o.IID), encodeRef(Ref{PointID: p.ID, ObjectID: o.ID})); err != nil {
			return err
		}
		if err := w.putVectors(o.IID, LevelObject, o.Vectors); err != nil {
			return err
		}
	}
	p.Seq = w.seq
	return putJSON(w.b.Bucket(bucketPoints), []byte(p.ID), p)
}

func (w *batchWriter) putVectors(iid uint64, level Level, vecs map[string][]float32) error {
	for _, name := range sortedKeys(vecs) {
		v := vecs[name]
		if err := w.b.Bucket(vecBucketName(name, level)).Put(u64key(iid), encodeVector(v)); err != nil {
			return err
		}
		w.changes = append(w.changes, Change{Dataset: w.dataset, Space: name, Level: level, IID: iid, Op: OpPut, Vec: v})
	}
	return nil
}

// removePoint deletes a point with its vectors and objects.
func (w *batchWriter) removePoint(old *Point) error {
	if err := w.deleteVectors(old.IID, LevelPoint); err != nil {
		return err
	}
	if err := w.removeObjects(old); err != nil {
		return err
	}
	w.info.Points--
	if err := w.b.Bucket(bucketIIDs).Delete(u64key(old.IID)); err != nil {
		return err
	}
	if err := deleteBlobsLocked(w.b, old.ID); err != nil {
		return err
	}
	return w.b.Bucket(bucketPoints).Delete([]byte(old.ID))
}

func (w *batchWriter) removeObjects(old *Point) error {
	iids := w.b.Bucket(bucketIIDs)
	for _, o := range old.Objects {
		if err := w.deleteVectors(o.IID, LevelObject); err != nil {
			return err
		}
		if err := iids.Delete(u64key(o.IID)); err != nil {
			return err
		}
		w.info.Objects--
	}
	return nil
}

func (w *batchWriter) deleteVectors(iid uint64, level Level) error {
	key := u64key(iid)
	for _, name := range sortedKeys(w.spaces) {
		vb := w.b.Bucket(vecBucketName(name, level))
		if vb.Get(key) == nil {
			continue
		}
		if err := vb.Delete(key); err != nil {
			return err
		}
		w.changes = append(w.changes, Change{Dataset: w.dataset, Space: name, Level: level, IID: iid, Op: OpDelete})
	}
	return nil
}

func spaceMap(b *bolt.Bucket) (map[string]Space, error) {
	out := make(map[string]Space)
	err := b.Bucket(bucketSpaces).ForEach(func(k, v []byte) error {
		var sp Space
		if err := json.Unmarshal(v, &sp); err != nil {
			return fmt.Errorf("%w: space %q: %v", ErrCorrupt, k, err)
		}
		out[sp.Name] = sp
		return nil
	})
	return out, err
}

func markVectorSeq(info *Dataset, seq uint64, changes []Change) {
	for _, c := range changes {
		if info.VecSeq == nil {
			info.VecSeq = map[string]uint64{}
		}
		info.VecSeq[c.Space+"/"+c.Level.String()] = seq
	}
}
