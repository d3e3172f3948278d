package view

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"
)

func sampleLayout() *layoutFile {
	return &layoutFile{method: "umap", placed: 3, ver: 7, when: time.Unix(1700000000, 5).UTC(),
		iids: []uint64{1, 2, 9}, hashes: []uint64{11, 22, 99}, coords: [][2]float32{{0, 1}, {-2.5, 3}, {1e9, -1e-9}}}
}

// FuzzDecodeLayout: no layout file, however damaged, panics the reader or
// allocates beyond its size; whatever decodes re-encodes to the same bytes.
func FuzzDecodeLayout(f *testing.F) {
	good := encodeLayout(sampleLayout())
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add([]byte(layoutMagic))
	f.Add(append([]byte(layoutMagic), make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := decodeLayout(data)
		if err != nil {
			return
		}
		if len(lf.iids)*24 > len(data) {
			t.Fatalf("%d rows from %d bytes", len(lf.iids), len(data))
		}
		again := encodeLayout(lf)
		lf2, err := decodeLayout(again)
		if err != nil || !bytes.Equal(encodeLayout(lf2), again) {
			t.Fatalf("re-encoding a decoded layout: %v", err)
		}
	})
}

func TestLayoutFileRoundTripAndDamage(t *testing.T) {
	want := sampleLayout()
	b := encodeLayout(want)
	got, err := decodeLayout(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.method != want.method || got.placed != want.placed || got.ver != want.ver || !got.when.Equal(want.when) ||
		len(got.iids) != 3 || got.coords[2] != want.coords[2] || got.hashes[1] != 22 {
		t.Fatalf("round trip: %+v", got)
	}
	for i := range b {
		d := bytes.Clone(b)
		d[i] ^= 0x40
		if _, err := decodeLayout(d); err == nil {
			t.Fatalf("a flipped byte at %d went unnoticed", i)
		}
	}
}

// TestLayoutFixtureV1 reads a layout file of today's format kept in
// testdata (regenerate with REEF_UPDATE_FIXTURES=1 when the format changes
// on purpose).
func TestLayoutFixtureV1(t *testing.T) {
	const path = "testdata/layout-v1.bin"
	if os.Getenv("REEF_UPDATE_FIXTURES") != "" {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, encodeLayout(sampleLayout()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lf, err := readLayoutFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleLayout()
	if lf.method != want.method || lf.placed != want.placed || lf.ver != want.ver || !lf.when.Equal(want.when) ||
		!slices.Equal(lf.iids, want.iids) || !slices.Equal(lf.hashes, want.hashes) || !slices.Equal(lf.coords, want.coords) {
		t.Fatalf("fixture reads as %+v", lf)
	}
}
