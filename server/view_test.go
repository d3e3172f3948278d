package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reef-ml/reef/ingest"
	"github.com/reef-ml/reef/vecio"
	"github.com/reef-ml/reef/view"
)

// raw sends a request and returns the recorder.
func (ts *testServer) raw(method, path, contentType string, body []byte, header ...string) *httptest.ResponseRecorder {
	ts.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if ts.key != "" {
		req.Header.Set("Authorization", "Bearer "+ts.key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func seedView(t *testing.T, ts *testServer, n int) {
	t.Helper()
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 4, "metric": "cosine"}, nil)
	var pts []map[string]any
	for i := range n {
		v := []float32{0.1, 0.1, 0.1, 0.1}
		v[i%2] = 1 + float32(i)/float32(n)
		pts = append(pts, map[string]any{"id": fmt.Sprintf("p%03d", i), "vectors": map[string]any{"s": v},
			"metadata": map[string]any{"label": []string{"a", "b"}[i%2], "score": i}})
	}
	if code := ts.call("POST", "/v1/datasets/ds/points", map[string]any{"points": pts}, nil); code != 200 {
		t.Fatalf("seed: %d", code)
	}
}

func TestViewAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 100)
	const q = "?space=s&level=point"

	var sum view.ViewSummary
	if code := ts.call("GET", "/v1/datasets/ds/view"+q, nil, &sum); code != 200 || sum.Count != 100 {
		t.Fatalf("summary: %d %+v", code, sum)
	}
	if sum.URLs["points"] != "/v1/datasets/ds/view/points.bin"+q {
		t.Fatalf("urls: %v", sum.URLs)
	}

	rec := ts.raw("GET", "/v1/datasets/ds/view/points.bin"+q, "", nil)
	coords, err := view.DecodeViewPoints(rec.Body.Bytes())
	if rec.Code != 200 || err != nil || len(coords) != 100 {
		t.Fatalf("points.bin: %d %v", rec.Code, err)
	}
	if etag := rec.Header().Get("ETag"); etag == "" {
		t.Fatal("points.bin without ETag")
	} else if again := ts.raw("GET", "/v1/datasets/ds/view/points.bin"+q, "", nil, "If-None-Match", etag); again.Code != 304 && again.Header().Get("ETag") == etag {
		t.Fatalf("If-None-Match: %d", again.Code)
	}

	rec = ts.raw("GET", "/v1/datasets/ds/view/color.bin"+q+"&field=label", "", nil)
	if rec.Code != 200 || rec.Header().Get("X-Reef-Field-Kind") != "category" || rec.Body.Len() != 200 {
		t.Fatalf("color.bin label: %d %q %d bytes", rec.Code, rec.Header().Get("X-Reef-Field-Kind"), rec.Body.Len())
	}
	rec = ts.raw("GET", "/v1/datasets/ds/view/color.bin"+q+"&field=score", "", nil)
	if rec.Code != 200 || rec.Header().Get("X-Reef-Field-Kind") != "number" || rec.Body.Len() != 400 {
		t.Fatalf("color.bin score: %d %d bytes", rec.Code, rec.Body.Len())
	}
	if v := math.Float32frombits(binary.LittleEndian.Uint32(rec.Body.Bytes()[4*7:])); v != 7 {
		t.Fatalf("score of row 7 = %v", v)
	}

	var row view.ViewHit
	if code := ts.call("GET", "/v1/datasets/ds/view/row/5"+q, nil, &row); code != 200 || row.ID != "p005" {
		t.Fatalf("row: %d %+v", code, row)
	}
	var hits view.ViewHits
	if code := ts.call("POST", "/v1/datasets/ds/view/neighbors", map[string]any{"space": "s", "row": 5, "k": 5}, &hits); code != 200 || len(hits.Hits) != 5 {
		t.Fatalf("neighbors: %d %+v", code, hits)
	}
	for _, h := range hits.Hits {
		if h.Row%2 != 1 {
			t.Fatalf("neighbour %+v of an odd row", h)
		}
	}
	if code := ts.call("POST", "/v1/datasets/ds/view/similar", map[string]any{"space": "s", "positive": []int{0, 2}, "negative": []int{1}, "k": 10}, &hits); code != 200 || len(hits.Hits) != 10 {
		t.Fatalf("similar: %d %+v", code, hits)
	}
	var tag view.ViewTagResult
	if code := ts.call("POST", "/v1/datasets/ds/view/tag", map[string]any{"space": "s", "rows": []int{0, 1}, "tag": "look"}, &tag); code != 200 || tag.Points != 2 {
		t.Fatalf("tag: %d %+v", code, tag)
	}
	// A tag made in the view is a REST filter at once.
	var found struct {
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if code := ts.call("POST", "/v1/datasets/ds/search", map[string]any{"space": "s", "id": "p050", "k": 50, "exact": true, "filter": map[string]any{"metadata.tags": "look"}}, &found); code != 200 || len(found.Hits) != 2 {
		t.Fatalf("search filtered by the view's tag: %d %+v", code, found)
	}
	if code := ts.call("POST", "/v1/datasets/ds/view/layout", map[string]any{"space": "s", "method": "pca"}, &sum); code != 200 || sum.Layout.Method != "pca" {
		t.Fatalf("layout: %d %+v", code, sum.Layout)
	}

	// User coordinates, JSON and .npy.
	ids := make([]string, 100)
	xy := make([][2]float32, 100)
	data := make([]float32, 0, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%03d", i)
		xy[i] = [2]float32{float32(i), float32(-i)}
		data = append(data, float32(i), float32(i%10))
	}
	if code := ts.call("PUT", "/v1/datasets/ds/view/coords", map[string]any{"space": "s", "ids": ids, "coords": xy}, &sum); code != 200 || sum.Layout.Method != "user" {
		t.Fatalf("coords json: %d %+v", code, sum.Layout)
	}
	var npy, body bytes.Buffer
	vecio.WriteNPY(&npy, &vecio.Matrix{Rows: 100, Cols: 2, Data: data})
	mw := multipart.NewWriter(&body)
	mw.WriteField("space", "s")
	idj, _ := json.Marshal(ids)
	mw.WriteField("ids", string(idj))
	w, _ := mw.CreateFormFile("coords", "xy.npy")
	w.Write(npy.Bytes())
	mw.Close()
	rec = ts.raw("PUT", "/v1/datasets/ds/view/coords", mw.FormDataContentType(), body.Bytes())
	if rec.Code != 200 {
		t.Fatalf("coords npy: %d %s", rec.Code, rec.Body)
	}
	rec = ts.raw("GET", "/v1/datasets/ds/view/points.bin"+q, "", nil)
	coords, _ = view.DecodeViewPoints(rec.Body.Bytes())
	if coords[99][0] <= coords[0][0] {
		t.Fatalf("uploaded coordinates not applied: %v %v", coords[0], coords[99])
	}
}

