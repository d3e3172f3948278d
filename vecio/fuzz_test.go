package vecio

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keep each execution cheap; the properties under test (no
// panic, no hang, no allocation beyond limits) do not depend on scale.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxRows: 1 << 14, MaxCols: 1 << 10}

func addFixtures(f *testing.F, pattern string) {
	names, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadNPY(f *testing.F) {
	addFixtures(f, "*.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadNPY(bytes.NewReader(b), fuzzLimits)
		if err == nil && len(m.Data) != m.Rows*m.Cols {
			t.Fatalf("inconsistent matrix %d×%d len %d", m.Rows, m.Cols, len(m.Data))
		}
		ReadNPY(onlyReader{bytes.NewReader(b)}, fuzzLimits)
		ReadNPYStrings(bytes.NewReader(b), fuzzLimits)
		ReadNPYStrings(onlyReader{bytes.NewReader(b)}, fuzzLimits)
	})
}

func FuzzReadNPZ(f *testing.F) {
	addFixtures(f, "*.npz")
	f.Fuzz(func(t *testing.T, b []byte) {
		z, err := ReadNPZ(bytes.NewReader(b), int64(len(b)), fuzzLimits)
		if err != nil {
			return
		}
		for _, n := range z.Names() {
			z.Info(n)
			z.Matrix(n)
			z.Strings(n)
		}
		EmbeddingsFromNPZ(z)
	})
}

func FuzzReadParquet(f *testing.F) {
	var buf bytes.Buffer
	WriteParquet(&buf, []string{"a", "b"}, &Matrix{Rows: 2, Cols: 2, Data: []float32{1, 2, 3, 4}}, []map[string]any{{"k": 1}, nil})
	f.Add(buf.Bytes())
	f.Add(writeRows(f, []int64Doubles{{1, []float64{1, 2}, "x", 0.5}, {2, []float64{3, 4}, "y", 0}}))
	f.Add(writeRows(f, []int32Legacy{{5, []float32{1, 2, 3}}}))
	f.Add(writeRows(f, []ragged{{"a", []float32{1, 2}}, {"b", []float32{3}}}))
	f.Add(writeRows(f, []withLists{{"a", []float32{1, 2}, []string{"x"}, []int32{7}, "cat"}, {"b", []float32{3, 4}, nil, nil, "dog"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, m, meta, err := ReadParquet(bytes.NewReader(b), int64(len(b)), ParquetOptions{Metadata: true, Limits: fuzzLimits})
		if err == nil && (len(m.Data) != m.Rows*m.Cols || (ids != nil && len(ids) != m.Rows) || len(meta) != m.Rows) {
			t.Fatalf("inconsistent result: %d ids, %d metadata rows, %d×%d len %d", len(ids), len(meta), m.Rows, m.Cols, len(m.Data))
		}
	})
}

func FuzzReadIDsJSON(f *testing.F) {
	for _, s := range []string{`["a","b"]`, `[1,2,-3]`, `[]`, `["x", 12345678901234567890]`, `[1.5]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadIDsJSON(bytes.NewReader(b), fuzzLimits)
		ids, err := ReadIDsText(bytes.NewReader(b), fuzzLimits)
		if err == nil {
			for _, id := range ids {
				if id == "" || strings.ContainsAny(id, "\n") {
					t.Fatalf("bad text id %q", id)
				}
			}
		}
	})
}

func FuzzReadNPYColumn(f *testing.F) {
	addFixtures(f, "*.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		col, err := ReadNPYColumn(bytes.NewReader(b), fuzzLimits)
		if err == nil && len(col) > fuzzLimits.MaxRows {
			t.Fatalf("%d values exceed the row limit", len(col))
		}
		ReadNPYColumn(onlyReader{bytes.NewReader(b)}, fuzzLimits)
	})
}

func FuzzReadNPZTable(f *testing.F) {
	addFixtures(f, "*.npz")
	f.Fuzz(func(t *testing.T, b []byte) {
		z, err := ReadNPZ(bytes.NewReader(b), int64(len(b)), fuzzLimits)
		if err != nil {
			return
		}
		tab, err := ReadNPZTable(z)
		if err == nil && tab.Metadata != nil && len(tab.Metadata) != tab.Matrix.Rows {
			t.Fatalf("%d metadata rows for %d vectors", len(tab.Metadata), tab.Matrix.Rows)
		}
	})
}

func FuzzReadMetaCSV(f *testing.F) {
	f.Add([]byte("id,label,n\na,cat,1\nb,dog,2.5\n"))
	f.Add([]byte("\ufeffx,\"q\"\"\"\n\"a\nb\",true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ReadMetaCSV(bytes.NewReader(b), fuzzLimits)
		if err == nil && tab.IDs != nil && len(tab.IDs) != len(tab.Rows) {
			t.Fatalf("%d ids for %d rows", len(tab.IDs), len(tab.Rows))
		}
	})
}

func FuzzReadMetaJSONL(f *testing.F) {
	f.Add([]byte("{\"id\":\"a\",\"n\":1}\n{\"id\":2,\"tags\":[\"x\"]}\n"))
	f.Add([]byte("{\"a\":{\"b\":null}}\r\n\n[]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ReadMetaJSONL(bytes.NewReader(b), fuzzLimits)
		if err != nil {
			return
		}
		if tab.IDs != nil && len(tab.IDs) != len(tab.Rows) {
			t.Fatalf("%d ids for %d rows", len(tab.IDs), len(tab.Rows))
		}
		for i, row := range tab.Rows {
			if _, err := json.Marshal(row); err != nil {
				t.Fatalf("row %d does not marshal: %v", i, err)
			}
		}
	})
}
