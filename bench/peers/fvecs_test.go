package peers

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, vecs := range [][][]float32{
		{{1, 2, 3}, {-0.5, float32(math.Inf(1)), 1e-30}},
		{{}},
		nil,
	} {
		p := filepath.Join(dir, "a.fvecs")
		if err := WriteFVecs(p, vecs); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFVecs(p)
		if err != nil || len(got) != len(vecs) || (len(vecs) > 0 && !reflect.DeepEqual(got, vecs)) {
			t.Fatalf("fvecs %v: got %v %v", vecs, got, err)
		}
	}
	ids := [][]uint64{{0, 5, math.MaxInt32}, {7}}
	p := filepath.Join(dir, "t.ivecs")
	if err := WriteIVecs(p, ids); err != nil {
		t.Fatal(err)
	}
	got, err := ReadIVecs(p)
	if err != nil || !reflect.DeepEqual(got, ids) {
		t.Fatalf("ivecs: %v %v", got, err)
	}
	if err := WriteIVecs(p, [][]uint64{{1 << 40}}); err == nil {
		t.Fatal("want error for id beyond int32")
	}
}

func TestReadRejectsCorrupt(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"truncated": {3, 0, 0, 0, 1, 2, 3, 4},
		"short hdr": {3, 0},
		"huge dim":  {0xff, 0xff, 0xff, 0x7f},
	} {
		p := filepath.Join(dir, "x")
		os.WriteFile(p, data, 0o644)
		if _, err := ReadFVecs(p); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}
