package vecio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// dtype is a parsed simple numpy type string such as "<f4" or "|S10".
type dtype struct {
	descr string
	order binary.ByteOrder
	kind  byte // 'f', 'i', 'u', 'U', 'S'
	size  int  // bytes per element
}

// parseDType accepts only the simple scalar dtypes this package decodes and
// names anything else in its error.
func parseDType(descr string) (dtype, error) {
	bad := errorf(ErrUnsupportedDType, "npy: dtype %q", descr)
	if len(descr) < 2 {
		return dtype{}, bad
	}
	dt := dtype{descr: descr, kind: descr[1]}
	n, err := strconv.Atoi(descr[2:])
	if err != nil || n < 0 {
		return dtype{}, bad
	}
	switch dt.kind {
	case 'f':
		if n != 2 && n != 4 && n != 8 {
			return dtype{}, bad
		}
		dt.size = n
	case 'i', 'u':
		if n != 1 && n != 2 && n != 4 && n != 8 {
			return dtype{}, bad
		}
		dt.size = n
	case 'S':
		dt.size = n
	case 'U':
		if n > maxIDBytes/4 {
			return dtype{}, errorf(ErrTooLarge, "npy: dtype %q: item longer than %d bytes", descr, maxIDBytes)
		}
		dt.size = 4 * n
	default:
		return dtype{}, bad
	}
	switch descr[0] {
	case '<':
		dt.order = binary.LittleEndian
	case '>':
		dt.order = binary.BigEndian
	case '|':
		// "not applicable": only meaningful for single-byte elements.
		if dt.size > 1 && dt.kind != 'S' {
			return dtype{}, bad
		}
		dt.order = binary.LittleEndian
	default:
		// '=' (native) is never written by numpy and would make the file's
		// meaning depend on the reading machine.
		return dtype{}, bad
	}
	return dt, nil
}

// ReadNPY decodes a .npy file (format 1.0, 2.0 or 3.0) holding float16,
// float32 or float64 data in either byte order. A 2-D array (n, d) becomes an
// n×d Matrix, a 1-D array (d,) a single row; Fortran-ordered arrays are
// transposed to row-major. Anything else is refused.
func ReadNPY(r io.Reader, lim Limits) (*Matrix, error) {
	lim = lim.norm()
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	dt, err := parseDType(h.descr)
	if err != nil {
		return nil, err
	}
	if dt.kind != 'f' {
		return nil, errorf(ErrUnsupportedDType, "npy: dtype %q: vectors must be float16, float32 or float64", h.descr)
	}
	var rows, cols int
	switch len(h.shape) {
	case 1:
		rows, cols = 1, h.shape[0]
	case 2:
		rows, cols = h.shape[0], h.shape[1]
	default:
		return nil, errorf(ErrShape, "npy: shape %v: want 1-D or 2-D", h.shape)
	}
	if err := lim.checkShape("npy", rows, cols); err != nil {
		return nil, err
	}
	n := rows * cols // checkShape proved this does not overflow
	if int64(n) > lim.MaxBytes/int64(dt.size) {
		return nil, errorf(ErrTooLarge, "npy: %d elements of %s exceed %d bytes", n, h.descr, lim.MaxBytes)
	}
	if err := checkRemaining(r, int64(n)*int64(dt.size), "npy data"); err != nil {
		return nil, err
	}
	data, err := readFloats(r, n, dt, remainingKnown(r))
	if err != nil {
		return nil, err
	}
	// A file is one array: bytes after it mean a wrong shape or a
	// concatenation, not data to ignore.
	if k, _ := io.ReadFull(r, make([]byte, 1)); k > 0 {
		return nil, errorf(ErrFormat, "npy: bytes after the %d×%d array: the header's shape does not match the file", rows, cols)
	}
	if h.fortran && rows > 1 && cols > 1 {
		data = transpose(data, rows, cols)
	}
	return &Matrix{Rows: rows, Cols: cols, Data: data}, nil
}

// remainingLen reports how many bytes r still holds, when r can tell
// cheaply (bytes/strings readers, sized zip members, seekable files).
func remainingLen(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), true
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		end, err := v.Seek(0, io.SeekEnd)
		if _, err2 := v.Seek(cur, io.SeekStart); err != nil || err2 != nil {
			return 0, false
		}
		return end - cur, true
	}
	return 0, false
}

func remainingKnown(r io.Reader) bool { _, ok := remainingLen(r); return ok }

// checkRemaining fails early when the input is known to be shorter than the
// header promises, before anything of the promised size is allocated.
func checkRemaining(r io.Reader, need int64, what string) error {
	if have, ok := remainingLen(r); ok && have < need {
		return errorf(ErrFormat, "%s: header declares %d bytes but only %d remain", what, need, have)
	}
	return nil
}

// chunkBytes is the read granularity; a multiple of every element size.
const chunkBytes = 64 << 10

// readFloats reads n elements of dt and converts them to float32. When the
// input length was verified up front the output is allocated once;
// otherwise it grows as data arrives so a lying header cannot force a huge
// allocation.
func readFloats(r io.Reader, n int, dt dtype, verified bool) ([]float32, error) {
	capHint := n
	if !verified {
		capHint = min(n, chunkBytes)
	}
	out := make([]float32, 0, capHint)
	buf := make([]byte, min(chunkBytes, n*dt.size))
	for len(out) < n {
		k := min(len(buf)/dt.size, n-len(out))
		b := buf[:k*dt.size]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, wrapIO(err, fmt.Sprintf("npy data (element %d of %d)", len(out), n))
		}
		out = appendFloats(out, b, dt)
	}
	return out, nil
}

func appendFloats(out []float32, b []byte, dt dtype) []float32 {
	switch dt.size {
	case 2:
		for i := 0; i+2 <= len(b); i += 2 {
			out = append(out, halfToFloat32(dt.order.Uint16(b[i:])))
		}
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, math.Float32frombits(dt.order.Uint32(b[i:])))
		}
	case 8:
		// Values beyond float32 range become ±Inf, as numpy's astype does.
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, float32(math.Float64frombits(dt.order.Uint64(b[i:]))))
		}
	}
	return out
}

// halfToFloat32 converts IEEE 754 binary16 bits to float32, exactly
// (every half value is representable), including subnormals, Inf and NaN.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; keep the payload
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise into float32's wider exponent
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	}
}

// transpose converts column-major rows×cols data to row-major.
func transpose(src []float32, rows, cols int) []float32 {
	dst := make([]float32, len(src))
	for j := 0; j < cols; j++ {
		col := src[j*rows : (j+1)*rows]
		for i, v := range col {
			dst[i*cols+j] = v
		}
	}
	return dst
}

// WriteNPY writes m as a version 1.0 .npy file of little-endian float32
// with shape (Rows, Cols), the header padded so data starts on a 64-byte
// boundary as the format specification asks.
func WriteNPY(w io.Writer, m *Matrix) error {
	if err := m.validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, chunkBytes)
	writeNPYHeader(bw, "<f4", fmt.Sprintf("(%d, %d)", m.Rows, m.Cols))
	var b [4]byte
	for _, v := range m.Data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		if _, err := bw.Write(b[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
