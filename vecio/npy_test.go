package vecio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// want3x4 is the matrix every float fixture holds (see testdata/gen.py).
func want3x4() *Matrix {
	m := &Matrix{Rows: 3, Cols: 4}
	for i := range 12 {
		m.Data = append(m.Data, float32(i)/4-1)
	}
	return m
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalMatrix(a, b *Matrix) bool {
	if a.Rows != b.Rows || a.Cols != b.Cols || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return true
}

// onlyReader hides Len/Seek so the streaming (unknown-length) path runs.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadNPYFixtures(t *testing.T) {
	w := want3x4()
	row0 := &Matrix{Rows: 1, Cols: 4, Data: w.Data[:4]}
	for _, tc := range []struct {
		file string
		want *Matrix
	}{
		{"f4.npy", w}, {"f8.npy", w}, {"f2.npy", w}, {"f4be.npy", w}, {"f8be.npy", w},
		{"fortran.npy", w}, {"v2.npy", w}, {"v3.npy", w}, {"vec1d.npy", row0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := readFixture(t, tc.file)
			for _, r := range []io.Reader{bytes.NewReader(b), onlyReader{bytes.NewReader(b)}} {
				m, err := ReadNPY(r, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if !equalMatrix(m, tc.want) {
					t.Fatalf("got %+v want %+v", m, tc.want)
				}
			}
		})
	}
}

func TestReadNPYRefuses(t *testing.T) {
	hdr := func(dict string) []byte {
		var b bytes.Buffer
		b.WriteString(npyMagic + "\x01\x00")
		binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
		b.WriteString(dict)
		return b.Bytes()
	}
	f4 := readFixture(t, "f4.npy")
	for _, tc := range []struct {
		name string
		in   []byte
		lim  Limits
		want error
		msg  string
	}{
		{"object", readFixture(t, "object.npy"), Limits{}, ErrUnsupportedDType, "|O"},
		{"structured", readFixture(t, "structured.npy"), Limits{}, ErrUnsupportedDType, "structured"},
		{"complex", readFixture(t, "complex.npy"), Limits{}, ErrUnsupportedDType, "<c8"},
		{"int ids as vectors", readFixture(t, "ids_i8.npy"), Limits{}, ErrUnsupportedDType, "<i8"},
		{"truncated data", f4[:len(f4)-3], Limits{}, ErrFormat, "remain"},
		{"truncated header", f4[:40], Limits{}, ErrFormat, "truncated"},
		{"empty", nil, Limits{}, ErrFormat, "truncated"},
		{"bad magic", []byte("PK\x03\x04xxxxxxxxxxxx"), Limits{}, ErrFormat, "magic"},
		{"huge shape", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000), }"), Limits{}, ErrTooLarge, "rows"},
		{"shape over bytes", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }"), Limits{MaxBytes: 1 << 20}, ErrTooLarge, "bytes"},
		{"too many cols", f4, Limits{MaxCols: 3}, ErrTooLarge, "columns"},
		{"too many rows", f4, Limits{MaxRows: 2}, ErrTooLarge, "rows"},
		{"3-D", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }"), Limits{}, ErrShape, "1-D or 2-D"},
		{"shape overflow", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"), Limits{}, ErrFormat, "integer"},
		{"native order", hdr("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }"), Limits{}, ErrUnsupportedDType, "=f4"},
		{"missing key", hdr("{'descr': '<f4', 'shape': (1,), }"), Limits{}, ErrFormat, "fortran_order"},
		{"not a dict", hdr("__import__('os')"), Limits{}, ErrFormat, "unexpected"},
		{"deep nesting", hdr(strings.Repeat("(", 100)), Limits{}, ErrFormat, "deeply"},
		{"bad version", []byte(npyMagic + "\x09\x00\x00\x00"), Limits{}, ErrFormat, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(tc.in), tc.lim)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

// A header promising more data than a stream delivers must fail without
// allocating the promised size (checked indirectly: the test would OOM or
// be slow otherwise).
func TestReadNPYLyingStream(t *testing.T) {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000, 64), }"
	in := append([]byte(npyMagic+"\x01\x00"), byte(len(dict)), 0)
	in = append(append(in, dict...), make([]byte, 100)...)
	_, err := ReadNPY(onlyReader{bytes.NewReader(in)}, Limits{})
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	for _, m := range []*Matrix{want3x4(), {Rows: 0, Cols: 7}, {Rows: 1, Cols: 1, Data: []float32{float32(math.Inf(-1))}}} {
		var buf bytes.Buffer
		if err := WriteNPY(&buf, m); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		hlen := int(binary.LittleEndian.Uint16(b[8:]))
		if (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
			t.Fatalf("header not padded to 64: %q", b[:10+hlen])
		}
		got, err := ReadNPY(bytes.NewReader(b), Limits{})
		if err != nil || !equalMatrix(got, m) {
			t.Fatalf("round trip: %v %+v", err, got)
		}
	}
	if err := WriteNPY(io.Discard, &Matrix{Rows: 2, Cols: 2, Data: []float32{1}}); !errors.Is(err, ErrShape) {
		t.Fatalf("inconsistent matrix: %v", err)
	}
}

func TestHalfToFloat32(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x0001, 5.960464477539063e-08}, {0x03ff, 6.097555160522461e-05},
		{0x7bff, 65504}, {0x7c00, float32(math.Inf(1))}, {0x8000, float32(math.Copysign(0, -1))},
	} {
		if got := halfToFloat32(tc.h); got != tc.want || math.Signbit(float64(got)) != math.Signbit(float64(tc.want)) {
			t.Errorf("half %#04x = %v, want %v", tc.h, got, tc.want)
		}
	}
	if !math.IsNaN(float64(halfToFloat32(0x7e00))) {
		t.Error("NaN not preserved")
	}
}

func TestReadNPYStrings(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"ids_unicode.npy", []string{"a", "bé", "日本語"}},
		{"ids_bytes.npy", []string{"x1", "y22", "z"}},
		{"ids_i8.npy", []string{"1", "-2", "30000000000"}},
		{"ids_u4.npy", []string{"7", "8", "4000000000"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := readFixture(t, tc.file)
			for _, r := range []io.Reader{bytes.NewReader(b), onlyReader{bytes.NewReader(b)}} {
				got, err := ReadNPYStrings(r, Limits{})
				if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("got %q, %v", got, err)
				}
			}
		})
	}
	for _, tc := range []struct {
		file string
		lim  Limits
		want error
	}{
		{"object.npy", Limits{}, ErrUnsupportedDType},
		{"f4.npy", Limits{}, ErrUnsupportedDType},
		{"ids_i8.npy", Limits{MaxRows: 2}, ErrTooLarge},
		{"ids_unicode.npy", Limits{MaxBytes: 8}, ErrTooLarge},
	} {
		if _, err := ReadNPYStrings(bytes.NewReader(readFixture(t, tc.file)), tc.lim); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.file, err, tc.want)
		}
	}
}
