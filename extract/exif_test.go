package extract

import (
	"encoding/binary"
	"image"
	"image/color"
	"testing"
)

// withEXIF inserts an APP1 EXIF segment with the given orientation right
// after the JPEG SOI marker.
func withEXIF(jpg []byte, orientation uint16, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II*\x00")
	if bigEndian {
		bo, tiff = binary.BigEndian, []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)           // IFD0 offset
	tiff = bo.AppendUint16(tiff, 1)           // one entry
	tiff = bo.AppendUint16(tiff, 0x0112)      // Orientation
	tiff = bo.AppendUint16(tiff, 3)           // SHORT
	tiff = bo.AppendUint32(tiff, 1)           // count
	tiff = bo.AppendUint16(tiff, orientation) // value
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)     // padding + next IFD = 0
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestEXIFOrientationParse(t *testing.T) {
	jpg := encodeWith(t, "jpeg", testImage(40, 20))
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"none", jpg, 1},
		{"le 6", withEXIF(jpg, 6, false), 6},
		{"be 8", withEXIF(jpg, 8, true), 8},
		{"invalid 9", withEXIF(jpg, 9, false), 1},
		{"truncated", withEXIF(jpg, 6, false)[:20], 1},
		{"not jpeg", []byte("nope"), 1},
	}
	for _, tc := range tests {
		if got := EXIFOrientation(tc.data); got != tc.want {
			t.Errorf("%s: got %d want %d", tc.name, got, tc.want)
		}
	}
}

func TestDecodeAppliesEXIFRotation(t *testing.T) {
	jpg := withEXIF(encodeWith(t, "jpeg", testImage(40, 20)), 6, false)
	img, err := DecodeImage(jpg, ImageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
		t.Fatalf("bounds %v, want 20x40 after orientation 6", b)
	}
	// Orientation 6 rotates 90° clockwise: the red left half ends up on top.
	r, _, bl, _ := img.At(10, 5).RGBA()
	if r>>8 < 200 || bl>>8 > 60 {
		t.Errorf("top not red after rotation: r=%d b=%d", r>>8, bl>>8)
	}
}

func TestApplyOrientationTable(t *testing.T) {
	// 3×2 source with distinct pixels: value = 10*y + x.
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(10*y + x), 0, 0, 255})
		}
	}
	tests := []struct {
		o    int
		want [][]uint8 // rows of the displayed image
	}{
		{1, [][]uint8{{0, 1, 2}, {10, 11, 12}}},
		{2, [][]uint8{{2, 1, 0}, {12, 11, 10}}},
		{3, [][]uint8{{12, 11, 10}, {2, 1, 0}}},
		{4, [][]uint8{{10, 11, 12}, {0, 1, 2}}},
		{5, [][]uint8{{0, 10}, {1, 11}, {2, 12}}},
		{6, [][]uint8{{10, 0}, {11, 1}, {12, 2}}},
		{7, [][]uint8{{12, 2}, {11, 1}, {10, 0}}},
		{8, [][]uint8{{2, 12}, {1, 11}, {0, 10}}},
	}
	for _, tc := range tests {
		got := toRGBA(ApplyOrientation(src, tc.o))
		if got.Rect.Dy() != len(tc.want) || got.Rect.Dx() != len(tc.want[0]) {
			t.Errorf("o=%d: size %v", tc.o, got.Rect)
			continue
		}
		for y, row := range tc.want {
			for x, v := range row {
				if p := got.RGBAAt(x, y).R; p != v {
					t.Errorf("o=%d: (%d,%d) = %d, want %d", tc.o, x, y, p, v)
				}
			}
		}
	}
}

func FuzzEXIFOrientation(f *testing.F) {
	jpg := encodeWith(f, "jpeg", testImage(8, 8))
	f.Add(withEXIF(jpg, 6, false))
	f.Add(withEXIF(jpg, 3, true))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := EXIFOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d out of range", o)
		}
	})
}
