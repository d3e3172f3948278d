package storage

import (
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// Object crops for the embedding view are a side blob (blobs.go) keyed by
// point id: one record per point holding the size of the original image and
// a small crop of each of its objects' boxes. Written after the point,
// replaced whole, removed with the point; a point without a record is
// valid. Readers check each crop's box against the object's current box,
// so a record is never shown for an object whose box changed.
var BlobObjectThumbs = BlobKind{Name: "objthumbs", MaxBytes: MaxObjectThumbsBytes}

var bucketObjectThumbs = []byte(BlobObjectThumbs.Name)

// MaxObjectThumbsBytes bounds one point's record (all its crops).
const MaxObjectThumbsBytes = 8 << 20

const objThumbsMagic = "REEFOBJ1"

// ObjectCrop is the thumbnail of one object's box, cut from the original
// image; BBox is the box it was cut from ([x, y, w, h], original pixels).
type ObjectCrop struct {
	ObjectID string
	BBox     [4]float32
	Data     []byte
}

// ObjectThumbs is a point's record: the original image's size, the
// checksum (CRC-32C) of the point thumbnail made from that image (so a
// thumbnail replaced later is not scaled by the wrong size; 0 when not
// known), and the object crops.
type ObjectThumbs struct {
	PointID  string
	Width    int
	Height   int
	ThumbCRC uint32
	Crops    []ObjectCrop
}

func encodeObjectThumbs(t *ObjectThumbs) ([]byte, error) {
	if t.Width <= 0 || t.Height <= 0 || t.Width > math.MaxUint32 || t.Height > math.MaxUint32 {
		return nil, fmt.Errorf("%w: image size %d×%d for point %q", ErrInvalid, t.Width, t.Height, t.PointID)
	}
	n := len(objThumbsMagic) + 16
	for _, c := range t.Crops {
		if len(c.ObjectID) == 0 || len(c.ObjectID) > math.MaxUint16 {
			return nil, fmt.Errorf("%w: object id of %d bytes in the crops of point %q", ErrInvalid, len(c.ObjectID), t.PointID)
		}
		if len(c.Data) == 0 || len(c.Data) > MaxThumbnailBytes {
			return nil, fmt.Errorf("%w: crop of %d bytes for object %q of point %q, limit %d", ErrInvalid, len(c.Data), c.ObjectID, t.PointID, MaxThumbnailBytes)
		}
		n += 2 + len(c.ObjectID) + 16 + 4 + len(c.Data)
	}
	if n > MaxObjectThumbsBytes {
		return nil, fmt.Errorf("%w: object crops of point %q take %d bytes, limit %d", ErrInvalid, t.PointID, n, MaxObjectThumbsBytes)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, objThumbsMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(t.Width))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(t.Height))
	buf = binary.LittleEndian.AppendUint32(buf, t.ThumbCRC)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(t.Crops)))
	for _, c := range t.Crops {
		buf = binary.LittleEndian.AppendUint16(buf, uint16(len(c.ObjectID)))
		buf = append(buf, c.ObjectID...)
		for _, v := range c.BBox {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(c.Data)))
		buf = append(buf, c.Data...)
	}
	return buf, nil
}

// decodeObjectThumbs parses a record; with only set, it keeps the crop of
// that object alone (the others are skipped, not copied).
func decodeObjectThumbs(id string, b []byte, only string, all bool) (*ObjectThumbs, error) {
	bad := func(what string) error {
		return fmt.Errorf("%w: object crops of point %q: %s", ErrCorrupt, id, what)
	}
	if len(b) < len(objThumbsMagic)+16 || string(b[:len(objThumbsMagic)]) != objThumbsMagic {
		return nil, bad("bad header")
	}
	p := b[len(objThumbsMagic):]
	t := &ObjectThumbs{PointID: id, Width: int(binary.LittleEndian.Uint32(p)), Height: int(binary.LittleEndian.Uint32(p[4:])),
		ThumbCRC: binary.LittleEndian.Uint32(p[8:])}
	n := binary.LittleEndian.Uint32(p[12:])
	p = p[16:]
	for range n {
		if len(p) < 2 {
			return nil, bad("truncated")
		}
		ol := int(binary.LittleEndian.Uint16(p))
		if len(p) < 2+ol+20 {
			return nil, bad("truncated")
		}
		oid := string(p[2 : 2+ol])
		p = p[2+ol:]
		var bbox [4]float32
		for j := range bbox {
			bbox[j] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*j:]))
		}
		dl := int(binary.LittleEndian.Uint32(p[16:]))
		p = p[20:]
		if len(p) < dl {
			return nil, bad("truncated")
		}
		if all || oid == only {
			t.Crops = append(t.Crops, ObjectCrop{ObjectID: oid, BBox: bbox, Data: append([]byte(nil), p[:dl]...)})
		}
		p = p[dl:]
	}
	if len(p) != 0 {
		return nil, bad("trailing bytes")
	}
	return t, nil
}

// PutObjectThumbs stores (replacing whole) the records of many points in one
// transaction (all or nothing); every point must exist.
func (db *DB) PutObjectThumbs(dataset string, recs []ObjectThumbs) error {
	vals := make([][]byte, len(recs))
	for i := range recs {
		v, err := encodeObjectThumbs(&recs[i])
		if err != nil {
			return err
		}
		vals[i] = v
	}
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		ob, err := b.CreateBucketIfNotExists(bucketObjectThumbs)
		if err != nil {
			return err
		}
		points := b.Bucket(bucketPoints)
		for i := range recs {
			id := []byte(recs[i].PointID)
			if points.Get(id) == nil {
				return fmt.Errorf("%w: point %q", ErrNotFound, recs[i].PointID)
			}
			if err := ob.Put(id, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ObjectThumbsOf returns a point's record with the crop of object oid only
// (no crop when it has none), or ErrNotFound when the point has no record.
func (db *DB) ObjectThumbsOf(dataset, id, oid string) (*ObjectThumbs, error) {
	return db.objectThumbs(dataset, id, oid, false)
}

// AllObjectThumbs returns a point's record with every crop, or ErrNotFound.
func (db *DB) AllObjectThumbs(dataset, id string) (*ObjectThumbs, error) {
	return db.objectThumbs(dataset, id, "", true)
}

func (db *DB) objectThumbs(dataset, id, oid string, all bool) (*ObjectThumbs, error) {
	var out *ObjectThumbs
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		var v []byte
		if ob := b.Bucket(bucketObjectThumbs); ob != nil {
			v = ob.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("%w: no object crops for point %q", ErrNotFound, id)
		}
		out, err = decodeObjectThumbs(id, v, oid, all)
		return err
	})
	return out, err
}

// DeleteObjectThumbs removes the records of the given points; ids without
// one are skipped.
func (db *DB) DeleteObjectThumbs(dataset string, ids []string) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		ob := b.Bucket(bucketObjectThumbs)
		if ob == nil {
			return nil
		}
		for _, id := range ids {
			if err := ob.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PointObjects returns a point's objects (without their vectors).
func (db *DB) PointObjects(dataset, id string) ([]Object, error) {
	var out []Object
	err := db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		p, err := readPoint(b, id, false)
		out = p.Objects
		return err
	})
	return out, err
}
