package fashionmnist

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func idx3(n, rows, cols uint32, body []byte) []byte {
	var b bytes.Buffer
	for _, v := range []uint32{0x803, n, rows, cols} {
		binary.Write(&b, binary.BigEndian, v)
	}
	b.Write(body)
	return b.Bytes()
}

func TestReadImages(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		wantN   int
		wantErr bool
	}{
		{"two 2x2", idx3(2, 2, 2, []byte{0, 1, 2, 3, 4, 5, 6, 255}), 2, false},
		{"truncated body", idx3(2, 2, 2, []byte{0, 1, 2}), 0, true},
		{"short header", []byte{0, 0, 8}, 0, true},
		{"bad magic", append([]byte{0, 0, 9, 9}, make([]byte, 12)...), 0, true},
		{"huge count", idx3(1<<31, 28, 28, nil), 0, true},
		{"zero rows", idx3(1, 0, 28, nil), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imgs, _, _, err := ReadImages(bytes.NewReader(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(imgs) != tt.wantN {
				t.Fatalf("got %d images, want %d", len(imgs), tt.wantN)
			}
			if tt.wantN == 2 && imgs[1][3] != 255 {
				t.Fatalf("pixel = %v, want 255", imgs[1][3])
			}
		})
	}
}

func TestReadLabels(t *testing.T) {
	ok := []byte{0, 0, 8, 1, 0, 0, 0, 3, 0, 9, 4}
	got, err := ReadLabels(bytes.NewReader(ok))
	if err != nil || len(got) != 3 || got[1] != 9 {
		t.Fatalf("ReadLabels = %v, %v", got, err)
	}
	bad := []byte{0, 0, 8, 1, 0, 0, 0, 1, 10}
	if _, err := ReadLabels(bytes.NewReader(bad)); err == nil {
		t.Fatal("label 10 accepted")
	}
}

func TestLoadInstalled(t *testing.T) {
	if !Available(DefaultDir) {
		t.Skip("dataset-fashion-mnist not installed")
	}
	s, err := Load(DefaultDir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Images) != 10000 || s.Rows != 28 || s.Cols != 28 {
		t.Fatalf("got %d images %dx%d", len(s.Images), s.Rows, s.Cols)
	}
}

func FuzzReadImages(f *testing.F) {
	f.Add(idx3(1, 2, 2, []byte{1, 2, 3, 4}))
	f.Add([]byte{0, 0, 8, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		imgs, rows, cols, err := ReadImages(bytes.NewReader(data))
		if err == nil {
			for _, im := range imgs {
				if len(im) != rows*cols {
					t.Fatalf("image of %d pixels, want %d", len(im), rows*cols)
				}
			}
		}
	})
}

func FuzzReadLabels(f *testing.F) {
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 1, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadLabels(bytes.NewReader(data))
	})
}
