package vecio

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func readParquetBytes(b []byte, opts ParquetOptions) ([]string, *Matrix, []map[string]any, error) {
	return ReadParquet(bytes.NewReader(b), int64(len(b)), opts)
}

func writeRows[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	m := want3x4()
	ids := []string{"a", "bé", "日本語"}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, ids, m, nil); err != nil {
		t.Fatal(err)
	}
	gotIDs, got, meta, err := readParquetBytes(buf.Bytes(), ParquetOptions{})
	if err != nil || !equalMatrix(got, m) || strings.Join(gotIDs, "|") != strings.Join(ids, "|") || meta != nil {
		t.Fatalf("round trip: %v %q %+v %v", err, gotIDs, got, meta)
	}

	md := []map[string]any{{"label": "cat", "n": 1.0}, nil, {"label": "dog"}}
	buf.Reset()
	if err := WriteParquet(&buf, ids, m, md); err != nil {
		t.Fatal(err)
	}
	_, got, meta, err = readParquetBytes(buf.Bytes(), ParquetOptions{Metadata: true})
	if err != nil || !equalMatrix(got, m) || len(meta) != 3 || meta[0]["label"] != "cat" || meta[0]["n"] != json.Number("1") || len(meta[1]) != 0 || meta[2]["label"] != "dog" {
		t.Fatalf("metadata round trip: %v %v", err, meta)
	}

	buf.Reset()
	if err := WriteParquet(&buf, nil, &Matrix{}, nil); err != nil {
		t.Fatal(err)
	}
	if ids, m, _, err := readParquetBytes(buf.Bytes(), ParquetOptions{}); err != nil || m.Rows != 0 || len(ids) != 0 {
		t.Fatalf("empty: %v %+v", err, m)
	}
	if err := WriteParquet(&buf, []string{"a"}, m, nil); !errors.Is(err, ErrShape) {
		t.Fatalf("id count mismatch: %v", err)
	}
}

// Schemas other writers produce: int ids, double lists, legacy two-level
// repeated fields, an optional element, extra scalar columns.
type int64Doubles struct {
	ID     int64     `parquet:"id"`
	Vector []float64 `parquet:"vector,list"`
	Label  string    `parquet:"label"`
	Score  float64   `parquet:"score,optional"`
}

type int32Legacy struct {
	Key int32     `parquet:"key"`
	Emb []float32 `parquet:"emb"` // repeated float: legacy 2-level list
}

type twoVectors struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
	Other     []float32 `parquet:"other,list"`
}

type ragged struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
}

func TestParquetSchemas(t *testing.T) {
	f := writeRows(t, []int64Doubles{{1, []float64{1, 2}, "x", 0.5}, {-7, []float64{3, 4}, "y", 0}})
	ids, m, meta, err := readParquetBytes(f, ParquetOptions{Metadata: true})
	if err != nil || strings.Join(ids, ",") != "1,-7" || m.Cols != 2 || m.Data[3] != 4 || meta[0]["label"] != "x" || meta[0]["score"] != json.Number("0.5") {
		t.Fatalf("int64/doubles: %v %v %+v %v", err, ids, m, meta)
	}

	f = writeRows(t, []int32Legacy{{5, []float32{1, 2, 3}}, {6, []float32{4, 5, 6}}})
	ids, m, _, err = readParquetBytes(f, ParquetOptions{IDColumn: "key"})
	if err != nil || strings.Join(ids, ",") != "5,6" || m.Rows != 2 || m.Cols != 3 {
		t.Fatalf("legacy list: %v %v %+v", err, ids, m)
	}
	// Default id column "id" absent: ids are nil, not an error.
	if ids, _, _, err = readParquetBytes(f, ParquetOptions{}); err != nil || ids != nil {
		t.Fatalf("no id column: %v %v", err, ids)
	}

	f = writeRows(t, []twoVectors{{"a", []float32{1}, []float32{2, 3}}})
	if _, m, _, err = readParquetBytes(f, ParquetOptions{}); err != nil || m.Cols != 1 {
		t.Fatalf("preferred name: %v %+v", err, m)
	}
	if _, m, _, err = readParquetBytes(f, ParquetOptions{VectorColumn: "other"}); err != nil || m.Cols != 2 {
		t.Fatalf("explicit column: %v %+v", err, m)
	}
}

