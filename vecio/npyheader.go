package vecio

import (
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf8"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeaderLen bounds the header dict. numpy itself refuses headers over
// 10000 bytes by default; we allow more (big structured dtypes are still
// reported by name) but not enough to matter for memory.
const maxNPYHeaderLen = 1 << 20

// maxLiteralDepth bounds nesting in the header literal so a header of
// "((((((..." cannot recurse deeply.
const maxLiteralDepth = 16

// npyHeader is the decoded header dict.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// readNPYHeader reads the magic, version and header dict, leaving r at the
// first data byte.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return npyHeader{}, wrapIO(err, "npy magic")
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, errorf(ErrFormat, "npy: bad magic %q", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, wrapIO(err, "npy header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, wrapIO(err, "npy header length")
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNPYHeaderLen {
			return npyHeader{}, errorf(ErrTooLarge, "npy: header length %d exceeds %d", n, maxNPYHeaderLen)
		}
		hlen = int(n)
	default:
		return npyHeader{}, errorf(ErrFormat, "npy: unsupported format version %d.%d", major, minor)
	}
	// ReadAll over a LimitReader grows with the bytes really present, so a
	// declared length larger than the input allocates nothing extra.
	raw, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return npyHeader{}, wrapIO(err, "npy header")
	}
	if len(raw) != hlen {
		return npyHeader{}, errorf(ErrFormat, "npy: header truncated (%d of %d bytes)", len(raw), hlen)
	}
	var text string
	if major == 3 {
		if !utf8.Valid(raw) {
			return npyHeader{}, errorf(ErrFormat, "npy: v3 header is not UTF-8")
		}
		text = string(raw)
	} else {
		// Versions 1 and 2 are latin-1: every byte is its own code point.
		var sb strings.Builder
		for _, c := range raw {
			sb.WriteRune(rune(c))
		}
		text = sb.String()
	}
	return parseHeaderDict(text)
}

// parseHeaderDict interprets the Python dict literal numpy writes with
// repr(), e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
// It is a tiny recursive-descent parser over a restricted literal grammar;
// nothing is ever evaluated.
func parseHeaderDict(text string) (npyHeader, error) {
	p := &litParser{s: text}
	v, err := p.value(0)
	if err != nil {
		return npyHeader{}, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return npyHeader{}, errorf(ErrFormat, "npy header: trailing data at offset %d", p.i)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return npyHeader{}, errorf(ErrFormat, "npy header: not a dict")
	}
	var h npyHeader
	switch descr := d["descr"].(type) {
	case string:
		h.descr = descr
	case nil:
		return h, errorf(ErrFormat, "npy header: missing 'descr'")
	case litSeq:
		return h, errorf(ErrUnsupportedDType, "npy: structured dtype %s", describeLit(descr))
	default:
		return h, errorf(ErrFormat, "npy header: 'descr' is not a string")
	}
	fo, ok := d["fortran_order"].(bool)
	if !ok {
		return h, errorf(ErrFormat, "npy header: 'fortran_order' missing or not a bool")
	}
	h.fortran = fo
	shape, ok := d["shape"].(litSeq)
	if !ok {
		return h, errorf(ErrFormat, "npy header: 'shape' missing or not a tuple")
	}
	if len(shape) > 32 {
		return h, errorf(ErrShape, "npy header: shape has %d dimensions", len(shape))
	}
	for i, x := range shape {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return h, errorf(ErrFormat, "npy header: shape[%d] is not a non-negative integer", i)
		}
		if n > int64(maxInt) {
			return h, errorf(ErrTooLarge, "npy header: shape[%d]=%d", i, n)
		}
		h.shape = append(h.shape, int(n))
	}
	return h, nil
}
