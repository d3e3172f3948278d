package vecio

import (
	"encoding/binary"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go trusts sizes it reads from the file: the footer length, thrift
// list and string lengths, and page sizes are all allocated before the bytes
// behind them are read. This file checks those numbers against the real
// input length and the Limits first, so a small hostile file cannot make the
// library allocate gigabytes.

// maxFooterBytes bounds the Parquet footer. A footer holds the schema and
// per-row-group metadata; even very large embedding tables stay far below
// this, and decoding cost scales with it.
const maxFooterBytes = 4 << 20

// maxPageHeaderBytes bounds one page header (page statistics may hold
// min/max values, so it is not tiny, but it is not data).
const maxPageHeaderBytes = 1 << 20

// maxThriftDepth bounds struct/list nesting; parquet metadata nests a
// handful of levels.
const maxThriftDepth = 32

// checkParquetFooter verifies the magic bytes and that the footer length
// fits inside the file, then validates the footer's thrift encoding.
func checkParquetFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return errorf(ErrFormat, "parquet: file of %d bytes is too small", size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return wrapIO(err, "parquet magic")
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil && err != io.EOF {
		return wrapIO(err, "parquet footer")
	}
	if string(head[:]) != "PAR1" || string(tail[4:]) != "PAR1" {
		// "PARE" (encrypted footer) lands here too: we hold no keys.
		return errorf(ErrFormat, "parquet: bad magic %q/%q", head[:], tail[4:])
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return errorf(ErrFormat, "parquet: footer length %d exceeds file size %d", n, size)
	}
	if n > maxFooterBytes {
		return errorf(ErrTooLarge, "parquet: footer length %d exceeds %d", n, maxFooterBytes)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-8-n); err != nil && err != io.EOF {
		return wrapIO(err, "parquet footer")
	}
	used, err := thriftStructLen(buf)
	if err != nil {
		return errorf(ErrFormat, "parquet footer: %v", err)
	}
	if used != len(buf) {
		return errorf(ErrFormat, "parquet footer: %d trailing bytes", len(buf)-used)
	}
	return nil
}

// errThriftShort means the buffer ended inside the struct; the caller may
// retry with more bytes.
type thriftError string

func (e thriftError) Error() string { return string(e) }

const errThriftShort = thriftError("truncated thrift struct")

// thriftStructLen walks one compact-protocol struct in b without building
// it, checking that every declared list, map and binary length fits in the
// bytes that remain (every element costs at least one byte), and returns
// how many bytes the struct occupies.
func thriftStructLen(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.value(12, 0); err != nil {
		return 0, err
	}
	return w.i, nil
}

type thriftWalker struct {
	b []byte
	i int
}

func (w *thriftWalker) byte1() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errThriftShort
	}
	w.i++
	return w.b[w.i-1], nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.i:])
	if n == 0 {
		return 0, errThriftShort
	}
	if n < 0 {
		return 0, thriftError("varint overflow")
	}
	w.i += n
	return v, nil
}

// count checks a declared element count it against the bytes
// left, given each element needs at least minBytes.
func (w *thriftWalker) count(n uint64, minBytes int) error {
	// Reported as "short" rather than invalid: in a page header window the
	// bytes may simply not have been read yet; the caller caps the window.
	if n > uint64(len(w.b)-w.i)/uint64(minBytes) {
		return errThriftShort
	}
	return nil
}

// value skips one value of compact type t.
func (w *thriftWalker) value(t byte, depth int) error {
	if depth > maxThriftDepth {
		return thriftError("thrift nesting too deep")
	}
	switch t {
	case 1, 2: // bool inside a list: one byte
		_, err := w.byte1()
		return err
	case 3:
		_, err := w.byte1()
		return err
	case 4, 5, 6:
		_, err := w.uvarint()
		return err
	case 7:
		if len(w.b)-w.i < 8 {
			return errThriftShort
		}
		w.i += 8
		return nil
	case 8:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		if err := w.count(n, 1); err != nil {
			return err
		}
		w.i += int(n)
		return nil
	case 9, 10:
		h, err := w.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.count(n, 1); err != nil {
			return err
		}
		for range n {
			if err := w.value(h&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11:
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte1()
		if err != nil {
			return err
		}
		if err := w.count(n, 2); err != nil {
			return err
		}
		for range n {
			if err := w.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12:
		for {
			h, err := w.byte1()
			if err != nil {
				return err
			}
			if h == 0 {
				return nil
			}
			if h>>4 == 0 { // long form: explicit zigzag field id
				if _, err := w.uvarint(); err != nil {
					return err
				}
			}
			ft := h & 0x0f
			if ft == 1 || ft == 2 {
				continue // field booleans live in the type nibble
			}
			if err := w.value(ft, depth+1); err != nil {
				return err
			}
		}
	default:
		return thriftError("invalid thrift type")
	}
}

// pageBudget tracks what the page scan has admitted so far.
type pageBudget struct {
	uncompressed int64 // remaining bytes of decompressed pages
	values       int64 // remaining values for the column being scanned
}

// scanChunkPages walks the page headers of one column chunk occupying
// [start, end) of the file and checks every page's sizes before parquet-go
// gets to allocate them.
func scanChunkPages(r io.ReaderAt, start, end int64, b *pageBudget, what string) error {
	var h format.PageHeader
	for off := start; off < end; {
		win := min(end-off, 64<<10)
		var n int
		var buf []byte
		for {
			buf = make([]byte, win)
			if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
				return wrapIO(err, what)
			}
			var err error
			n, err = thriftStructLen(buf)
			if err == nil {
				break
			}
			if err != errThriftShort || win == end-off || win >= maxPageHeaderBytes {
				return errorf(ErrFormat, "%s: page header at offset %d: %v", what, off, err)
			}
			win = min(end-off, win*4, maxPageHeaderBytes)
		}
		h = format.PageHeader{}
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), buf[:n], &h); err != nil {
			return errorf(ErrFormat, "%s: page header at offset %d: %v", what, off, err)
		}
		off += int64(n)
		if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-off {
			return errorf(ErrFormat, "%s: page at offset %d: compressed size %d exceeds column chunk", what, off, h.CompressedPageSize)
		}
		if h.UncompressedPageSize < 0 || int64(h.UncompressedPageSize) > b.uncompressed {
			return errorf(ErrTooLarge, "%s: page at offset %d: uncompressed size %d exceeds limit", what, off, h.UncompressedPageSize)
		}
		b.uncompressed -= int64(h.UncompressedPageSize)
		var nv int32
		switch {
		case h.DataPageHeader.Valid:
			nv = h.DataPageHeader.V.NumValues
		case h.DataPageHeaderV2.Valid:
			nv = h.DataPageHeaderV2.V.NumValues
		case h.DictionaryPageHeader.Valid:
			nv = h.DictionaryPageHeader.V.NumValues
		}
		if nv < 0 || int64(nv) > b.values {
			return errorf(ErrTooLarge, "%s: page at offset %d: %d values exceeds limit", what, off, nv)
		}
		b.values -= int64(nv)
		off += int64(h.CompressedPageSize)
	}
	return nil
}
