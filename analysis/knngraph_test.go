package analysis

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reef-ml/reef/index"
)

func TestExactGraphMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := gaussian(rng, 300, 16, 0)
	for _, m := range []index.Metric{index.L2, index.Cosine, index.Dot} {
		t.Run(m.String(), func(t *testing.T) {
			got := mustGraph(t, vs, m, 7)
			want := naiveKNN(vs, m, 7)
			for i := range vs {
				if !slices.Equal(got.Neighbors[i], want.Neighbors[i]) {
					t.Fatalf("point %d: got %v want %v", i, got.Neighbors[i], want.Neighbors[i])
				}
				for j := range got.Distances[i] {
					if d := got.Distances[i][j] - want.Distances[i][j]; d > 1e-4 || d < -1e-4 {
						t.Fatalf("point %d rank %d: distance %v want %v", i, j, got.Distances[i][j], want.Distances[i][j])
					}
				}
			}
		})
	}
}

func TestBuildGraph(t *testing.T) {
	tests := []struct {
		name    string
		res     []Neighbor
		want    []int32
		wantErr bool
	}{
		{"drops self, dedupes, sorts, cuts", []Neighbor{{3, 2}, {0, 0}, {1, 1}, {3, 2}, {2, 1}}, []int32{1, 2}, false},
		{"short row", []Neighbor{{2, 5}}, []int32{2}, false},
		{"out of range", []Neighbor{{9, 1}}, nil, true},
		{"negative", []Neighbor{{-1, 1}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := BuildGraph(bgCtx, 4, 2, func(i, k int) ([]Neighbor, error) {
				if k != 3 {
					t.Errorf("search asked for %d, want k+1=3", k)
				}
				if i != 0 {
					return nil, nil
				}
				return tt.res, nil
			}, Options{Workers: 2})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && !slices.Equal(g.Neighbors[0], tt.want) {
				t.Fatalf("row 0 = %v, want %v", g.Neighbors[0], tt.want)
			}
		})
	}
}

func TestBuildGraphCancelAndProgress(t *testing.T) {
	ctx, cancel := context.WithCancel(bgCtx)
	calls := 0
	_, err := BuildGraph(ctx, 10000, 3, func(i, k int) ([]Neighbor, error) { return nil, nil }, Options{Workers: 2, Progress: func(done, total int) {
		calls++
		if done >= 100 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	last := -1
	_, err = BuildGraph(bgCtx, 5000, 3, func(i, k int) ([]Neighbor, error) { return nil, nil }, Options{Workers: 4, Progress: func(done, total int) {
		if done < last || total != 5000 {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}})
	if err != nil || last != 5000 || calls == 0 {
		t.Fatalf("err %v, last progress %d", err, last)
	}
	_, err = BuildGraph(bgCtx, 10, 2, func(i, k int) ([]Neighbor, error) { return nil, errors.New("boom") }, Options{})
	if err == nil || err.Error() != "boom" {
		t.Fatalf("search error not propagated: %v", err)
	}
}

func TestGraphEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := mustGraph(t, gaussian(rng, 50, 4, 0), index.L2, 5)
	g.Neighbors[7], g.Distances[7] = g.Neighbors[7][:2], g.Distances[7][:2] // ragged row
	b, err := EncodeGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := DecodeGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := EncodeGraph(g2)
	if !bytes.Equal(b, b2) || g2.K != 5 || len(g2.Neighbors[7]) != 2 {
		t.Fatal("round trip changed the graph")
	}
	empty, err := EncodeGraph(&Graph{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if g3, err := DecodeGraph(empty); err != nil || g3.Len() != 0 {
		t.Fatalf("empty graph: %v", err)
	}
	corrupt := map[string][]byte{
		"short":     b[:10],
		"truncated": b[:len(b)-9],
		"flipped":   append(slices.Clone(b[:40]), append([]byte{b[40] ^ 1}, b[41:]...)...),
	}
	for name, c := range corrupt {
		if _, err := DecodeGraph(c); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	bad := &Graph{K: 1, Neighbors: [][]int32{{0}}, Distances: [][]float32{{0}}}
	if _, err := EncodeGraph(bad); err == nil {
		t.Error("self loop encoded")
	}
}

func withCRC(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	out := slices.Clone(b)
	binary.LittleEndian.PutUint32(out[len(out)-4:], crc32.ChecksumIEEE(out[:len(out)-4]))
	return out
}

func TestDecodeGraphRejectsStructure(t *testing.T) {
	good := &Graph{K: 2, Neighbors: [][]int32{{1, 2}, {0}, {0, 1}}, Distances: [][]float32{{1, 2}, {1}, {2, 3}}}
	b, err := EncodeGraph(good)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets: header 20, row lengths 12, then entries of 8 bytes.
	mut := func(off int, v uint32) []byte {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint32(c[off:], v)
		return withCRC(c)
	}
	cases := map[string][]byte{
		"self loop":    mut(32, 0),
		"out of range": mut(32, 7),
		"unsorted":     mut(36, math.Float32bits(5)),
		"NaN":          mut(36, 0x7fc00000),
		"duplicate":    mut(40, 1),
		"row > K":      mut(20, 3),
		"huge n":       mut(12, 1<<30),
		"bad version":  mut(8, 2),
		"K too large":  mut(16, 1<<20),
	}
	for name, c := range cases {
		if _, err := DecodeGraph(c); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

func FuzzDecodeGraph(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	g, _ := ExactGraph(bgCtx, gaussian(rng, 12, 3, 0), index.L2, 3, Options{})
	b, _ := EncodeGraph(g)
	f.Add(b)
	e, _ := EncodeGraph(&Graph{K: 2})
	f.Add(e)
	f.Add([]byte("REEFKNNG"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Also try the input with a correct checksum so mutations reach the
		// structural checks behind the CRC.
		for _, in := range [][]byte{data, withCRC(data)} {
			g, err := DecodeGraph(in)
			if err != nil {
				continue
			}
			if err := g.Validate(); err != nil {
				t.Fatalf("decoded graph invalid: %v", err)
			}
			out, err := EncodeGraph(g)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("re-encoding differs (err %v)", err)
			}
		}
	})
}
