package storage

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The change log maps a write's sequence number to the vector changes it
// made (without the vectors, which stay in their buckets). Index caches
// replay it from their snapshot's sequence; it is trimmed once every cache
// has persisted past an entry.

func appendLog(tx *bolt.Tx, seq uint64, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	data, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketLog).Put(u64key(seq), data)
}

// Replay calls fn, in sequence order, for every logged change with a
// sequence greater than after. Put changes carry the vector as stored now
// (nil if it was deleted since, in which case a later Delete follows).
// It fails with ErrNotFound when the log no longer reaches back to after.
func (db *DB) Replay(dataset, space string, level Level, after uint64, fn func(seq uint64, c Change) error) error {
	return db.view(func(tx *bolt.Tx) error {
		if trimmed := readU64(tx.Bucket(bucketMeta), keyLogTrimmed); after < trimmed {
			return fmt.Errorf("%w: change log trimmed through %d, need from %d", ErrNotFound, trimmed, after+1)
		}
		vb, err := vectorBucket(tx, dataset, space, level)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil; k, v = c.Next() {
			var changes []Change
			if err := json.Unmarshal(v, &changes); err != nil {
				return fmt.Errorf("%w: log entry %d: %v", ErrCorrupt, readU64Bytes(k), err)
			}
			seq := readU64Bytes(k)
			for _, ch := range changes {
				if ch.Dataset != dataset || ch.Space != space || ch.Level != level {
					continue
				}
				if ch.Op == OpPut {
					if raw := vb.Get(u64key(ch.IID)); raw != nil {
						if ch.Vec, err = decodeVector(raw, nil); err != nil {
							return err
						}
					}
				}
				if err := fn(seq, ch); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// TrimLog drops log entries with sequence ≤ upTo.
func (db *DB) TrimLog(upTo uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if upTo <= readU64(meta, keyLogTrimmed) {
			return nil
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, _ := c.First(); k != nil && readU64Bytes(k) <= upTo; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return meta.Put(keyLogTrimmed, u64key(upTo))
	})
}
