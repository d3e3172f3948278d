package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Point returns one point with its vectors (and its objects' vectors).
func (db *DB) Point(dataset, id string) (Point, error) {
	var p Point
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		p, err = readPoint(b, id, true)
		return err
	})
	return p, err
}

// Vector returns the stored vector of an IID in a space, or ErrNotFound.
func (db *DB) Vector(dataset, space string, level Level, iid uint64) ([]float32, error) {
	var out []float32
	err := db.view(func(tx *bolt.Tx) error {
		vb, err := vectorBucket(tx, dataset, space, level)
		if err != nil {
			return err
		}
		v := vb.Get(u64key(iid))
		if v == nil {
			return fmt.Errorf("%w: no %s vector %d in space %q", ErrNotFound, level, iid, space)
		}
		out, err = decodeVector(v, nil)
		return err
	})
	return out, err
}

// Resolved is what a search hit's IID stands for.
type Resolved struct {
	Ref
	URI      string
	Metadata json.RawMessage
	Object   *Object // set for object-level IIDs
}

// Resolve maps IIDs to their points (and objects) in one read transaction.
// IIDs that no longer exist resolve to a zero Ref.
func (db *DB) Resolve(dataset string, iids []uint64) ([]Resolved, error) {
	out := make([]Resolved, len(iids))
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		return resolveTx(b, iids, out)
	})
	return out, err
}

func resolveTx(b *bolt.Bucket, iids []uint64, out []Resolved) error {
	iidb, points := b.Bucket(bucketIIDs), b.Bucket(bucketPoints)
	for i, iid := range iids {
		raw := iidb.Get(u64key(iid))
		if raw == nil {
			continue
		}
		ref, err := decodeRef(raw)
		if err != nil {
			return err
		}
		var p Point
		if err := json.Unmarshal(points.Get([]byte(ref.PointID)), &p); err != nil {
			return fmt.Errorf("%w: point %q: %v", ErrCorrupt, ref.PointID, err)
		}
		out[i] = Resolved{Ref: ref, URI: p.URI, Metadata: p.Metadata}
		if ref.ObjectID != "" {
			for j := range p.Objects {
				if p.Objects[j].IID == iid {
					out[i].Object = &p.Objects[j]
				}
			}
		}
	}
	return nil
}

// IIDOf returns the IID of a point, or of one of its objects.
func (db *DB) IIDOf(dataset string, ref Ref) (uint64, error) {
	var iid uint64
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		p, err := readPoint(b, ref.PointID, false)
		if err != nil {
			return err
		}
		if ref.ObjectID == "" {
			iid = p.IID
			return nil
		}
		for _, o := range p.Objects {
			if o.ID == ref.ObjectID {
				iid = o.IID
				return nil
			}
		}
		return fmt.Errorf("%w: object %q of point %q", ErrNotFound, ref.ObjectID, ref.PointID)
	})
	return iid, err
}

// ScanVectors calls fn for every vector of a space and level in IID order.
// vec is reused between calls; fn must copy it to keep it.
func (db *DB) ScanVectors(dataset, space string, level Level, fn func(iid uint64, vec []float32) error) error {
	return db.view(func(tx *bolt.Tx) error {
		vb, err := vectorBucket(tx, dataset, space, level)
		if err != nil {
			return err
		}
		var buf []float32
		return vb.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: vector key of %d bytes", ErrCorrupt, len(k))
			}
			if buf, err = decodeVector(v, buf); err != nil {
				return err
			}
			return fn(readU64Bytes(k), buf)
		})
	})
}

// ScanPoints calls fn for every point in id order, with the vectors of the
// named spaces loaded (none when spaces is empty).
func (db *DB) ScanPoints(dataset string, spaces []string, fn func(p *Point) error) error {
	return db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		return b.Bucket(bucketPoints).ForEach(func(k, v []byte) error {
			var p Point
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%w: point %q: %v", ErrCorrupt, k, err)
			}
			if err := loadVectors(b, &p, spaces); err != nil {
				return err
			}
			return fn(&p)
		})
	})
}

