package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Thumbnails live in a per-dataset bucket keyed by point id, so deleting a
// dataset deletes them too. The bucket is created on the first Put; a
// dataset without thumbnails has none.
var bucketThumbs = []byte("thumbs")

// MaxThumbnailBytes bounds one stored thumbnail.
const MaxThumbnailBytes = 256 << 10

// PutThumbnail stores (or replaces) the thumbnail of a point. The point must
// exist.
func (db *DB) PutThumbnail(dataset, id string, data []byte) error {
	return db.PutThumbnails(dataset, []string{id}, [][]byte{data})
}

// PutThumbnails stores many thumbnails in one transaction (all or nothing);
// every point must exist.
func (db *DB) PutThumbnails(dataset string, ids []string, data [][]byte) error {
	if len(ids) != len(data) {
		return fmt.Errorf("%w: %d ids for %d thumbnails", ErrInvalid, len(ids), len(data))
	}
	for i, d := range data {
		if len(d) == 0 {
			return fmt.Errorf("%w: empty thumbnail for %q", ErrInvalid, ids[i])
		}
		if len(d) > MaxThumbnailBytes {
			return fmt.Errorf("%w: thumbnail of %d bytes for %q, limit %d", ErrInvalid, len(d), ids[i], MaxThumbnailBytes)
		}
	}
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		tb, err := b.CreateBucketIfNotExists(bucketThumbs)
		if err != nil {
			return err
		}
		points := b.Bucket(bucketPoints)
		for i, id := range ids {
			if points.Get([]byte(id)) == nil {
				return fmt.Errorf("%w: point %q", ErrNotFound, id)
			}
			if err := tb.Put([]byte(id), data[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Thumbnail returns a point's thumbnail, or ErrNotFound.
func (db *DB) Thumbnail(dataset, id string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		var v []byte
		if tb := b.Bucket(bucketThumbs); tb != nil {
			v = tb.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("%w: no thumbnail for point %q", ErrNotFound, id)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// HasThumbnails reports, for each id, whether a thumbnail is stored.
func (db *DB) HasThumbnails(dataset string, ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		tb := b.Bucket(bucketThumbs)
		if tb == nil {
			return nil
		}
		for i, id := range ids {
			out[i] = tb.Get([]byte(id)) != nil
		}
		return nil
	})
	return out, err
}

// ThumbnailCount returns how many thumbnails a dataset holds.
func (db *DB) ThumbnailCount(dataset string) (int, error) {
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		if tb := b.Bucket(bucketThumbs); tb != nil {
			n = tb.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// DeleteThumbnails removes the thumbnails of the given points; ids without
// one are skipped. (Deleting points does not call this yet.)
func (db *DB) DeleteThumbnails(dataset string, ids []string) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		tb := b.Bucket(bucketThumbs)
		if tb == nil {
			return nil
		}
		for _, id := range ids {
			if err := tb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}
