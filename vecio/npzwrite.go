package vecio

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// WriteNPZ writes an uncompressed .npz archive (as numpy.savez does) with
// arrays ids (<U, one per row), embeddings (<f4, Rows×Cols) and, when
// metadata is non-nil, metadata (<U: one JSON object string per row, "{}"
// for none). ReadNPZTable expands such a metadata array back into fields,
// so export → import round-trips; numpy reads it with np.load.
func WriteNPZ(w io.Writer, ids []string, m *Matrix, metadata []string) error {
	if err := m.validate(); err != nil {
		return err
	}
	if len(ids) != m.Rows {
		return errorf(ErrShape, "npz write: %d ids for %d rows", len(ids), m.Rows)
	}
	if metadata != nil && len(metadata) != m.Rows {
		return errorf(ErrShape, "npz write: %d metadata entries for %d rows", len(metadata), m.Rows)
	}
	zw := zip.NewWriter(w)
	member := func(name string, write func(io.Writer) error) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		return write(f)
	}
	if err := member("ids", func(w io.Writer) error { return writeNPYStrings(w, ids) }); err != nil {
		return fmt.Errorf("vecio: npz write ids: %w", err)
	}
	if err := member("embeddings", func(w io.Writer) error { return WriteNPY(w, m) }); err != nil {
		return fmt.Errorf("vecio: npz write embeddings: %w", err)
	}
	if metadata != nil {
		if err := member("metadata", func(w io.Writer) error { return writeNPYStrings(w, metadata) }); err != nil {
			return fmt.Errorf("vecio: npz write metadata: %w", err)
		}
	}
	return zw.Close()
}

// writeNPYStrings writes a 1-D little-endian unicode (<U) array, each item
// padded with NUL code points to the longest.
func writeNPYStrings(w io.Writer, items []string) error {
	width := 1
	for _, s := range items {
		width = max(width, utf8.RuneCountInString(s))
	}
	bw := bufio.NewWriterSize(w, chunkBytes)
	writeNPYHeader(bw, fmt.Sprintf("<U%d", width), fmt.Sprintf("(%d,)", len(items)))
	var b [4]byte
	for _, s := range items {
		n := 0
		for _, r := range s {
			binary.LittleEndian.PutUint32(b[:], uint32(r))
			bw.Write(b[:])
			n++
		}
		for ; n < width; n++ {
			bw.Write([]byte{0, 0, 0, 0})
		}
	}
	return bw.Flush()
}

// writeNPYHeader writes a version 1.0 header (version 2.0 when the dict is
// too long for a 16-bit length), padded so data starts on a 64-byte boundary.
func writeNPYHeader(bw *bufio.Writer, descr, shape string) {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	lenBytes := 2
	if len(dict)+64 > 0xffff {
		lenBytes = 4
	}
	total := 8 + lenBytes + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	bw.WriteString(npyMagic)
	if lenBytes == 2 {
		bw.Write([]byte{1, 0, byte(hlen), byte(hlen >> 8)})
	} else {
		bw.Write([]byte{2, 0, byte(hlen), byte(hlen >> 8), byte(hlen >> 16), byte(hlen >> 24)})
	}
	bw.WriteString(dict)
	for range pad {
		bw.WriteByte(' ')
	}
	bw.WriteByte('\n')
}
