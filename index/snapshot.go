package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// Snapshot file layout (little-endian):
//
//	magic   "REEFIDX1"
//	version u32
//	backend u16 length + bytes
//	seq     u64
//	tag     u32 length + bytes
//	payload length u64
//	payload CRC32-C u32
//	header  CRC32-C u32 (over every header byte before it)
//	payload (the backend's WriteTo encoding)
//
// The header has its own checksum so a flipped bit in Seq or Tag is caught
// without reading the payload, and the payload length must match the file
// exactly, so truncation and trailing garbage are both detected.

const (
	snapshotMagic   = "REEFIDX1"
	SnapshotVersion = 1
	maxBackendName  = 64
	maxTagLen       = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SnapshotHeader describes a snapshot file.
type SnapshotHeader struct {
	Version uint32 // set by WriteSnapshotFile
	Backend string // set by WriteSnapshotFile
	// Seq is the last storage sequence number the index contains; writes
	// after it must be replayed from the store.
	Seq uint64
	// Tag identifies what the index is of (e.g. dataset uid + space), so a
	// snapshot is never loaded for the wrong data.
	Tag        string
	PayloadLen uint64 // set by WriteSnapshotFile
	PayloadCRC uint32 // set by WriteSnapshotFile
}

func backendOf(idx Index) (string, io.WriterTo, error) {
	switch x := idx.(type) {
	case *HNSW:
		return BackendHNSW, x, nil
	case *Exact:
		return BackendExact, x, nil
	}
	return "", nil, fmt.Errorf("%w: %T", ErrNotSerializable, idx)
}

// WriteSnapshotFile atomically writes idx to path: the data goes to a
// temporary file in the same directory, is fsynced, renamed over path, and
// the directory is fsynced so the rename itself is durable.
func WriteSnapshotFile(path string, idx Index, hdr SnapshotHeader) (err error) {
	backend, wt, err := backendOf(idx)
	if err != nil {
		return err
	}
	if len(hdr.Tag) > maxTagLen {
		return fmt.Errorf("%w: tag longer than %d bytes", ErrInvalidArgument, maxTagLen)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// The header precedes the payload but depends on its length and CRC:
	// reserve its space, stream the payload, then go back and fill it in.
	hdr.Version, hdr.Backend = SnapshotVersion, backend
	hdrLen := int64(len(encodeHeader(hdr)))
	if _, err = f.Seek(hdrLen, io.SeekStart); err != nil {
		return err
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(f, crc), 1<<20)
	n, err := wt.WriteTo(bw)
	if err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	hdr.PayloadLen, hdr.PayloadCRC = uint64(n), crc.Sum32()
	if _, err = f.WriteAt(encodeHeader(hdr), 0); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func encodeHeader(h SnapshotHeader) []byte {
	b := []byte(snapshotMagic)
	b = binary.LittleEndian.AppendUint32(b, h.Version)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.Backend)))
	b = append(b, h.Backend...)
	b = binary.LittleEndian.AppendUint64(b, h.Seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.Tag)))
	b = append(b, h.Tag...)
	b = binary.LittleEndian.AppendUint64(b, h.PayloadLen)
	b = binary.LittleEndian.AppendUint32(b, h.PayloadCRC)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// ReadSnapshotFile loads a snapshot written by WriteSnapshotFile. A missing
// file yields an error wrapping fs.ErrNotExist; any damage (wrong magic or
// version, truncation, flipped bytes) one wrapping ErrCorruptSnapshot.
func ReadSnapshotFile(path string) (Index, SnapshotHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, SnapshotHeader{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, SnapshotHeader{}, err
	}
	idx, hdr, err := decodeSnapshot(bufio.NewReaderSize(f, 1<<20), st.Size())
	if err != nil {
		return nil, hdr, fmt.Errorf("%s: %w", path, err)
	}
	return idx, hdr, nil
}

// decodeSnapshot reads a whole snapshot of exactly size bytes from r.
func decodeSnapshot(r io.Reader, size int64) (Index, SnapshotHeader, error) {
	var hdr SnapshotHeader
	crc := crc32.New(castagnoli)
	// No read-ahead buffering here: the payload must start where the
	// header ends.
	d := &decoder{r: io.TeeReader(io.LimitReader(r, size), crc)}
	var magic [8]byte
	d.read(magic[:])
	if d.err == nil && string(magic[:]) != snapshotMagic {
		d.fail("bad snapshot magic %q", magic[:])
	}
	hdr.Version = d.u32()
	if d.err == nil && hdr.Version != SnapshotVersion {
		d.fail("unsupported snapshot version %d", hdr.Version)
	}
	hdr.Backend = d.str(uint32(d.u16()), maxBackendName)
	hdr.Seq = d.u64()
	hdr.Tag = d.str(d.u32(), maxTagLen)
	hdr.PayloadLen = d.u64()
	hdr.PayloadCRC = d.u32()
	sum := crc.Sum32()
	if stored := d.u32(); d.err == nil && stored != sum {
		d.fail("header checksum mismatch")
	}
	if d.err != nil {
		return nil, hdr, d.err
	}
	hdrLen := int64(len(encodeHeader(hdr)))
	if hdr.PayloadLen != uint64(size-hdrLen) {
		return nil, hdr, fmt.Errorf("%w: payload is %d bytes, header says %d (truncated?)", ErrCorruptSnapshot, size-hdrLen, hdr.PayloadLen)
	}
	crc.Reset()
	payload := io.TeeReader(io.LimitReader(r, int64(hdr.PayloadLen)), crc)
	limit := int64(hdr.PayloadLen)
	var idx Index
	var err error
	switch hdr.Backend {
	case BackendHNSW:
		idx, err = readHNSW(payload, limit)
	case BackendExact:
		idx, err = readExact(payload, limit)
	default:
		return nil, hdr, fmt.Errorf("%w: unknown backend %q", ErrCorruptSnapshot, hdr.Backend)
	}
	// Drain so the checksum covers every payload byte, then prefer the
	// checksum verdict: it names the real problem when bytes were damaged.
	if _, derr := io.Copy(io.Discard, payload); derr != nil && err == nil {
		err = derr
	}
	if crc.Sum32() != hdr.PayloadCRC {
		return nil, hdr, fmt.Errorf("%w: payload checksum mismatch", ErrCorruptSnapshot)
	}
	if err != nil {
		if !errors.Is(err, ErrCorruptSnapshot) {
			err = fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
		}
		return nil, hdr, err
	}
	return idx, hdr, nil
}
