package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// BlobKind names a per-dataset side bucket of opaque values keyed by point
// id: thumbnails, playable audio. A side blob is auxiliary data for the
// view, not part of a point: it is written after the point's batch commits
// (in its own transaction), removed with the point, and a point without one
// is valid. Deleting a dataset deletes its blobs.
type BlobKind struct {
	Name     string // the bucket name inside the dataset's bucket
	MaxBytes int    // bound on one value
}

// The side-blob kinds reef stores.
var (
	// BlobThumbnail is a point's image thumbnail (PNG or JPEG).
	BlobThumbnail = BlobKind{Name: "thumbs", MaxBytes: MaxThumbnailBytes}
	// BlobAudio is a point's playable audio (16-bit PCM WAV).
	BlobAudio = BlobKind{Name: "audio", MaxBytes: MaxAudioBytes}
)

// blobKinds lists every kind, for removal with a point.
var blobKinds = []BlobKind{BlobThumbnail, BlobAudio, BlobObjectThumbs}

// PutBlobs stores many blobs of one kind in one transaction (all or
// nothing); every point must exist.
func (db *DB) PutBlobs(kind BlobKind, dataset string, ids []string, data [][]byte) error {
	if len(ids) != len(data) {
		return fmt.Errorf("%w: %d ids for %d %s values", ErrInvalid, len(ids), len(data), kind.Name)
	}
	for i, d := range data {
		if len(d) == 0 {
			return fmt.Errorf("%w: empty %s value for %q", ErrInvalid, kind.Name, ids[i])
		}
		if len(d) > kind.MaxBytes {
			return fmt.Errorf("%w: %s value of %d bytes for %q, limit %d", ErrInvalid, kind.Name, len(d), ids[i], kind.MaxBytes)
		}
	}
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		kb, err := b.CreateBucketIfNotExists([]byte(kind.Name))
		if err != nil {
			return err
		}
		points := b.Bucket(bucketPoints)
		for i, id := range ids {
			if points.Get([]byte(id)) == nil {
				return fmt.Errorf("%w: point %q", ErrNotFound, id)
			}
			if err := kb.Put([]byte(id), data[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Blob returns a point's blob of one kind, or ErrNotFound.
func (db *DB) Blob(kind BlobKind, dataset, id string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		var v []byte
		if kb := b.Bucket([]byte(kind.Name)); kb != nil {
			v = kb.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("%w: no %s for point %q", ErrNotFound, kind.Name, id)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// HasBlobs reports, for each id, whether a blob of the kind is stored.
func (db *DB) HasBlobs(kind BlobKind, dataset string, ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		kb := b.Bucket([]byte(kind.Name))
		if kb == nil {
			return nil
		}
		for i, id := range ids {
			out[i] = kb.Get([]byte(id)) != nil
		}
		return nil
	})
	return out, err
}

// BlobCount returns how many blobs of the kind a dataset holds.
func (db *DB) BlobCount(kind BlobKind, dataset string) (int, error) {
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		if kb := b.Bucket([]byte(kind.Name)); kb != nil {
			n = kb.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// DeleteBlobs removes the blobs of the given points; ids without one are
// skipped.
func (db *DB) DeleteBlobs(kind BlobKind, dataset string, ids []string) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		kb := b.Bucket([]byte(kind.Name))
		if kb == nil {
			return nil
		}
		for _, id := range ids {
			if err := kb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteBlobsLocked removes every side blob of a point inside a write
// transaction on the dataset's bucket b.
func deleteBlobsLocked(b *bolt.Bucket, id string) error {
	for _, k := range blobKinds {
		if kb := b.Bucket([]byte(k.Name)); kb != nil {
			if err := kb.Delete([]byte(id)); err != nil {
				return err
			}
		}
	}
	return nil
}
