package vecio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func openNPZ(t *testing.T, b []byte, lim Limits) (*NPZ, error) {
	t.Helper()
	return ReadNPZ(bytes.NewReader(b), int64(len(b)), lim)
}

func TestNPZFixtures(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantIDs string
	}{
		{"stored.npz", "a|bé|日本語"},
		{"compressed.npz", "1|2|3"},
		{"positional.npz", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			z, err := openNPZ(t, readFixture(t, tc.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			ids, m, err := EmbeddingsFromNPZ(z)
			if err != nil {
				t.Fatal(err)
			}
			if !equalMatrix(m, want3x4()) || strings.Join(ids, "|") != tc.wantIDs {
				t.Fatalf("ids %q m %+v", ids, m)
			}
		})
	}
	z, _ := openNPZ(t, readFixture(t, "positional.npz"), Limits{})
	if got := strings.Join(z.Names(), ","); got != "arr_0,arr_1" {
		t.Fatalf("names %s", got)
	}
	if info, err := z.Info("arr_1"); err != nil || info.DType != "<f8" || len(info.Shape) != 1 {
		t.Fatalf("info %+v %v", info, err)
	}
	if _, err := z.Matrix("nope"); !errors.Is(err, ErrFormat) {
		t.Fatalf("missing array: %v", err)
	}
}

// buildZip writes members with the given method.
func buildZip(t *testing.T, method uint16, members map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestNPZRefuses(t *testing.T) {
	f4 := readFixture(t, "f4.npy")
	bomb := buildZip(t, zip.Deflate, map[string][]byte{"x.npy": make([]byte, 4<<20)})
	for _, tc := range []struct {
		name string
		in   []byte
		lim  Limits
		want error
	}{
		{"traversal", buildZip(t, zip.Store, map[string][]byte{"../x.npy": f4}), Limits{}, ErrFormat},
		{"subdir", buildZip(t, zip.Store, map[string][]byte{"a/x.npy": f4}), Limits{}, ErrFormat},
		{"backslash", buildZip(t, zip.Store, map[string][]byte{`a\x.npy`: f4}), Limits{}, ErrFormat},
		{"not npy", buildZip(t, zip.Store, map[string][]byte{"x.txt": f4}), Limits{}, ErrFormat},
		{"bomb over limit", bomb, Limits{MaxBytes: 1 << 20}, ErrTooLarge},
		{"not a zip", f4, Limits{}, ErrFormat},
		{"truncated", readFixture(t, "stored.npz")[:300], Limits{}, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := openNPZ(t, tc.in, tc.lim); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	many := map[string][]byte{}
	for i := range maxNPZMembers + 1 {
		many[fmt.Sprintf("k%d.npy", i)] = nil
	}
	if _, err := openNPZ(t, buildZip(t, zip.Store, many), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("member count: %v", err)
	}
	// Ids that disagree with the row count.
	ids := readFixture(t, "ids_i8.npy")
	z, err := openNPZ(t, buildZip(t, zip.Deflate, map[string][]byte{"x.npy": readFixture(t, "vec1d.npy"), "ids.npy": ids}), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := EmbeddingsFromNPZ(z); !errors.Is(err, ErrShape) {
		t.Fatalf("id count mismatch: %v", err)
	}
	// A corrupted deflate stream surfaces as ErrFormat naming the array.
	c := bytes.Clone(readFixture(t, "compressed.npz"))
	for i := 60; i < 120; i++ {
		c[i] ^= 0x55
	}
	if z, err := openNPZ(t, c, Limits{}); err == nil {
		if _, err := z.Matrix("vectors"); !errors.Is(err, ErrFormat) {
			t.Fatalf("corrupt member: %v", err)
		}
	}
}
