package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/reef-ml/reef/vecio"
)

// upload posts a multipart import; parts maps field → (file name, bytes),
// and a file name of "" makes a plain field.
func (ts *testServer) upload(ds string, parts [][3]string) (int, string) {
	ts.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		if p[1] == "" {
			mw.WriteField(p[0], p[2])
			continue
		}
		w, _ := mw.CreateFormFile(p[0], p[1])
		w.Write([]byte(p[2]))
	}
	mw.Close()
	req := httptest.NewRequest("POST", "/v1/datasets/"+ds+"/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (ts *testServer) exportBytes(ds, format string) []byte {
	ts.t.Helper()
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/datasets/"+ds+"/export?space=s&format="+format, nil))
	if rec.Code != 200 {
		ts.t.Fatalf("export %s %s: %d %s", ds, format, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// metadataOf returns each stored point's metadata JSON by id.
func (ts *testServer) metadataOf(ds string, ids ...string) map[string]string {
	ts.t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		var p struct {
			Metadata json.RawMessage `json:"metadata"`
		}
		if code := ts.call("GET", "/v1/datasets/"+ds+"/points/"+id, nil, &p); code != 200 {
			ts.t.Fatalf("get %s/%s: %d", ds, id, code)
		}
		out[id] = string(p.Metadata)
	}
	return out
}

func npyBytes(rows, cols int) string {
	m := &vecio.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i%7) + 1
	}
	var b bytes.Buffer
	vecio.WriteNPY(&b, m)
	return b.String()
}

// pqRow is a table as pandas/pyarrow users write one: vectors beside
// plain columns, one of them optional.
type pqRow struct {
	ID     string    `parquet:"id"`
	Emb    []float32 `parquet:"emb,list"`
	Label  string    `parquet:"label"`
	N      int64     `parquet:"n"`
	Score  *float64  `parquet:"score,optional"`
	Tested bool      `parquet:"tested"`
	Tags   []string  `parquet:"tags,list"`
}

