package storage

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Bucket names. Each dataset is a nested bucket under bucketDatasets holding
// the sub-buckets below; vectors live in one bucket per space and level so a
// rebuild scans exactly the bytes it needs.
var (
	bucketMeta     = []byte("meta")
	bucketDatasets = []byte("datasets")
	bucketLog      = []byte("log")

	keySeq        = []byte("seq")
	keyLogTrimmed = []byte("log_trimmed")
	keyFormat     = []byte("format")

	keyInfo       = []byte("info")
	bucketSpaces  = []byte("spaces")
	bucketPoints  = []byte("points")
	bucketIIDs    = []byte("iids")
	prefixVecPt   = "v:"
	prefixVecObj  = "o:"
	formatVersion = "1"
)

func vecBucketName(space string, level Level) []byte {
	if level == LevelObject {
		return []byte(prefixVecObj + space)
	}
	return []byte(prefixVecPt + space)
}

func u64key(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// decodeVector copies: bbolt's value memory is only valid inside the tx.
func decodeVector(b []byte, dst []float32) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: vector of %d bytes", ErrCorrupt, len(b))
	}
	n := len(b) / 4
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// Refs are stored as "p"+pointID or "o"+pointID+"\x00"+objectID. Point ids
// may not contain NUL (the engine validates that).
func encodeRef(r Ref) []byte {
	if r.ObjectID == "" {
		return []byte("p" + r.PointID)
	}
	return []byte("o" + r.PointID + "\x00" + r.ObjectID)
}

func decodeRef(b []byte) (Ref, error) {
	if len(b) == 0 {
		return Ref{}, fmt.Errorf("%w: empty ref", ErrCorrupt)
	}
	s := string(b[1:])
	switch b[0] {
	case 'p':
		return Ref{PointID: s}, nil
	case 'o':
		p, o, ok := strings.Cut(s, "\x00")
		if !ok {
			return Ref{}, fmt.Errorf("%w: object ref without separator", ErrCorrupt)
		}
		return Ref{PointID: p, ObjectID: o}, nil
	}
	return Ref{}, fmt.Errorf("%w: ref kind %q", ErrCorrupt, b[0])
}
