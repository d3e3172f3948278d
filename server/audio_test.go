package server

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/ingest"
)

// TestAudioRoutes uploads spoken words over REST, searches them and plays
// one back. It needs ONNX Runtime, the audio models and espeak-ng (make
// setup installs all three) and skips without them.
func TestAudioRoutes(t *testing.T) {
	lib, _ := filepath.Abs("../third_party/onnxruntime/libonnxruntime.so.1")
	models, _ := filepath.Abs("../models/audio")
	for _, p := range []string{lib, filepath.Join(models, "embedding_model.onnx")} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s absent; run `make setup`", p)
		}
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
	eo := engine.DefaultOptions()
	eo.DataDir, eo.NoSync, eo.SnapshotInterval = t.TempDir(), true, 0
	eng, err := engine.Open(context.Background(), eo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeChecked(t, eng)
	so := DefaultOptions()
	so.Ingest.ORTLibrary, so.Ingest.ModelDir, so.Ingest.AudioModelDir = lib, "", models
	srv, err := New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, eng: eng, srv: srv}
	if code := ts.call(http.MethodPost, "/v1/datasets", map[string]any{"name": "speech"}, nil); code != http.StatusCreated {
		t.Fatalf("create dataset: %d", code)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	dir := t.TempDir()
	for i, w := range []string{"yes", "seven", "yes"} {
		out := filepath.Join(dir, "w.wav")
		if b, err := exec.Command("espeak-ng", "-s", []string{"150", "150", "120"}[i], "-w", out, w).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, b)
		}
		data, _ := os.ReadFile(out)
		fw, _ := mw.CreateFormFile("files", []string{"a.wav", "b.wav", "c.wav"}[i])
		fw.Write(data)
	}
	fw, _ := mw.CreateFormFile("files", "broken.mp3")
	fw.Write([]byte("ID3\x04\x00\x00\x00\x00\x00\x00 not really mp3"))
	mw.WriteField("ids", `{"a.wav":"yes-1","b.wav":"seven-1","c.wav":"yes-2"}`)
	mw.WriteField("metadata", `{"a.wav":{"word":"yes"},"b.wav":{"word":"seven"},"c.wav":{"word":"yes"}}`)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/v1/datasets/speech/audio", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("ingest: %d %s", rec.Code, rec.Body)
	}
	var res ingest.IngestResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Upserted != 3 || len(res.Failed) != 1 || res.Failed[0].ID != "broken.mp3" || res.Space != ingest.AudioModel {
		t.Fatalf("ingest result %+v", res)
	}

	var sr engine.SearchResult
	if code := ts.call(http.MethodPost, "/v1/datasets/speech/search",
		map[string]any{"space": ingest.AudioModel, "id": "yes-1", "k": 2, "exact": true}, &sr); code != http.StatusOK {
		t.Fatalf("search: %d", code)
	}
	// A search by id leaves the point itself out.
	if len(sr.Hits) != 2 || sr.Hits[0].ID != "yes-2" || sr.Hits[1].ID != "seven-1" {
		t.Fatalf("nearest to yes-1: %+v", sr.Hits)
	}

	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/datasets/speech/points/seven-1/audio", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "audio/wav" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("RIFF")) {
		t.Fatalf("audio: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var eb errBody
	if code := ts.call(http.MethodGet, "/v1/datasets/speech/points/nope/audio", nil, &eb); code != http.StatusNotFound {
		t.Fatalf("missing audio: %d %+v", code, eb)
	}
	var empty bytes.Buffer
	mw = multipart.NewWriter(&empty)
	mw.Close()
	req = httptest.NewRequest(http.MethodPost, "/v1/datasets/speech/audio", &empty)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !bytes.Contains(rec.Body.Bytes(), []byte(`"field":"files"`)) {
		t.Fatalf("no files: %d %s", rec.Code, rec.Body)
	}
}
