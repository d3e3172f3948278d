package vecio

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// Bytes after the array are refused, from a sized reader and from a stream.
func TestReadNPYRefusesTrailingBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteNPY(&buf, &Matrix{Rows: 2, Cols: 2, Data: []float32{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPY(bytes.NewReader(buf.Bytes()), Limits{}); err != nil {
		t.Fatalf("exact file: %v", err)
	}
	long := append(append([]byte(nil), buf.Bytes()...), 0, 0, 0, 0)
	for name, r := range map[string]io.Reader{
		"sized":  bytes.NewReader(long),
		"stream": io.MultiReader(bytes.NewReader(long)), // hides Len and Seek
	} {
		if _, err := ReadNPY(r, Limits{}); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: trailing bytes gave %v, want ErrFormat", name, err)
		}
	}
}
