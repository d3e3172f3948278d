// Package vecio decodes and encodes bulk embedding files: NumPy .npy and .npz
// archives, JSON or plain-text id lists, and Parquet tables with an id column
// and a list<float> embedding column.
//
// Every decoder in this package treats its input as hostile:
//
//   - It never panics, whatever the bytes. Malformed input yields an error
//     wrapping one of ErrFormat, ErrUnsupportedDType, ErrTooLarge or ErrShape,
//     with a message naming the field, array, row or line at fault.
//   - Sizes declared by the input (npy shapes, zip member sizes, Parquet page
//     sizes) are checked against Limits and, where the input length is known,
//     against that length before any buffer of that size is allocated. Where
//     the length is not known (a plain io.Reader), buffers grow only as real
//     bytes arrive, so a lying header costs at most what was actually sent.
//
// Accepted element types: vectors may be stored as float16, float32 or
// float64 in either byte order (.npy descr <f2 >f2 <f4 >f4 <f8 >f8, Parquet
// FLOAT or DOUBLE) and are always returned as float32. Ids may be numpy
// unicode (<U) or byte (|S) strings, or 1-8 byte signed/unsigned integers,
// and are returned as strings. Object arrays (pickles) and structured dtypes
// are refused: decoding them would mean running or interpreting arbitrary
// Python state.
package vecio

// Matrix is a dense row-major matrix of float32 embeddings: row i occupies
// Data[i*Cols : (i+1)*Cols].
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i as a sub-slice of Data (no copy). It panics if i is out
// of range, like a slice index would.
func (m *Matrix) Row(i int) []float32 {
	if i < 0 || i >= m.Rows {
		panic("vecio: row index out of range")
	}
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// validate checks the invariant that writers rely on, so a hand-built Matrix
// with inconsistent fields is reported instead of producing a corrupt file.
func (m *Matrix) validate() error {
	if m == nil {
		return errorf(ErrShape, "nil matrix")
	}
	if m.Rows < 0 || m.Cols < 0 {
		return errorf(ErrShape, "negative shape (%d, %d)", m.Rows, m.Cols)
	}
	if n, ok := mulInt(m.Rows, m.Cols); !ok || n != len(m.Data) {
		return errorf(ErrShape, "shape (%d, %d) does not match len(Data)=%d", m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// Limits bounds what a decoder will accept. A zero or negative field means
// the corresponding DefaultLimits value, so Limits{} is safe to pass.
type Limits struct {
	// MaxBytes bounds the decoded payload: the returned float32 data, the
	// raw element bytes of an array, or the total uncompressed size of an
	// archive or Parquet column set.
	MaxBytes int64
	// MaxRows bounds the number of vectors or ids.
	MaxRows int
	// MaxCols bounds the vector dimension.
	MaxCols int
}

// DefaultLimits returns limits suited to large but sane embedding files:
// 2 GiB of payload, 10 million rows and 65536 dimensions.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 2 << 30, MaxRows: 10_000_000, MaxCols: 65536}
}

func (l Limits) norm() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxCols <= 0 {
		l.MaxCols = d.MaxCols
	}
	return l
}

// checkShape validates a rows×cols matrix of float32 output against the
// limits; what names the array or column for the error message.
func (l Limits) checkShape(what string, rows, cols int) error {
	if rows < 0 || cols < 0 {
		return errorf(ErrShape, "%s: negative shape (%d, %d)", what, rows, cols)
	}
	if rows > l.MaxRows {
		return errorf(ErrTooLarge, "%s: %d rows exceeds limit %d", what, rows, l.MaxRows)
	}
	if cols > l.MaxCols {
		return errorf(ErrTooLarge, "%s: %d columns exceeds limit %d", what, cols, l.MaxCols)
	}
	n, ok := mulInt(rows, cols)
	if !ok || int64(n) > l.MaxBytes/4 {
		return errorf(ErrTooLarge, "%s: %d×%d float32 exceeds %d bytes", what, rows, cols, l.MaxBytes)
	}
	return nil
}

// mulInt multiplies non-negative ints, reporting overflow.
func mulInt(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || c < 0 {
		return 0, false
	}
	return c, true
}
