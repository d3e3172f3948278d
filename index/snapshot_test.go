package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func buildSnapshotFixture(t testing.TB, backend string, n int) (Index, [][]float32) {
	t.Helper()
	idx, err := New(backendConfig(backend, 12, Cosine))
	if err != nil {
		t.Fatal(err)
	}
	data := clustered(9, n+20, 12, 8)
	mustAddAll(t, idx, seqIDs(n, 100), data[:n])
	// Leave holes so free slots are exercised.
	for i := 0; i < n; i += 7 {
		idx.Delete(uint64(100 + i))
	}
	return idx, data[n:]
}

func searchAll(t testing.TB, idx Index, qs [][]float32) [][]Hit {
	t.Helper()
	out := make([][]Hit, len(qs))
	for i, q := range qs {
		hits, err := idx.Search(context.Background(), q, 10, SearchOptions{Ef: 50})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = hits
	}
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, backend := range []string{BackendHNSW, "hnsw+sq8", BackendExact} {
		t.Run(backend, func(t *testing.T) {
			idx, qs := buildSnapshotFixture(t, backend, 600)
			want := backendConfig(backend, 12, Cosine)
			path := filepath.Join(t.TempDir(), "idx.snap")
			hdr := SnapshotHeader{Seq: 42, Tag: "dataset-uid/space"}
			if err := WriteSnapshotFile(path, idx, hdr); err != nil {
				t.Fatal(err)
			}
			got, gh, err := ReadSnapshotFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if gh.Seq != 42 || gh.Tag != hdr.Tag || gh.Backend != want.Backend || gh.Version != SnapshotVersion {
				t.Fatalf("header = %+v", gh)
			}
			if got.Len() != idx.Len() || got.Dim() != idx.Dim() || got.Metric() != idx.Metric() {
				t.Fatalf("len/dim/metric %d/%d/%v, want %d/%d/%v", got.Len(), got.Dim(), got.Metric(), idx.Len(), idx.Dim(), idx.Metric())
			}
			if a, b := searchAll(t, idx, qs), searchAll(t, got, qs); !reflect.DeepEqual(a, b) {
				t.Fatal("search results differ after round trip")
			}
			if h, ok := got.(*HNSW); ok {
				if h.Config().Quantization != want.Quantization {
					t.Fatalf("quantization %q, want %q", h.Config().Quantization, want.Quantization)
				}
				if want.Quantization == QuantSQ8 {
					orig := idx.(*HNSW)
					if !h.sqReady.Load() || !reflect.DeepEqual(h.sq, orig.sq) {
						t.Fatal("sq8 parameters differ after round trip")
					}
					for s := range h.nSlots {
						if !bytes.Equal(h.code(s), orig.code(orig.labels[h.slotLabel[s]])) {
							t.Fatalf("slot %d code differs after round trip", s)
						}
					}
				}
			}
			// The decoded index keeps working.
			if err := got.Add(1, qs[0]); err != nil {
				t.Fatal(err)
			}
			if hits, _ := got.Search(context.Background(), qs[0], 1, SearchOptions{}); len(hits) != 1 || hits[0].ID != 1 {
				t.Fatalf("hits after add = %v", hits)
			}
		})
	}
}

func TestSnapshotNotSerializable(t *testing.T) {
	c, _ := NewCoder(DefaultConfig(4, L2))
	err := WriteSnapshotFile(filepath.Join(t.TempDir(), "x"), c, SnapshotHeader{})
	if !errors.Is(err, ErrNotSerializable) {
		t.Fatalf("err = %v", err)
	}
}

func TestSnapshotMissing(t *testing.T) {
	_, _, err := ReadSnapshotFile(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func TestSnapshotCorruption(t *testing.T) {
	idx, _ := buildSnapshotFixture(t, BackendHNSW, 200)
	dir := t.TempDir()
	path := filepath.Join(dir, "good")
	if err := WriteSnapshotFile(path, idx, SnapshotHeader{Seq: 1, Tag: "t"}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated header", good[:10]},
		{"truncated payload", good[:len(good)-5]},
		{"trailing garbage", append(bytes.Clone(good), 0)},
		{"wrong magic", mut(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"wrong version", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 99); return b })},
		{"flipped seq byte", mut(func(b []byte) []byte { b[16] ^= 1; return b })},
		{"flipped payload byte", mut(func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b })},
		{"flipped last byte", mut(func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad")
			if err := os.WriteFile(p, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := ReadSnapshotFile(p)
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("err = %v, want ErrCorruptSnapshot", err)
			}
		})
	}
}

func TestReadHNSWCorrupt(t *testing.T) {
	idx, _ := buildSnapshotFixture(t, BackendHNSW, 100)
	var buf bytes.Buffer
	if _, err := idx.(*HNSW).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	// Every truncation must fail cleanly.
	for i := 0; i < len(good); i += 1 + len(good)/300 {
		if _, err := ReadHNSW(bytes.NewReader(good[:i])); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("truncated at %d: err = %v", i, err)
		}
	}
	// A huge node count must be refused before allocating.
	bad := bytes.Clone(good)
	// header: magic, version, dim, metric, M, efC, efS, seed, quantization
	// (none: 1 byte), targetRecall, tuned ef, tuned at, then the count.
	binary.LittleEndian.PutUint32(bad[8+4+4+1+4+4+4+8+1+8+4+4:], 1<<30)
	if _, err := ReadHNSW(bytes.NewReader(bad)); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("huge count: err = %v", err)
	}
	if _, err := ReadHNSW(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
}

// TestReadHNSWOldVersion: a format-1 payload (before quantisation) is
// refused as another version, never decoded with the new layout.
func TestReadHNSWOldVersion(t *testing.T) {
	b := hnswSeed(t)
	binary.LittleEndian.PutUint32(b[len(hnswMagic):], 1)
	_, err := ReadHNSW(bytes.NewReader(b))
	if !errors.Is(err, ErrSnapshotVersion) || !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("old version: %v, want ErrSnapshotVersion and ErrCorruptSnapshot", err)
	}
}
