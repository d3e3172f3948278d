package vecio

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadMetaCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ids      []string
		rows     []map[string]any
		err      error
	}{
		{"typed columns keyed by id", "id,label,n,x,ok\na,cat,1,0.5,true\nb,dog,-2,,FALSE\n",
			[]string{"a", "b"},
			[]map[string]any{{"label": "cat", "n": int64(1), "x": json.Number("0.5"), "ok": true}, {"label": "dog", "n": int64(-2), "ok": false}}, nil},
		{"by row, a mixed column is strings", "\ufefflabel,n\ncat,1\ndog,x\n", nil,
			[]map[string]any{{"label": "cat", "n": "1"}, {"label": "dog", "n": "x"}}, nil},
		{"ints and floats make floats", "v\n1\n2.5e3\n", nil,
			[]map[string]any{{"v": json.Number("1")}, {"v": json.Number("2.5e3")}}, nil},
		{"not JSON numbers stay strings", "v\n.5\nNaN\n", nil,
			[]map[string]any{{"v": ".5"}, {"v": "NaN"}}, nil},
		{"header only", "id,label\n", []string{}, []map[string]any{}, nil},
		{"empty", "", nil, nil, ErrFormat},
		{"repeated header", "a,a\n1,2\n", nil, nil, ErrFormat},
		{"empty header", "a,\n1,2\n", nil, nil, ErrFormat},
		{"ragged", "a,b\n1\n", nil, nil, ErrFormat},
		{"empty id", "id,a\n,1\n", nil, nil, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadMetaCSV(strings.NewReader(tc.in), Limits{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.IDs, tc.ids) || !reflect.DeepEqual(got.Rows, tc.rows) {
				t.Fatalf("got ids %#v rows %#v", got.IDs, got.Rows)
			}
		})
	}
}

func TestReadMetaJSONL(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ids      []string
		rows     []map[string]any
		err      error
	}{
		{"keyed, numbers exact", "{\"id\":\"a\",\"n\":12345678901234567890,\"tags\":[\"x\"]}\n\n{\"id\":7,\"n\":0.1}\n",
			[]string{"a", "7"},
			[]map[string]any{{"n": json.Number("12345678901234567890"), "tags": []any{"x"}}, {"n": json.Number("0.1")}}, nil},
		{"by row", "{\"a\":1}\r\n{\"a\":null}", nil, []map[string]any{{"a": json.Number("1")}, {"a": nil}}, nil},
		{"some keyed", "{\"id\":\"a\"}\n{\"b\":1}\n", nil, nil, ErrFormat},
		{"not an object", "[1,2]\n", nil, nil, ErrFormat},
		{"trailing data", "{} {}\n", nil, nil, ErrFormat},
		{"float id", "{\"id\":1.5}\n", nil, nil, ErrFormat},
		{"empty id", "{\"id\":\"\"}\n", nil, nil, ErrFormat},
		{"bool id", "{\"id\":true}\n", nil, nil, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadMetaJSONL(strings.NewReader(tc.in), Limits{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.IDs, tc.ids) || !reflect.DeepEqual(got.Rows, tc.rows) {
				t.Fatalf("got ids %#v rows %#v", got.IDs, got.Rows)
			}
		})
	}
}

func TestMetaLimits(t *testing.T) {
	if _, err := ReadMetaCSV(strings.NewReader("a\n1\n2\n3\n"), Limits{MaxRows: 2}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("csv rows: %v", err)
	}
	if _, err := ReadMetaJSONL(strings.NewReader("{}\n{}\n{}\n"), Limits{MaxRows: 2}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("jsonl rows: %v", err)
	}
	long := "{\"a\":\"" + strings.Repeat("x", 100) + "\"}\n"
	if _, err := ReadMetaJSONL(strings.NewReader(long+long), Limits{MaxBytes: 150}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("jsonl bytes: %v", err)
	}
	if _, err := ReadMetaCSV(strings.NewReader("a\n"+strings.Repeat("x\n", 100)), Limits{MaxBytes: 50}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("csv bytes: %v", err)
	}
}

func TestMetaAlign(t *testing.T) {
	ids := []string{"a", "b", "c"}
	keyed := &MetaTable{IDs: []string{"c", "a"}, Rows: []map[string]any{{"k": 3}, {"k": 1}}}
	got, err := keyed.Align(ids)
	if err != nil || !reflect.DeepEqual(got, []map[string]any{{"k": 1}, nil, {"k": 3}}) {
		t.Fatalf("keyed: %v %v", got, err)
	}
	for _, tc := range []struct {
		name string
		t    *MetaTable
		err  error
	}{
		{"unknown id", &MetaTable{IDs: []string{"z"}, Rows: []map[string]any{{}}}, ErrShape},
		{"repeated id", &MetaTable{IDs: []string{"a", "a"}, Rows: []map[string]any{{}, {}}}, ErrFormat},
		{"row count", &MetaTable{Rows: []map[string]any{{}, {}}}, ErrShape},
	} {
		if _, err := tc.t.Align(ids); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	byRow := &MetaTable{Rows: []map[string]any{{"r": 0}, {"r": 1}, {"r": 2}}}
	if got, err := byRow.Align(ids); err != nil || got[2]["r"] != 2 {
		t.Fatalf("by row: %v %v", got, err)
	}
}