func TestViewErrors(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 20)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"no space", "GET", "/v1/datasets/ds/view", nil, 400, "space"},
		{"bad level", "GET", "/v1/datasets/ds/view?space=s&level=x", nil, 400, "level"},
		{"unknown dataset", "GET", "/v1/datasets/zz/view?space=s", nil, 404, "dataset"},
		{"unknown field", "GET", "/v1/datasets/ds/view/color.bin?space=s&field=zz", nil, 404, "field"},
		{"row not a number", "GET", "/v1/datasets/ds/view/row/x?space=s", nil, 400, "row"},
		{"row out of range", "GET", "/v1/datasets/ds/view/row/20?space=s", nil, 400, "row"},
		{"neighbors without row", "POST", "/v1/datasets/ds/view/neighbors", `{"space":"s"}`, 400, "row"},
		{"neighbors unknown key", "POST", "/v1/datasets/ds/view/neighbors", `{"space":"s","row":1,"kk":3}`, 400, "body"},
		{"similar no positives", "POST", "/v1/datasets/ds/view/similar", `{"space":"s","positive":[]}`, 400, "positive"},
		{"similar bad row", "POST", "/v1/datasets/ds/view/similar", `{"space":"s","positive":[1,-3]}`, 400, "positive[1]"},
		{"similar max_distance type", "POST", "/v1/datasets/ds/view/similar", `{"space":"s","positive":[1],"max_distance":"near"}`, 400, "max_distance"},
		{"rows none", "POST", "/v1/datasets/ds/view/rows", `{"space":"s","rows":[]}`, 400, "rows"},
		{"rows beyond the bound", "POST", "/v1/datasets/ds/view/rows", fmt.Sprintf(`{"space":"s","rows":[%s0]}`, strings.Repeat("0,", view.MaxRowsBatch)), 400, "rows"},
		{"rows out of range", "POST", "/v1/datasets/ds/view/rows", `{"space":"s","rows":[3,20]}`, 400, "rows[1]"},
		{"rows unknown key", "POST", "/v1/datasets/ds/view/rows", `{"space":"s","row":[3]}`, 400, "body"},
		{"layout bad method", "POST", "/v1/datasets/ds/view/layout", `{"space":"s","method":"tsne"}`, 400, "method"},
		{"tag empty", "POST", "/v1/datasets/ds/view/tag", `{"space":"s","rows":[1],"tag":""}`, 400, "tag"},
		{"tag rows type", "POST", "/v1/datasets/ds/view/tag", `{"space":"s","rows":"all","tag":"x"}`, 400, "rows"},
		{"coords mismatch", "PUT", "/v1/datasets/ds/view/coords", `{"space":"s","ids":["p000"],"coords":[]}`, 400, "coords"},
		{"coords shape", "PUT", "/v1/datasets/ds/view/coords", `{"space":"s","ids":["p000"],"coords":[[1,2,3]]}`, 400, "coords[0]"},
		{"thumbnail missing", "GET", "/v1/datasets/ds/points/p000/thumbnail", nil, 404, ""},
		{"thumbnail garbage", "PUT", "/v1/datasets/ds/points/p000/thumbnail", "hello", 400, "image"},
		{"thumbnail empty", "PUT", "/v1/datasets/ds/points/p000/thumbnail", " ", 400, "body"},
		{"thumbnail unknown point", "PUT", "/v1/datasets/ds/points/zz/thumbnail", string(tinyPNG(t)), 404, "id"},
		{"no asset", "GET", "/assets/nope.js", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e errBody
			status := ts.call(tt.method, tt.path, tt.body, &e)
			if status != tt.status || e.Error.Field != tt.field || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d field %q", status, e.Error, tt.status, tt.field)
			}
		})
	}
	big := ts.raw("PUT", "/v1/datasets/ds/points/p000/thumbnail", "image/png", make([]byte, ingest.MaxThumbnailInput+10))
	if big.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge thumbnail: %d %s", big.Code, big.Body)
	}
}

