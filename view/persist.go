package view

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"time"

	"github.com/reef-ml/reef/safefile"
)

// crcTable is immutable once built.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// layoutFile is a persisted layout: "REEFLAY1", the method, placed count,
// version and time, then (iid, vector hash, x, y) per row and a CRC-32C.
type layoutFile struct {
	method string
	placed int
	ver    uint64
	when   time.Time
	iids   []uint64
	hashes []uint64
	coords [][2]float32
}

const layoutMagic = "REEFLAY1"

// saveLayout persists vs's layout; vs is locked. A failure is logged, not
// returned: the layout in memory is good and is recomputed after a restart.
func (e *Viewer) saveLayout(vs *viewState) {
	if err := writeLayoutFile(vs.path, vs); err != nil {
		e.log.Warn("cannot persist view layout", "path", vs.path, "err", err)
	}
}

// writeLayoutFile writes atomically: temp file, fsync, rename, dir fsync.
func writeLayoutFile(path string, vs *viewState) error {
	lf := &layoutFile{method: vs.method, placed: vs.placed, ver: vs.ver, when: vs.when,
		iids: vs.iids, hashes: vs.hashes, coords: vs.coords}
	return safefile.WriteBytes(path, 0o644, encodeLayout(lf))
}

func encodeLayout(lf *layoutFile) []byte {
	n := len(lf.iids)
	buf := make([]byte, 0, 64+24*n)
	buf = append(buf, layoutMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(lf.method)))
	buf = append(buf, lf.method...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(lf.placed))
	buf = binary.LittleEndian.AppendUint64(buf, lf.ver)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(lf.when.UnixNano()))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(n))
	for i := range n {
		buf = binary.LittleEndian.AppendUint64(buf, lf.iids[i])
		buf = binary.LittleEndian.AppendUint64(buf, lf.hashes[i])
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(lf.coords[i][0]))
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(lf.coords[i][1]))
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))
}

func readLayoutFile(path string) (*layoutFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeLayout(b)
}

// decodeLayout parses a layout file; anything damaged is an error, never a
// panic or an allocation beyond the file's size.
func decodeLayout(b []byte) (*layoutFile, error) {
	if len(b) < len(layoutMagic)+4+36 || string(b[:len(layoutMagic)]) != layoutMagic {
		return nil, errors.New("layout file: bad header")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errors.New("layout file: checksum mismatch")
	}
	p := body[len(layoutMagic):]
	ml := int(binary.LittleEndian.Uint32(p))
	p = p[4:]
	if ml > 16 || len(p) < ml+32 {
		return nil, errors.New("layout file: bad method")
	}
	lf := &layoutFile{method: string(p[:ml])}
	p = p[ml:]
	lf.placed = int(binary.LittleEndian.Uint64(p))
	lf.ver = binary.LittleEndian.Uint64(p[8:])
	lf.when = time.Unix(0, int64(binary.LittleEndian.Uint64(p[16:]))).UTC()
	n := binary.LittleEndian.Uint64(p[24:])
	p = p[32:]
	if n > uint64(len(p))/24 || uint64(len(p)) != 24*n {
		return nil, errors.New("layout file: size mismatch")
	}
	lf.iids, lf.hashes, lf.coords = make([]uint64, n), make([]uint64, n), make([][2]float32, n)
	for i := range int(n) {
		r := p[24*i:]
		lf.iids[i] = binary.LittleEndian.Uint64(r)
		lf.hashes[i] = binary.LittleEndian.Uint64(r[8:])
		lf.coords[i] = [2]float32{math.Float32frombits(binary.LittleEndian.Uint32(r[16:])), math.Float32frombits(binary.LittleEndian.Uint32(r[20:]))}
	}
	return lf, nil
}
