package vecio

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadNPZTable(t *testing.T) {
	z, err := openNPZ(t, readFixture(t, "meta.npz"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ReadNPZTable(z)
	if err != nil {
		t.Fatal(err)
	}
	if !equalMatrix(tab.Matrix, want3x4()) || strings.Join(tab.IDs, "|") != "a|bé|日本語" {
		t.Fatalf("ids %q m %+v", tab.IDs, tab.Matrix)
	}
	want := []map[string]any{
		{"label": "cat", "count": int64(1), "score": json.Number("0.1"), "big": int64(1), "ok": true, "raw": "x"},
		{"label": "dog", "count": int64(-2), "big": int64(2), "ok": false, "raw": ""}, // NaN score: no field
		{"label": "猫", "count": int64(3), "score": json.Number("2.5"), "big": uint64(1<<64 - 1), "ok": true, "raw": "z"},
	}
	if !reflect.DeepEqual(tab.Metadata, want) {
		t.Fatalf("metadata\n got %#v\nwant %#v", tab.Metadata, want)
	}
	if strings.Join(tab.Fields, ",") != "big,count,label,ok,raw,score" {
		t.Fatalf("fields %v", tab.Fields)
	}

	z, _ = openNPZ(t, readFixture(t, "stored.npz"), Limits{})
	if tab, err := ReadNPZTable(z); err != nil || tab.Metadata != nil || tab.Fields != nil {
		t.Fatalf("no extra arrays: %+v %v", tab, err)
	}
	for file, msg := range map[string]string{"meta_2d.npz": `"other" has shape [3 2]`, "positional.npz": `"arr_1" has 2 values`} {
		z, _ = openNPZ(t, readFixture(t, file), Limits{})
		if _, err := ReadNPZTable(z); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want ErrShape naming %s", file, err, msg)
		}
	}
}

func TestNPZWriteRoundTrip(t *testing.T) {
	ids := []string{"a", "bé", "日本語"}
	meta := []string{`{"label":"cat","n":12345678901234567890}`, "{}", `{"tags":["x","y"],"p":0.1}`}
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, ids, want3x4(), meta); err != nil {
		t.Fatal(err)
	}
	z, err := openNPZ(t, buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ReadNPZTable(z)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"label": "cat", "n": json.Number("12345678901234567890")}, {}, {"tags": []any{"x", "y"}, "p": json.Number("0.1")}}
	if !equalMatrix(tab.Matrix, want3x4()) || !reflect.DeepEqual(tab.IDs, ids) || !reflect.DeepEqual(tab.Metadata, want) || tab.Fields != nil {
		t.Fatalf("round trip: %q %+v %#v %v", tab.IDs, tab.Matrix, tab.Metadata, tab.Fields)
	}
	if err := WriteNPZ(&buf, ids[:1], want3x4(), nil); !errors.Is(err, ErrShape) {
		t.Fatalf("id count: %v", err)
	}
	if err := WriteNPZ(&buf, ids, want3x4(), meta[:1]); !errors.Is(err, ErrShape) {
		t.Fatalf("metadata count: %v", err)
	}
}

func TestReadNPYColumnRefuses(t *testing.T) {
	for name, file := range map[string]string{"2-D": "f4.npy", "object": "object.npy", "structured": "structured.npy", "complex": "complex.npy"} {
		if _, err := ReadNPYColumn(bytes.NewReader(readFixture(t, file)), Limits{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ReadNPYColumn(bytes.NewReader(readFixture(t, "ids_i8.npy")), Limits{MaxRows: 2}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("rows limit: %v", err)
	}
	col, err := ReadNPYColumn(bytes.NewReader(readFixture(t, "ids_i8.npy")), Limits{})
	if err != nil || !reflect.DeepEqual(col, []any{int64(1), int64(-2), int64(30000000000)}) {
		t.Fatalf("ints: %v %v", col, err)
	}
}
