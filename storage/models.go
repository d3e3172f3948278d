package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Registered models are opaque JSON manifests kept by name, so a data
// directory carries the models its spaces were made with.

var bucketModels = []byte("models")

// PutModel stores (or replaces) a model manifest.
func (db *DB) PutModel(name string, manifest []byte) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketModels)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), manifest)
	})
}

// Models returns every stored manifest by name.
func (db *DB) Models() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	return out, err
}

// DeleteModel removes a manifest.
func (db *DB) DeleteModel(name string) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: model %q", ErrNotFound, name)
		}
		return b.Delete([]byte(name))
	})
}
