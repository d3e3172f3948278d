package storage

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CreateDataset creates an empty dataset and returns it.
func (db *DB) CreateDataset(name string) (Dataset, error) {
	var ds Dataset
	err := db.update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketDatasets)
		if root.Bucket([]byte(name)) != nil {
			return fmt.Errorf("%w: dataset %q", ErrExists, name)
		}
		seq, err := nextSeqLocked(tx)
		if err != nil {
			return err
		}
		b, err := root.CreateBucket([]byte(name))
		if err != nil {
			return err
		}
		for _, sub := range [][]byte{bucketSpaces, bucketPoints, bucketIIDs} {
			if _, err := b.CreateBucket(sub); err != nil {
				return err
			}
		}
		ds = Dataset{Name: name, UID: newUID(), Created: time.Now().UTC(), Seq: seq, NextIID: 1}
		return putJSON(b, keyInfo, ds)
	})
	return ds, err
}

// Dataset returns one dataset.
func (db *DB) Dataset(name string) (Dataset, error) {
	var ds Dataset
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, name)
		if err != nil {
			return err
		}
		ds, err = readInfo(b)
		return err
	})
	return ds, err
}

// Datasets lists every dataset, sorted by name.
func (db *DB) Datasets() ([]Dataset, error) {
	var out []Dataset
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDatasets).ForEachBucket(func(k []byte) error {
			ds, err := readInfo(tx.Bucket(bucketDatasets).Bucket(k))
			if err != nil {
				return err
			}
			out = append(out, ds)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// DeleteDataset removes a dataset and everything in it, in one transaction.
func (db *DB) DeleteDataset(name string) (uint64, error) {
	var seq uint64
	err := db.update(func(tx *bolt.Tx) error {
		if _, err := datasetBucket(tx, name); err != nil {
			return err
		}
		var err error
		if seq, err = nextSeqLocked(tx); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDatasets).DeleteBucket([]byte(name)); err != nil {
			return err
		}
		// A drop needs no log entry: caches are keyed by dataset UID and
		// die with it.
		return nil
	})
	return seq, err
}

// CreateSpace adds an embedding space to a dataset.
func (db *DB) CreateSpace(dataset string, sp Space) (Space, error) {
	if sp.Dim <= 0 {
		return Space{}, fmt.Errorf("%w: dim %d", ErrInvalid, sp.Dim)
	}
	err := db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		spaces := b.Bucket(bucketSpaces)
		if spaces.Get([]byte(sp.Name)) != nil {
			return fmt.Errorf("%w: space %q in dataset %q", ErrExists, sp.Name, dataset)
		}
		seq, err := nextSeqLocked(tx)
		if err != nil {
			return err
		}
		sp.Seq, sp.Created = seq, time.Now().UTC()
		for _, lvl := range []Level{LevelPoint, LevelObject} {
			if _, err := b.CreateBucketIfNotExists(vecBucketName(sp.Name, lvl)); err != nil {
				return err
			}
		}
		return putJSON(spaces, []byte(sp.Name), sp)
	})
	return sp, err
}

// UpdateSpace rewrites a space's settings (not its dim or metric).
func (db *DB) UpdateSpace(dataset string, sp Space) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		old, err := readSpace(b, sp.Name)
		if err != nil {
			return err
		}
		if old.Dim != sp.Dim || old.Metric != sp.Metric {
			return fmt.Errorf("%w: a space's dim and metric cannot change", ErrInvalid)
		}
		return putJSON(b.Bucket(bucketSpaces), []byte(sp.Name), sp)
	})
}

// Spaces lists a dataset's spaces, sorted by name.
func (db *DB) Spaces(dataset string) ([]Space, error) {
	var out []Space
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		return b.Bucket(bucketSpaces).ForEach(func(k, v []byte) error {
			var sp Space
			if err := json.Unmarshal(v, &sp); err != nil {
				return fmt.Errorf("%w: space %q: %v", ErrCorrupt, k, err)
			}
			out = append(out, sp)
			return nil
		})
	})
	return out, err
}

func datasetBucket(tx *bolt.Tx, name string) (*bolt.Bucket, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: dataset name is empty", ErrNotFound)
	}
	b := tx.Bucket(bucketDatasets).Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("%w: dataset %q", ErrNotFound, name)
	}
	return b, nil
}

func readInfo(b *bolt.Bucket) (Dataset, error) {
	var ds Dataset
	if err := json.Unmarshal(b.Get(keyInfo), &ds); err != nil {
		return ds, fmt.Errorf("%w: dataset info: %v", ErrCorrupt, err)
	}
	return ds, nil
}

func readSpace(b *bolt.Bucket, name string) (Space, error) {
	var sp Space
	v := b.Bucket(bucketSpaces).Get([]byte(name))
	if v == nil {
		return sp, fmt.Errorf("%w: space %q", ErrNotFound, name)
	}
	if err := json.Unmarshal(v, &sp); err != nil {
		return sp, fmt.Errorf("%w: space %q: %v", ErrCorrupt, name, err)
	}
	return sp, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func newUID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}