func TestParquetRefuses(t *testing.T) {
	good := writeRows(t, []ragged{{"a", []float32{1, 2}}, {"b", []float32{3, 4}}, {"c", []float32{5, 6}}})
	for _, tc := range []struct {
		name string
		in   []byte
		opts ParquetOptions
		want error
		msg  string
	}{
		{"ragged", writeRows(t, []ragged{{"a", []float32{1, 2}}, {"b", []float32{3}}}), ParquetOptions{}, ErrShape, "row 1"},
		{"empty vector", writeRows(t, []ragged{{"a", []float32{1}}, {"b", nil}}), ParquetOptions{}, ErrShape, "row 1"},
		{"rows limit", good, ParquetOptions{Limits: Limits{MaxRows: 2}}, ErrTooLarge, "rows"},
		{"cols limit", good, ParquetOptions{Limits: Limits{MaxCols: 1}}, ErrTooLarge, "row 0"},
		{"bytes limit", good, ParquetOptions{Limits: Limits{MaxBytes: 16}}, ErrTooLarge, ""},
		{"missing id column", good, ParquetOptions{IDColumn: "nope"}, ErrFormat, "nope"},
		{"missing vector column", good, ParquetOptions{VectorColumn: "nope"}, ErrFormat, "nope"},
		{"id as vector", good, ParquetOptions{VectorColumn: "id"}, ErrUnsupportedDType, "id"},
		{"no vector column", writeRows(t, []struct{ ID string }{{"a"}}), ParquetOptions{}, ErrFormat, "vector column"},
		{"truncated", good[:len(good)-10], ParquetOptions{}, ErrFormat, ""},
		{"not parquet", readFixture(t, "f4.npy"), ParquetOptions{}, ErrFormat, "magic"},
		{"tiny", []byte("PAR1"), ParquetOptions{}, ErrFormat, "small"},
		{"footer length lies", append(bytes.Clone(good[:len(good)-8]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), ParquetOptions{}, ErrFormat, "footer length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readParquetBytes(tc.in, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	// Flipping bytes anywhere in the data region must give an error or a
	// result, never a panic or hang.
	for i := 4; i < len(good)-8; i++ {
		c := bytes.Clone(good)
		c[i] ^= 0xa5
		readParquetBytes(c, ParquetOptions{Metadata: true})
	}
}

// testdata/pyarrow.parquet (3 rows of want3x4, written by pyarrow) is
// optional: pyarrow was not installable when the fixtures were made.
func TestParquetPyarrowFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pyarrow.parquet"))
	if err != nil {
		t.Skip("no pyarrow fixture (pyarrow was not installable when fixtures were made)")
	}
	ids, m, _, err := readParquetBytes(b, ParquetOptions{})
	if err != nil || !equalMatrix(m, want3x4()) || len(ids) != 3 {
		t.Fatalf("%v %v %+v", err, ids, m)
	}
}

type withLists struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
	Tags      []string  `parquet:"tags,list"`
	Codes     []int32   `parquet:"codes"` // legacy two-level repeated field
	Label     string    `parquet:"label"`
}

func TestParquetListColumnsAreMetadata(t *testing.T) {
	f := writeRows(t, []withLists{
		{"a", []float32{1, 2}, []string{"x", "y"}, []int32{7}, "cat"},
		{"b", []float32{3, 4}, nil, nil, "dog"},
		{"c", []float32{5, 6}, []string{"z"}, []int32{1, 2, 3}, "cow"},
	})
	ids, m, meta, err := readParquetBytes(f, ParquetOptions{Metadata: true})
	if err != nil || strings.Join(ids, ",") != "a,b,c" || m.Cols != 2 {
		t.Fatalf("%v %v %+v", err, ids, m)
	}
	want := []map[string]any{
		{"label": "cat", "tags": []any{"x", "y"}, "codes": []any{int64(7)}},
		{"label": "dog"},
		{"label": "cow", "tags": []any{"z"}, "codes": []any{int64(1), int64(2), int64(3)}},
	}
	if !reflect.DeepEqual(meta, want) {
		t.Fatalf("metadata\n got %#v\nwant %#v", meta, want)
	}
}

type point2 struct {
	X float64 `parquet:"x"`
	Y float64 `parquet:"y"`
}

type withStruct struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
	Box       *struct {
		Class string `parquet:"class"`
		At    point2 `parquet:"at"`
	} `parquet:"box,optional"`
	Attrs map[string]string `parquet:"attrs"`
}

type withStructList struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
	Boxes     []point2  `parquet:"boxes,list"`
}

// Struct and map columns (what pyarrow writes for a DataFrame column of
// dicts) become nested metadata objects; a nested shape reef cannot
// represent is refused by name, never dropped.
func TestParquetStructAndMapColumnsAreMetadata(t *testing.T) {
	type box = struct {
		Class string `parquet:"class"`
		At    point2 `parquet:"at"`
	}
	f := writeRows(t, []withStruct{
		{"a", []float32{1, 2}, &box{"cat", point2{1, 2}}, map[string]string{"k": "v"}},
		{"b", []float32{3, 4}, nil, nil},
		{"c", []float32{5, 6}, &box{"dog", point2{3, 4}}, map[string]string{"k": "w", "z": "q"}},
	})
	ids, m, meta, err := readParquetBytes(f, ParquetOptions{Metadata: true})
	if err != nil || strings.Join(ids, ",") != "a,b,c" || m.Cols != 2 {
		t.Fatalf("%v %v %+v", err, ids, m)
	}
	want := []map[string]any{
		{"box": map[string]any{"class": "cat", "at": map[string]any{"x": json.Number("1"), "y": json.Number("2")}}, "attrs": map[string]any{"k": "v"}},
		{},
		{"box": map[string]any{"class": "dog", "at": map[string]any{"x": json.Number("3"), "y": json.Number("4")}}, "attrs": map[string]any{"k": "w", "z": "q"}},
	}
	if !reflect.DeepEqual(meta, want) {
		t.Fatalf("metadata\n got %#v\nwant %#v", meta, want)
	}
	// Without metadata the nested columns are not read at all.
	if _, _, meta, err := readParquetBytes(f, ParquetOptions{}); err != nil || meta != nil {
		t.Fatalf("no metadata: %v %v", err, meta)
	}

	f = writeRows(t, []withStructList{{"a", []float32{1, 2}, []point2{{1, 2}}}})
	_, _, _, err = readParquetBytes(f, ParquetOptions{Metadata: true})
	if !errors.Is(err, ErrUnsupportedDType) || !strings.Contains(err.Error(), `"boxes"`) {
		t.Fatalf("list of structs: want ErrUnsupportedDType naming boxes, got %v", err)
	}
}