func tinyPNG(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 28, 28))
	for i := range 28 {
		img.Set(i, i, color.NRGBA{R: 255, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestThumbnailsAndPage(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(o *Options) { o.AdminKey, o.ReadKey = "admin", "reader" })
	ts.key = "admin"
	seedView(t, ts, 4)
	rec := ts.raw("PUT", "/v1/datasets/ds/points/p001/thumbnail", "image/png", tinyPNG(t))
	if rec.Code != 204 {
		t.Fatalf("put thumbnail: %d %s", rec.Code, rec.Body)
	}
	ts.key = "reader"
	rec = ts.raw("GET", "/v1/datasets/ds/points/p001/thumbnail", "", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("get thumbnail: %d %v", rec.Code, rec.Header())
	}
	if _, err := png.Decode(rec.Body); err != nil {
		t.Fatal(err)
	}
	if rec := ts.raw("PUT", "/v1/datasets/ds/points/p001/thumbnail", "image/png", tinyPNG(t)); rec.Code != 403 {
		t.Fatalf("read key stored a thumbnail: %d", rec.Code)
	}
	var sum view.ViewSummary
	ts.call("GET", "/v1/datasets/ds/view?space=s", nil, &sum)
	if sum.Thumbnails != 1 {
		t.Fatalf("summary thumbnails = %d", sum.Thumbnails)
	}
	var row view.ViewHit
	ts.call("GET", "/v1/datasets/ds/view/row/1?space=s", nil, &row)
	if row.Thumbnail != "/v1/datasets/ds/points/p001/thumbnail" {
		t.Fatalf("row thumbnail: %+v", row)
	}

	// The page and its assets are public; the data is not.
	ts.key = ""
	page := ts.raw("GET", "/", "", nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "<title>reef") || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %q", page.Code, page.Body.String()[:min(200, page.Body.Len())])
	}
	i := strings.Index(page.Body.String(), "/assets/")
	if i < 0 {
		t.Fatal("page links no assets")
	}
	asset := page.Body.String()[i:]
	asset = asset[:strings.IndexAny(asset, `"'`)]
	if rec := ts.raw("GET", asset, "", nil); rec.Code != 200 || rec.Body.Len() == 0 {
		t.Fatalf("asset %s: %d", asset, rec.Code)
	}
	if rec := ts.raw("GET", "/v1/datasets/ds/view?space=s", "", nil); rec.Code != 401 {
		t.Fatalf("view without a key: %d", rec.Code)
	}
}

// pngSized is a w×h PNG.
func pngSized(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestViewRowsAndImageSize reads rows in one batch and checks the image
// size ingest records with a thumbnail (the original, larger than the
// thumbnail, so boxes can be drawn on it) reaches the hits.
func TestViewRowsAndImageSize(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 100)
	for id, img := range map[string][]byte{"p003": pngSized(t, 300, 200), "p004": tinyPNG(t)} {
		if rec := ts.raw("PUT", "/v1/datasets/ds/points/"+id+"/thumbnail", "image/png", img); rec.Code != 204 {
			t.Fatalf("put thumbnail %s: %d %s", id, rec.Code, rec.Body)
		}
	}
	var res view.ViewRowsResult
	if code := ts.call("POST", "/v1/datasets/ds/view/rows", map[string]any{"space": "s", "rows": []int{4, 3, 5}}, &res); code != 200 || len(res.Hits) != 3 {
		t.Fatalf("rows: %d %+v", code, res)
	}
	want := []struct {
		id   string
		size *[2]int
	}{{"p004", &[2]int{28, 28}}, {"p003", &[2]int{300, 200}}, {"p005", nil}}
	for i, w := range want {
		h := res.Hits[i]
		if h.ID != w.id || (w.size == nil) != (h.ImageSize == nil) || (w.size != nil && *w.size != *h.ImageSize) {
			t.Fatalf("hit %d: %s image_size %v, want %s %v", i, h.ID, h.ImageSize, w.id, w.size)
		}
	}
	var row view.ViewHit
	if ts.call("GET", "/v1/datasets/ds/view/row/3?space=s", nil, &row); row.ImageSize == nil || *row.ImageSize != [2]int{300, 200} {
		t.Fatalf("row 3 image_size %v", row.ImageSize)
	}
}

// TestViewSimilarBounds: max_distance is applied by the server (beyond the
// default k), k caps it, and include_selection puts the positives first.
func TestViewSimilarBounds(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seedView(t, ts, 300) // even rows point one way, odd ones another
	var sim view.ViewSimilarResult
	req := map[string]any{"space": "s", "positive": []int{0, 2}, "max_distance": 0.1}
	if code := ts.call("POST", "/v1/datasets/ds/view/similar", req, &sim); code != 200 || len(sim.Hits) != 148 || sim.Capped {
		t.Fatalf("within 0.1: %d, %d hits (capped %v), want the 148 other even rows", code, len(sim.Hits), sim.Capped)
	}
	for _, h := range sim.Hits {
		if h.Row%2 != 0 || h.Row == 0 || h.Row == 2 || *h.Distance > float32(0.1) {
			t.Fatalf("hit %+v", h)
		}
	}
	req["k"] = 10
	if ts.call("POST", "/v1/datasets/ds/view/similar", req, &sim); len(sim.Hits) != 10 || !sim.Capped {
		t.Fatalf("k=10 within 0.1: %d hits, capped %v", len(sim.Hits), sim.Capped)
	}
	req["include_selection"] = true
	if ts.call("POST", "/v1/datasets/ds/view/similar", req, &sim); len(sim.Hits) != 12 || sim.Selection != 2 || sim.Hits[0].Row != 0 || sim.Hits[1].Row != 2 {
		t.Fatalf("with the selection: %d hits, selection %d", len(sim.Hits), sim.Selection)
	}
}
