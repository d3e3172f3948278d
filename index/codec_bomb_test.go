package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// hnswBytes hand-builds an encoded index: n nodes of dim 1 at level lv,
// each linking cnt times per level to link(s, i).
func hnswBytes(n, m, lv, cnt int, link func(s, i int) int) []byte {
	var b []byte
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	b = append(b, hnswMagic...)
	u32(hnswVersion)
	u32(1)
	b = append(b, byte(L2))
	u32(uint32(m))
	u32(uint32(m))
	u32(8)
	b = binary.LittleEndian.AppendUint64(b, 1)
	b = append(b, 0) // no quantization
	b = binary.LittleEndian.AppendUint64(b, 0)
	u32(0)
	u32(0)
	u32(uint32(n))
	u32(0)
	u32(uint32(lv))
	for s := range n {
		b = append(b, byte(lv))
		b = binary.LittleEndian.AppendUint64(b, uint64(s))
		u32(0x3f800000 + uint32(s)) // ~1.0
		for l := 0; l <= lv; l++ {
			c := min(cnt, 2*m)
			if l > 0 {
				c = min(cnt, m)
			}
			u32(uint32(c))
			for i := range c {
				u32(uint32(link(s, i)))
			}
		}
	}
	return b
}

// TestReadHNSWUpperLevelBomb: nodes that all sit on the top level cost a
// few input bytes per level but a full upper row on every level; decoding
// must refuse them rather than allocate ~100x the input (which also made
// FuzzReadHNSW's delete loop crawl through 16 levels per node).
func TestReadHNSWUpperLevelBomb(t *testing.T) {
	b := hnswBytes(20000, 128, 15, 0, nil)
	t0 := time.Now()
	_, err := ReadHNSW(bytes.NewReader(b))
	if !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("err = %v, want ErrCorruptSnapshot", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("rejecting %d bytes took %v", len(b), el)
	}
	// A small legitimate-looking file with a few high nodes still decodes.
	b = hnswBytes(50, 128, 15, 2, func(s, i int) int { return (s + 1 + i) % 50 })
	h, err := ReadHNSW(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Search(context.Background(), []float32{1}, 5, SearchOptions{}); err != nil {
		t.Fatal(err)
	}
}
