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
	// BlobPreview is a point's image shrunk to at most 1024 px on its
	// longer side (JPEG), drawn large in the view's detail panel. Images
	// no bigger than their thumbnail have none.
	BlobPreview = BlobKind{Name: "previews", MaxBytes: MaxPreviewBytes}
)

// MaxPreviewBytes bounds one stored preview: a 1024 px JPEG of a photo
// takes 100–400 KiB; noise at quality 85 stays under 1.5 MiB.
const MaxPreviewBytes = 2 << 20

// blobKinds lists every kind, for removal with a point.
var blobKinds = []BlobKind{BlobThumbnail, BlobAudio, BlobObjectThumbs, BlobPreview}

// BlobValues is one kind's values for PutBlobSets, aligned with its ids.
// With Optional, a nil value removes the point's blob of that kind (so a
// replaced image leaves no stale preview); otherwise every value is needed.
type BlobValues struct {
	Kind     BlobKind
	Data     [][]byte
	Optional bool
}

// PutBlobs stores many blobs of one kind in one transaction (all or
// nothing); every point must exist.
func (db *DB) PutBlobs(kind BlobKind, dataset string, ids []string, data [][]byte) error {
	return db.PutBlobSets(dataset, ids, BlobValues{Kind: kind, Data: data})
}

// PutBlobSets stores the blobs of several kinds for the same points in one
// transaction (all or nothing): a thumbnail and its preview are never out of
// step. Every point must exist.
func (db *DB) PutBlobSets(dataset string, ids []string, sets ...BlobValues) error {
	for _, s := range sets {
		if err := s.check(ids); err != nil {
			return err
		}
	}
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		points := b.Bucket(bucketPoints)
		for _, id := range ids {
			if points.Get([]byte(id)) == nil {
				return fmt.Errorf("%w: point %q", ErrNotFound, id)
			}
		}
		for _, s := range sets {
			kb, err := b.CreateBucketIfNotExists([]byte(s.Kind.Name))
			if err != nil {
				return err
			}
			for i, id := range ids {
				if s.Data[i] == nil {
					err = kb.Delete([]byte(id))
				} else {
					err = kb.Put([]byte(id), s.Data[i])
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (s BlobValues) check(ids []string) error {
	kind := s.Kind
	if len(ids) != len(s.Data) {
		return fmt.Errorf("%w: %d ids for %d %s values", ErrInvalid, len(ids), len(s.Data), kind.Name)
	}
	for i, d := range s.Data {
		if len(d) == 0 && !(s.Optional && d == nil) {
			return fmt.Errorf("%w: empty %s value for %q", ErrInvalid, kind.Name, ids[i])
		}
		if len(d) > kind.MaxBytes {
			return fmt.Errorf("%w: %s value of %d bytes for %q, limit %d", ErrInvalid, kind.Name, len(d), ids[i], kind.MaxBytes)
		}
	}
	return nil
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
