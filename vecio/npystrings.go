package vecio

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ReadNPYStrings decodes a .npy array of ids: numpy unicode strings (<U n,
// UTF-32), byte strings (|S n, which must hold UTF-8), or 1-8 byte signed or
// unsigned integers, which are rendered in decimal. The array must be 1-D
// (n,) or a column (n, 1). Trailing NUL padding is removed as numpy does.
func ReadNPYStrings(r io.Reader, lim Limits) ([]string, error) {
	lim = lim.norm()
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	dt, err := parseDType(h.descr)
	if err != nil {
		return nil, err
	}
	if dt.kind == 'f' {
		return nil, errorf(ErrUnsupportedDType, "npy: dtype %q: ids must be strings or integers", h.descr)
	}
	if dt.kind == 'S' && dt.size > maxIDBytes {
		return nil, errorf(ErrTooLarge, "npy: dtype %q: item longer than %d bytes", h.descr, maxIDBytes)
	}
	var n int
	switch {
	case len(h.shape) == 1:
		n = h.shape[0]
	case len(h.shape) == 2 && h.shape[1] == 1:
		n = h.shape[0]
	default:
		return nil, errorf(ErrShape, "npy: ids shape %v: want (n,) or (n, 1)", h.shape)
	}
	if n > lim.MaxRows {
		return nil, errorf(ErrTooLarge, "npy: %d ids exceeds limit %d", n, lim.MaxRows)
	}
	total, ok := mulInt(n, dt.size)
	if !ok || int64(total) > lim.MaxBytes {
		return nil, errorf(ErrTooLarge, "npy: %d ids of %s exceed %d bytes", n, h.descr, lim.MaxBytes)
	}
	if err := checkRemaining(r, int64(total), "npy ids"); err != nil {
		return nil, err
	}
	return readElements(r, n, dt, "npy ids", "ids[%d]", decodeID)
}

// readElements reads n fixed-size elements of dt in bounded chunks (the
// caller has checked n and the byte total against its limits), decoding
// each with decode; elem formats an element's index for errors.
func readElements[T any](r io.Reader, n int, dt dtype, what, elem string, decode func([]byte, dtype) (T, error)) ([]T, error) {
	capHint := n
	if !remainingKnown(r) {
		capHint = min(n, 4096)
	}
	out := make([]T, 0, capHint)
	if dt.size == 0 {
		// "<U0"/"|S0": every element is the zero value, no data follows.
		var zero T
		for range n {
			out = append(out, zero)
		}
		return out, nil
	}
	perChunk := max(1, chunkBytes/dt.size)
	buf := make([]byte, min(perChunk, n)*dt.size)
	for len(out) < n {
		k := min(perChunk, n-len(out))
		b := buf[:k*dt.size]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, wrapIO(err, fmt.Sprintf("%s (element %d of %d)", what, len(out), n))
		}
		for i := 0; i < k; i++ {
			v, err := decode(b[i*dt.size:(i+1)*dt.size], dt)
			if err != nil {
				return nil, fmt.Errorf("%w ("+elem+")", err, len(out))
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// decodeID renders one element of an id array as a string.
func decodeID(b []byte, dt dtype) (string, error) {
	switch dt.kind {
	case 'S':
		b = bytes.TrimRight(b, "\x00")
		if !utf8.Valid(b) {
			return "", errorf(ErrFormat, "npy: byte string is not UTF-8")
		}
		return string(b), nil
	case 'U':
		// numpy pads with NUL code points; strip them from the end only.
		end := len(b)
		for end >= 4 && dt.order.Uint32(b[end-4:]) == 0 {
			end -= 4
		}
		buf := make([]byte, 0, end/4)
		for i := 0; i < end; i += 4 {
			c := dt.order.Uint32(b[i:])
			if c > utf8.MaxRune || (c >= 0xD800 && c <= 0xDFFF) {
				return "", errorf(ErrFormat, "npy: invalid code point %#x", c)
			}
			buf = utf8.AppendRune(buf, rune(c))
		}
		return string(buf), nil
	case 'i':
		var v int64
		switch dt.size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(dt.order.Uint16(b)))
		case 4:
			v = int64(int32(dt.order.Uint32(b)))
		default:
			v = int64(dt.order.Uint64(b))
		}
		return strconv.FormatInt(v, 10), nil
	default: // 'u'
		var v uint64
		switch dt.size {
		case 1:
			v = uint64(b[0])
		case 2:
			v = uint64(dt.order.Uint16(b))
		case 4:
			v = uint64(dt.order.Uint32(b))
		default:
			v = dt.order.Uint64(b)
		}
		return strconv.FormatUint(v, 10), nil
	}
}
