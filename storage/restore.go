package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxValidateProblems bounds the problems ValidateBackup lists.
const maxValidateProblems = 20

// ValidateBackup checks that path holds a reef store that is safe to
// restore: a bbolt file whose pages pass bbolt's own check, written by this
// format version, in which every dataset's records decode: dataset info,
// spaces, points, the IID map, and vectors of the right length. It opens the
// file read-only and never changes it. Problems are reported joined, each
// wrapping ErrCorrupt (or ErrInvalid when path is not a file at all).
func ValidateBackup(path string) (err error) {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%w: backup %s is not a regular file", ErrInvalid, path)
	}
	// bbolt maps the file and trusts its meta page's page count: a
	// truncated file makes it touch memory past the end of the file, which
	// is a SIGBUS no recover catches. Check the size first.
	if err := checkBoltSize(path, st.Size()); err != nil {
		return err
	}
	// A damaged file can make bbolt panic while it walks pages; that is a
	// verdict on the file, not a crash of the caller.
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: backup %s: bbolt failed reading it: %v", ErrCorrupt, path, v)
		}
	}()
	b, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("%w: backup %s is not a readable bbolt file: %v", ErrCorrupt, path, err)
	}
	defer b.Close()
	var problems []error
	add := func(format string, args ...any) bool {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...))
		return len(problems) < maxValidateProblems
	}
	err = b.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			if !add("bbolt check: %v", cerr) {
				return nil
			}
		}
		if len(problems) > 0 {
			return nil // records on damaged pages are not worth decoding
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketDatasets) == nil || tx.Bucket(bucketLog) == nil {
			add("not a reef store: meta, datasets or log bucket missing")
			return nil
		}
		if v := meta.Get(keyFormat); string(v) != formatVersion {
			add("storage format %q, this reef reads %q", v, formatVersion)
			return nil
		}
		return tx.Bucket(bucketDatasets).ForEachBucket(func(name []byte) error {
			if err := validateDataset(tx.Bucket(bucketDatasets).Bucket(name), string(name), add); err != nil {
				return err
			}
			if len(problems) >= maxValidateProblems {
				return errStopValidate
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStopValidate) {
		return fmt.Errorf("%w: backup %s: %v", ErrCorrupt, path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup %s: %w", path, errors.Join(problems...))
	}
	return nil
}

var errStopValidate = errors.New("too many problems")

func validateDataset(b *bolt.Bucket, name string, add func(string, ...any) bool) error {
	info, err := readInfo(b)
	if err != nil {
		add("dataset %q: %v", name, err)
		return nil
	}
	if info.Name != name {
		add("dataset %q: info names %q", name, info.Name)
	}
	for _, sub := range [][]byte{bucketSpaces, bucketPoints, bucketIIDs} {
		if b.Bucket(sub) == nil {
			add("dataset %q: bucket %q missing", name, sub)
			return nil
		}
	}
	spaces, err := spaceMap(b)
	if err != nil {
		add("dataset %q: %v", name, err)
		return nil
	}
	points, objects := 0, 0
	err = b.Bucket(bucketPoints).ForEach(func(k, v []byte) error {
		var p Point
		if err := json.Unmarshal(v, &p); err != nil {
			if !add("dataset %q point %q: %v", name, k, err) {
				return errStopValidate
			}
			return nil
		}
		points++
		objects += len(p.Objects)
		if p.ID != string(k) {
			add("dataset %q: point key %q holds id %q", name, k, p.ID)
		}
		if ref := b.Bucket(bucketIIDs).Get(u64key(p.IID)); ref == nil {
			if !add("dataset %q point %q: IID %d not in the IID map", name, k, p.IID) {
				return errStopValidate
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if points != info.Points || objects != info.Objects {
		add("dataset %q: info counts %d points and %d objects, %d and %d are stored", name, info.Points, info.Objects, points, objects)
	}
	err = b.Bucket(bucketIIDs).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			if !add("dataset %q: IID key of %d bytes", name, len(k)) {
				return errStopValidate
			}
		}
		if _, err := decodeRef(v); err != nil {
			if !add("dataset %q IID %x: %v", name, k, err) {
				return errStopValidate
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for spName, sp := range spaces {
		for _, l := range []Level{LevelPoint, LevelObject} {
			vb := b.Bucket(vecBucketName(spName, l))
			if vb == nil {
				add("dataset %q space %q: %s vector bucket missing", name, spName, l)
				continue
			}
			err := vb.ForEach(func(k, v []byte) error {
				if len(k) != 8 || len(v) != 4*sp.Dim {
					if !add("dataset %q space %q: %s vector %x has %d bytes, want %d", name, spName, l, k, len(v), 4*sp.Dim) {
						return errStopValidate
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// bbolt's on-disk meta page (go.etcd.io/bbolt internal/common): a 16-byte
// page header, then magic, version, page size, flags (u32 each), root bucket
// (pgid, sequence), freelist pgid, high-water pgid, txid and an FNV-64a
// checksum of the 56 bytes before it. Pages 0 and 1 hold the two metas.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaLen    = 64
)

// checkBoltSize reads both bbolt meta pages and requires the file to hold
// every page the newest valid meta counts.
func checkBoltSize(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer f.Close()
	type meta struct {
		pageSize   uint32
		pgid, txid uint64
	}
	read := func(off int64) (meta, bool) {
		var b [boltPageHeader + boltMetaLen]byte
		if _, err := f.ReadAt(b[:], off); err != nil && !errors.Is(err, io.EOF) {
			return meta{}, false
		}
		m := b[boltPageHeader:]
		le := binary.LittleEndian
		h := fnv.New64a()
		h.Write(m[:56])
		if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion || le.Uint64(m[56:]) != h.Sum64() {
			return meta{}, false
		}
		return meta{pageSize: le.Uint32(m[8:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
	}
	m0, ok0 := read(0)
	var m1 meta
	ok1 := false
	if ok0 && m0.pageSize >= 512 && m0.pageSize <= 1<<16 {
		m1, ok1 = read(int64(m0.pageSize))
	}
	if !ok0 {
		// Meta 0 is damaged: find meta 1 at the usual page sizes.
		for _, ps := range []int64{4096, 8192, 16384, 65536, 1024, 2048, 32768, 512} {
			if m1, ok1 = read(ps); ok1 && int64(m1.pageSize) == ps {
				break
			}
			ok1 = false
		}
	}
	var m meta
	switch {
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		m = m1
	case ok0:
		m = m0
	default:
		return fmt.Errorf("%w: %s is not a bbolt file (no valid meta page)", ErrCorrupt, path)
	}
	if need := int64(m.pgid) * int64(m.pageSize); m.pgid == 0 || size < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes, its meta page counts %d pages of %d bytes (%d)",
			ErrCorrupt, path, size, m.pgid, m.pageSize, need)
	}
	return nil
}