func parquetBytes(t *testing.T) string {
	half := 0.5
	rows := []pqRow{{"a", []float32{1, 2, 3, 4}, "cat", 1, &half, true, []string{"x", "y"}}, {"bé", []float32{1, 1, 1, 1}, "dog", -2, nil, false, nil},
		{"日本語", []float32{4, 3, 2, 1}, "猫", 3, &half, true, []string{"z"}}}
	var b bytes.Buffer
	if err := parquet.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestImportMetadata(t *testing.T) {
	metaNPZ, err := os.ReadFile("../vecio/testdata/meta.npz")
	if err != nil {
		t.Fatal(err)
	}
	twoD, _ := os.ReadFile("../vecio/testdata/meta_2d.npz")
	npy := [3]string{"vectors", "v.npy", npyBytes(3, 4)}
	ids := [3]string{"ids", "ids.json", `["a","bé","日本語"]`}
	for _, tc := range []struct {
		name  string
		parts [][3]string
		code  int
		want  map[string]string // id → metadata JSON; or the error field
	}{
		{"npy with CSV keyed by id", [][3]string{npy, ids, {"metadata", "meta.csv", "id,label,n\n日本語,cat,3\na,dog,1\n"}}, 200,
			map[string]string{"a": `{"label":"dog","n":1}`, "bé": ``, "日本語": `{"label":"cat","n":3}`}},
		{"npy with JSON lines by row", [][3]string{npy, ids, {"metadata", "m", `{"p":0.1}` + "\n{}\n" + `{"tags":["x"],"n":12345678901234567890}`}}, 200,
			map[string]string{"a": `{"p":0.1}`, "bé": ``, "日本語": `{"n":12345678901234567890,"tags":["x"]}`}},
		{"npz extra arrays", [][3]string{{"vectors", "m.npz", string(metaNPZ)}}, 200,
			map[string]string{"a": `{"big":1,"count":1,"label":"cat","ok":true,"raw":"x","score":0.1}`,
				"bé":  `{"big":2,"count":-2,"label":"dog","ok":false,"raw":""}`,
				"日本語": `{"big":18446744073709551615,"count":3,"label":"猫","ok":true,"raw":"z","score":2.5}`}},
		{"npz with a side file that wins", [][3]string{{"vectors", "m.npz", string(metaNPZ)}, {"metadata", "m.jsonl", `{"id":"a","label":"lion"}`}}, 200,
			map[string]string{"a": `{"big":1,"count":1,"label":"lion","ok":true,"raw":"x","score":0.1}`}},
		{"Parquet columns", [][3]string{{"vectors", "t.parquet", parquetBytes(t)}}, 200,
			map[string]string{"a": `{"label":"cat","n":1,"score":0.5,"tags":["x","y"],"tested":true}`, "bé": `{"label":"dog","n":-2,"tested":false}`}},
		{"npz with a 2-D extra array", [][3]string{{"vectors", "m.npz", string(twoD)}, ids}, 400, map[string]string{"field": "vectors"}},
		{"metadata rows disagree", [][3]string{npy, ids, {"metadata", "m.csv", "label\ncat\n"}}, 400, map[string]string{"field": "metadata"}},
		{"metadata id unknown", [][3]string{npy, ids, {"metadata", "m.csv", "id,label\nzz,cat\n"}}, 400, map[string]string{"field": "metadata"}},
		{"metadata not JSON lines", [][3]string{npy, ids, {"metadata", "m.jsonl", "{nope\n"}}, 400, map[string]string{"field": "metadata"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, t.TempDir(), nil)
			ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
			ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 4, "metric": "l2"}, nil)
			code, body := ts.upload("ds", append([][3]string{{"space", "", "s"}}, tc.parts...))
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if code != 200 {
				var e errBody
				json.Unmarshal([]byte(body), &e)
				if e.Error.Field != tc.want["field"] {
					t.Fatalf("field %q, want %q: %s", e.Error.Field, tc.want["field"], body)
				}
				return
			}
			var ids []string
			for id := range tc.want {
				ids = append(ids, id)
			}
			if got := ts.metadataOf("ds", ids...); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("metadata\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// Points written with every kind of metadata value come back identical
// after export → import into a fresh dataset, through Parquet and npz.
// Keys are written sorted: JSON objects are unordered and the import
// rebuilds each object from its fields, so only values can round-trip.
func TestExportImportRoundTripsMetadata(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "src"}, nil)
	ts.call("POST", "/v1/datasets/src/spaces", map[string]any{"name": "s", "dim": 3, "metric": "cosine"}, nil)
	points := `{"points":[
	 {"id":"p1","metadata":{"label":"cat","n":12345678901234567890,"nested":{"k":[1,2.5,null]},"ok":true,"tags":["a","b"],"x":0.1},"vectors":{"s":[0.1,0.2,0.3]}},
	 {"id":"p2","vectors":{"s":[1e-7,-3.4e17,1]}},
	 {"id":"p3","metadata":{"label":"dög 犬","neg":-1e-300},"vectors":{"s":[3,2,1]}}]}`
	if code := ts.call("POST", "/v1/datasets/src/points", points, nil); code != 200 {
		t.Fatalf("upsert: %d", code)
	}
	want := ts.metadataOf("src", "p1", "p2", "p3")
	srcNPZ := ts.exportBytes("src", "npz")
	for _, format := range []string{"parquet", "npz"} {
		t.Run(format, func(t *testing.T) {
			file := ts.exportBytes("src", format)
			ds := "dst-" + format
			ts.call("POST", "/v1/datasets", map[string]any{"name": ds}, nil)
			ts.call("POST", "/v1/datasets/"+ds+"/spaces", map[string]any{"name": "s", "dim": 3, "metric": "cosine"}, nil)
			if code, body := ts.upload(ds, [][3]string{{"space", "", "s"}, {"vectors", "f." + format, string(file)}}); code != 200 {
				t.Fatalf("import: %d %s", code, body)
			}
			if got := ts.metadataOf(ds, "p1", "p2", "p3"); !reflect.DeepEqual(got, want) {
				t.Fatalf("metadata\n got %v\nwant %v", got, want)
			}
			// Ids, vectors (bit for bit) and metadata strings all agree.
			if got := ts.exportBytes(ds, "npz"); !bytes.Equal(got, srcNPZ) {
				t.Fatalf("npz export of the copy differs from the original's (%d vs %d bytes)", len(got), len(srcNPZ))
			}
		})
	}
}

func TestImportTooLargeBeforeBody(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.MaxUploadBytes = 1 << 20 })
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	body := &countingReader{r: strings.NewReader(strings.Repeat("x", 2<<20))}
	req := httptest.NewRequest("POST", "/v1/datasets/ds/import", body)
	req.ContentLength = 2 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	var e errBody
	json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != http.StatusRequestEntityTooLarge || body.n != 0 || !strings.Contains(e.Error.Message, "1.0 MiB") {
		t.Fatalf("status %d after reading %d body bytes: %s", rec.Code, body.n, rec.Body.String())
	}
	// A body that does not declare its length is cut at the limit.
	body = &countingReader{r: strings.NewReader(fmt.Sprintf("--b\r\nContent-Disposition: form-data; name=\"space\"\r\n\r\n%s\r\n--b--\r\n", strings.Repeat("x", 2<<20)))}
	req = httptest.NewRequest("POST", "/v1/datasets/ds/import", body)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	rec = httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || body.n > 1<<20+64<<10 {
		t.Fatalf("streamed: status %d after reading %d bytes: %s", rec.Code, body.n, rec.Body.String())
	}
}