func readPoint(b *bolt.Bucket, id string, withVectors bool) (Point, error) {
	var p Point
	v := b.Bucket(bucketPoints).Get([]byte(id))
	if v == nil {
		return p, fmt.Errorf("%w: point %q", ErrNotFound, id)
	}
	if err := json.Unmarshal(v, &p); err != nil {
		return p, fmt.Errorf("%w: point %q: %v", ErrCorrupt, id, err)
	}
	if !withVectors {
		return p, nil
	}
	spaces, err := spaceMap(b)
	if err != nil {
		return p, err
	}
	return p, loadVectors(b, &p, sortedKeys(spaces))
}

func loadVectors(b *bolt.Bucket, p *Point, spaces []string) error {
	get := func(iid uint64, level Level) (map[string][]float32, error) {
		var m map[string][]float32
		for _, name := range spaces {
			vb := b.Bucket(vecBucketName(name, level))
			if vb == nil {
				return nil, fmt.Errorf("%w: space %q", ErrNotFound, name)
			}
			if raw := vb.Get(u64key(iid)); raw != nil {
				v, err := decodeVector(raw, nil)
				if err != nil {
					return nil, err
				}
				if m == nil {
					m = make(map[string][]float32)
				}
				m[name] = v
			}
		}
		return m, nil
	}
	var err error
	if p.Vectors, err = get(p.IID, LevelPoint); err != nil {
		return err
	}
	for i := range p.Objects {
		if p.Objects[i].Vectors, err = get(p.Objects[i].IID, LevelObject); err != nil {
			return err
		}
	}
	return nil
}

func readU64Bytes(k []byte) uint64 {
	var v uint64
	for _, c := range k {
		v = v<<8 | uint64(c)
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Vectors returns the stored vectors of many IIDs in one read transaction;
// IIDs without a vector get nil.
func (db *DB) Vectors(dataset, space string, level Level, iids []uint64) ([][]float32, error) {
	out := make([][]float32, len(iids))
	err := db.view(func(tx *bolt.Tx) error {
		vb, err := vectorBucket(tx, dataset, space, level)
		if err != nil {
			return err
		}
		for i, iid := range iids {
			if raw := vb.Get(u64key(iid)); raw != nil {
				if out[i], err = decodeVector(raw, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func vectorBucket(tx *bolt.Tx, dataset, space string, level Level) (*bolt.Bucket, error) {
	b, err := datasetBucket(tx, dataset)
	if err != nil {
		return nil, err
	}
	vb := b.Bucket(vecBucketName(space, level))
	if vb == nil {
		return nil, fmt.Errorf("%w: space %q", ErrNotFound, space)
	}
	return vb, nil
}

// Stored says which vectors a stored point holds.
type Stored struct {
	Spaces        []string // spaces with a point-level vector, sorted
	ObjectVectors bool     // some object has a vector
}

// StoredVectors reports, in one read transaction, which vectors each of the
// named points holds. Points that do not exist are absent from the map.
func (db *DB) StoredVectors(dataset string, ids []string) (map[string]Stored, error) {
	out := make(map[string]Stored)
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		spaces, err := spaceMap(b)
		if err != nil {
			return err
		}
		names := sortedKeys(spaces)
		for _, id := range ids {
			p, err := readPoint(b, id, false)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var st Stored
			for _, name := range names {
				if b.Bucket(vecBucketName(name, LevelPoint)).Get(u64key(p.IID)) != nil {
					st.Spaces = append(st.Spaces, name)
				}
				for _, o := range p.Objects {
					if !st.ObjectVectors && b.Bucket(vecBucketName(name, LevelObject)).Get(u64key(o.IID)) != nil {
						st.ObjectVectors = true
					}
				}
			}
			out[id] = st
		}
		return nil
	})
	return out, err
}
