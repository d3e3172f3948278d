package vecio

import (
	"io"
	"math"
	"strconv"
)

// ReadNPYColumn decodes a 1-D .npy array as metadata values, one per row:
// booleans (|b1) as bool, integers as int64 (uint64 above MaxInt64 stays
// uint64), floats as a json.Number holding the shortest decimal that
// round-trips at the array's precision (so a float32 0.1 stays "0.1"), and
// unicode or byte strings as string. NaN and ±Inf, which JSON cannot hold,
// are nil: pandas writes missing values as NaN, and nil means "no field".
func ReadNPYColumn(r io.Reader, lim Limits) ([]any, error) {
	lim = lim.norm()
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	var dt dtype
	if h.descr == "|b1" {
		dt = dtype{descr: h.descr, kind: 'b', size: 1}
	} else if dt, err = parseDType(h.descr); err != nil {
		return nil, err
	}
	if len(h.shape) != 1 {
		return nil, errorf(ErrShape, "npy: metadata shape %v: want (n,)", h.shape)
	}
	n := h.shape[0]
	if n > lim.MaxRows {
		return nil, errorf(ErrTooLarge, "npy: %d values exceeds limit %d", n, lim.MaxRows)
	}
	total, ok := mulInt(n, dt.size)
	if !ok || int64(total) > lim.MaxBytes {
		return nil, errorf(ErrTooLarge, "npy: %d values of %s exceed %d bytes", n, h.descr, lim.MaxBytes)
	}
	if err := checkRemaining(r, int64(total), "npy metadata"); err != nil {
		return nil, err
	}
	out, err := readElements(r, n, dt, "npy metadata", "element %d", decodeValue)
	if err != nil {
		return nil, err
	}
	if dt.size == 0 {
		for i := range out {
			out[i] = "" // zero-width strings, as numpy reads them
		}
	}
	return out, nil
}

// decodeValue renders one element of a metadata array.
func decodeValue(b []byte, dt dtype) (any, error) {
	switch dt.kind {
	case 'b':
		switch b[0] {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
		return nil, errorf(ErrFormat, "npy: bool byte %#x is neither 0 nor 1", b[0])
	case 'f':
		var f float64
		bits := 64
		switch dt.size {
		case 2:
			f, bits = float64(halfToFloat32(dt.order.Uint16(b))), 32
		case 4:
			f, bits = float64(math.Float32frombits(dt.order.Uint32(b))), 32
		default:
			f = math.Float64frombits(dt.order.Uint64(b))
		}
		return jsonFloat(f, bits), nil
	case 'i':
		s, _ := decodeID(b, dt)
		v, _ := strconv.ParseInt(s, 10, 64)
		return v, nil
	case 'u':
		s, _ := decodeID(b, dt)
		v, _ := strconv.ParseUint(s, 10, 64)
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
		return v, nil
	}
	return decodeID(b, dt)
}
