package index

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Binary helpers shared by the HNSW and exact encoders. Everything is
// little-endian. The decoders never trust a count: each is checked against
// a hard limit, and storage grows only as bytes actually arrive, so a
// corrupt header cannot trigger a large allocation.

type encoder struct {
	w   *bufio.Writer
	n   int64
	err error
	buf []byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 1<<16), buf: make([]byte, 0, 1<<12)}
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) u8(v uint8)   { e.write([]byte{v}) }
func (e *encoder) u32(v uint32) { e.write(binary.LittleEndian.AppendUint32(e.buf[:0], v)) }
func (e *encoder) u64(v uint64) { e.write(binary.LittleEndian.AppendUint64(e.buf[:0], v)) }

func (e *encoder) f32s(v []float32) {
	for len(v) > 0 {
		chunk := v[:min(len(v), cap(e.buf)/4)]
		b := e.buf[:0]
		for _, x := range chunk {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		e.write(b)
		v = v[len(chunk):]
	}
}

func (e *encoder) flush() (int64, error) {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.n, e.err
}

type decoder struct {
	r   io.Reader
	n   int64 // bytes consumed so far
	err error
	buf [8]byte
	big []byte
}

func newDecoder(r io.Reader) *decoder {
	if _, ok := r.(io.ByteReader); !ok {
		r = bufio.NewReaderSize(r, 1<<16)
	}
	return &decoder{r: r}
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorruptSnapshot}, args...)...)
	}
}

func (d *decoder) read(p []byte) {
	if d.err != nil {
		return
	}
	k, err := io.ReadFull(d.r, p)
	d.n += int64(k)
	if err != nil {
		d.fail("short read: %v", err)
	}
}

func (d *decoder) u8() uint8 {
	d.read(d.buf[:1])
	return d.buf[0]
}

func (d *decoder) u32() uint32 {
	d.read(d.buf[:4])
	return binary.LittleEndian.Uint32(d.buf[:4])
}

func (d *decoder) u64() uint64 {
	d.read(d.buf[:8])
	return binary.LittleEndian.Uint64(d.buf[:8])
}

// f32s fills dst, rejecting NaN and Inf.
func (d *decoder) f32s(dst []float32) {
	if cap(d.big) < 4*len(dst) {
		d.big = make([]byte, 4*len(dst))
	}
	b := d.big[:4*len(dst)]
	d.read(b)
	if d.err != nil {
		return
	}
	for i := range dst {
		x := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			d.fail("non-finite vector component")
			return
		}
		dst[i] = x
	}
}

// bounded reads a u32 and checks lo <= v <= hi.
func (d *decoder) bounded(what string, lo, hi uint32) uint32 {
	v := d.u32()
	if d.err == nil && (v < lo || v > hi) {
		d.fail("%s %d out of range [%d, %d]", what, v, lo, hi)
	}
	return v
}

func (d *decoder) u16() uint16 {
	d.read(d.buf[:2])
	return binary.LittleEndian.Uint16(d.buf[:2])
}

// str reads n bytes as a string, refusing n > max before allocating.
func (d *decoder) str(n uint32, max int) string {
	if d.err != nil {
		return ""
	}
	if int64(n) > int64(max) {
		d.fail("string length %d exceeds %d", n, max)
		return ""
	}
	b := make([]byte, n)
	d.read(b)
	return string(b)
}
