package storage

import (
	"encoding/json"
	"fmt"
)

// MetadataEdit computes a point's new metadata from its current one (nil
// when it has none). It runs inside the write transaction, so what it reads
// is what it replaces: no concurrent write can slip in between. It returns
// changed=false to leave the point untouched.
type MetadataEdit func(p *Point) (meta json.RawMessage, changed bool, err error)

// EditMetadata rewrites the metadata of points in one transaction and never
// touches their vectors, uri or objects. With ids nil every point of the
// dataset is offered to edit; otherwise each named point is, and a missing
// one fails the whole edit with ErrNotFound unless skipMissing. It returns
// the sequence of the write and how many points changed; when none did,
// nothing is written and seq is 0.
func (db *DB) EditMetadata(dataset string, ids []string, skipMissing bool, edit MetadataEdit) (seq uint64, changed int, err error) {
	seq, _, err = db.writeBatch(dataset, func(w *batchWriter) error {
		pts := w.b.Bucket(bucketPoints)
		// next computes a point's new record; nil when edit leaves it.
		next := func(key, raw []byte) ([]byte, error) {
			var p Point
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, fmt.Errorf("%w: point %q: %v", ErrCorrupt, key, err)
			}
			meta, ok, err := edit(&p)
			if err != nil || !ok {
				return nil, err
			}
			p.Metadata, p.Seq = meta, w.seq
			return json.Marshal(&p)
		}
		if ids == nil {
			// bbolt forbids writes to a bucket under ForEach: compute the
			// changed records first (only those are held), then write them.
			var keys, vals [][]byte
			if err := pts.ForEach(func(k, v []byte) error {
				rec, err := next(k, v)
				if rec != nil {
					keys, vals = append(keys, append([]byte(nil), k...)), append(vals, rec)
				}
				return err
			}); err != nil {
				return err
			}
			for i := range keys {
				if err := pts.Put(keys[i], vals[i]); err != nil {
					return err
				}
			}
			changed = len(keys)
		}
		for _, id := range ids {
			raw := pts.Get([]byte(id))
			if raw == nil {
				if skipMissing {
					continue
				}
				return fmt.Errorf("%w: point %q", ErrNotFound, id)
			}
			rec, err := next([]byte(id), raw)
			if err != nil {
				return fmt.Errorf("point %q: %w", id, err)
			}
			if rec != nil {
				if err := pts.Put([]byte(id), rec); err != nil {
					return err
				}
				changed++
			}
		}
		if changed == 0 {
			return errUnchanged
		}
		return nil
	})
	switch {
	case err == errUnchanged:
		return 0, 0, nil
	case err != nil:
		return 0, 0, err
	}
	return seq, changed, nil
}
