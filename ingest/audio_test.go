package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/extract/audio"
)

// audioEnv returns options with the repository's ONNX Runtime and audio
// models, or skips when they (or espeak-ng) are absent.
func audioEnv(t testing.TB) envOptions {
	t.Helper()
	lib, _ := filepath.Abs("../third_party/onnxruntime/libonnxruntime.so.1")
	if _, err := os.Stat(lib); err != nil {
		t.Skip("ONNX Runtime not installed; run `make setup`")
	}
	models, _ := filepath.Abs("../models/audio")
	if _, err := os.Stat(filepath.Join(models, "embedding_model.onnx")); err != nil {
		t.Skip("audio models not installed; run `make setup`")
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed (make setup installs it)")
	}
	o := testOptions(t.TempDir())
	o.ORTLibrary, o.ModelDir, o.AudioModelDir = lib, "", models
	return o
}

// spokenWAV renders a word with espeak-ng as a WAV file (22.05 kHz mono).
func spokenWAV(t testing.TB, word, voice string, speed int) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "w.wav")
	if b, err := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", out, word).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestIngestAudio(t *testing.T) {
	opts := audioEnv(t)
	ctx := context.Background()
	e, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.CreateDataset(ctx, "speech"); err != nil {
		t.Fatal(err)
	}
	words := []string{"yes", "seven", "banana"}
	voices := []struct {
		voice string
		speed int
	}{{"en", 150}, {"en-us", 120}, {"en+f3", 175}, {"en-gb-x-rp", 140}}
	var items []AudioItem
	for _, w := range words {
		for i, v := range voices {
			items = append(items, AudioItem{ID: fmt.Sprintf("%s-%d", w, i), Data: spokenWAV(t, w, v.voice, v.speed),
				Metadata: json.RawMessage(`{"word":"` + w + `"}`)})
		}
	}
	items = append(items,
		AudioItem{ID: "corrupt", Data: []byte("RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00")},
		AudioItem{ID: "text", Data: []byte("hello, not audio")})
	res, err := e.IngestAudio(ctx, "speech", items)
	if err != nil {
		t.Fatal(err)
	}
	if res.Upserted != len(words)*len(voices) || res.Space != AudioModel || res.Dim != 192 {
		t.Fatalf("result %+v", res)
	}
	failed := map[string]string{}
	for _, f := range res.Failed {
		failed[f.ID] = f.Error
	}
	if len(failed) != 2 || failed["corrupt"] == "" || failed["text"] == "" {
		t.Fatalf("failed = %v, want corrupt and text", failed)
	}
	t.Logf("rejected: %v", failed)

	// Same word, other voices: the nearest neighbours of each clip are
	// mostly renditions of its own word.
	hits, total := 0, 0
	for _, it := range items[:len(words)*len(voices)] {
		r, err := e.Search(ctx, "speech", engine.SearchRequest{Space: AudioModel, ID: it.ID, K: 3, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		word := strings.SplitN(it.ID, "-", 2)[0]
		for _, h := range r.Hits {
			if h.ID == it.ID {
				continue
			}
			total++
			if strings.HasPrefix(h.ID, word+"-") {
				hits++
			}
		}
	}
	t.Logf("neighbours of the same word: %d/%d", hits, total)
	if hits*3 < total*2 {
		t.Fatalf("only %d/%d neighbours are the same word", hits, total)
	}

	// Identical bytes under another id: distance ~0.
	dup := AudioItem{ID: "yes-copy", Data: items[0].Data}
	if _, err := e.IngestAudio(ctx, "speech", []AudioItem{dup}); err != nil {
		t.Fatal(err)
	}
	r, err := e.Search(ctx, "speech", engine.SearchRequest{Space: AudioModel, ID: "yes-copy", K: 2, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) < 2 || r.Hits[1].ID != items[0].ID && r.Hits[0].ID != items[0].ID {
		t.Fatalf("identical clip not nearest: %+v", r.Hits)
	}
	for _, h := range r.Hits {
		if h.ID == items[0].ID && h.Distance > 1e-5 {
			t.Fatalf("identical clips at distance %g", h.Distance)
		}
	}

	// Metadata keeps the caller's fields and gains the decoder's.
	p, err := e.Point(ctx, "speech", "seven-1")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal(p.Metadata, &md); err != nil {
		t.Fatal(err)
	}
	if md["word"] != "seven" || md["format"] != "wav" || md["channels"] != float64(1) || md["duration_s"].(float64) <= 0.2 {
		t.Fatalf("metadata %v", md)
	}

	// The playable copy is a 16 kHz WAV; a point without audio is 404.
	wav, err := e.Audio(ctx, "speech", "seven-1")
	if err != nil || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Fatalf("audio: %v %q", err, wav[:min(12, len(wav))])
	}
	if !e.HasAudio(ctx, "speech", "seven-1") || e.HasAudio(ctx, "speech", "corrupt") {
		t.Fatal("HasAudio wrong")
	}
	if _, err := e.Audio(ctx, "speech", "corrupt"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("audio of a failed file: %v", err)
	}
	// Deleting the point deletes its audio.
	if _, err := e.DeletePoints(ctx, "speech", []string{"seven-1"}); err != nil {
		t.Fatal(err)
	}
	if e.HasAudio(ctx, "speech", "seven-1") {
		t.Fatal("audio outlived its point")
	}
	mustCheck(t, e)
}

func TestIngestAudioValidation(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, testOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.CreateDataset(ctx, "ds")
	cases := []struct {
		name  string
		ds    string
		items []AudioItem
		want  error
		field string
	}{
		{"empty", "ds", nil, engine.ErrInvalid, "files"},
		{"unknown dataset", "nope", []AudioItem{{ID: "a", Data: []byte("x")}}, engine.ErrNotFound, ""},
		{"empty id", "ds", []AudioItem{{ID: "", Data: []byte("x")}}, engine.ErrInvalid, "files[0].id"},
		{"repeated id", "ds", []AudioItem{{ID: "a", Data: []byte("x")}, {ID: "a", Data: []byte("y")}}, engine.ErrInvalid, "files[1].id"},
		{"metadata not an object", "ds", []AudioItem{{ID: "a", Data: []byte("x"), Metadata: json.RawMessage(`[1]`)}}, engine.ErrInvalid, "files[0].metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.IngestAudio(ctx, tc.ds, tc.items)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *engine.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Fatalf("err = %v, want field %q", err, tc.field)
			}
		})
	}
}

func TestEncodePCM16WAV(t *testing.T) {
	b := encodePCM16WAV([]float32{0, 1, -1, 2, -2, 0.5}, 16000)
	if len(b) != 44+12 || string(b[0:4]) != "RIFF" || string(b[36:40]) != "data" {
		t.Fatalf("header %q", b[:44])
	}
	want := []int16{0, 32767, -32767, 32767, -32768, 16384}
	for i, w := range want {
		if got := int16(uint16(b[44+2*i]) | uint16(b[45+2*i])<<8); got != w {
			t.Fatalf("sample %d = %d, want %d", i, got, w)
		}
	}
}

// TestRegisteredAudioModel registers openWakeWord's melspectrogram graph as
// a user's audio model (waveform in, frames × 32 log-mel out) and ingests
// with it beside the built-in model.
func TestRegisteredAudioModel(t *testing.T) {
	opts := audioEnv(t)
	ctx := context.Background()
	e, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Close() }()
	f, _ := os.Open(filepath.Join(opts.AudioModelDir, audio.MelModelFile))
	m := extract.Manifest{Name: "logmel", Version: "1", Modality: extract.ModalityAudio, Input: "input", Layer: "output",
		Pool: "meanstd", InputScale: 32767}
	info, err := e.RegisterModel(ctx, m, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Dim != 64 || info.Modality != "audio" {
		t.Fatalf("registered %+v", info)
	}
	e.CreateDataset(ctx, "speech")
	items := []AudioItem{{ID: "yes", Data: spokenWAV(t, "yes", "en", 150)}, {ID: "no", Data: spokenWAV(t, "no", "en", 150)}}
	res, err := e.IngestAudioWith(ctx, "speech", AudioOptions{Model: "logmel"}, items)
	if err != nil || res.Upserted != 2 || res.Space != "logmel" || res.Dim != 64 {
		t.Fatalf("ingest with logmel: %+v %v", res, err)
	}
	if res, err = e.IngestAudio(ctx, "speech", items); err != nil || res.Space != AudioModel {
		t.Fatalf("built-in beside it: %+v %v", res, err)
	}
	if _, err := e.IngestImages(ctx, "speech", "logmel", []ImageItem{{ID: "x", Data: []byte{1}}}); !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("image ingest with an audio model: %v", err)
	}
	if _, err := e.IngestAudioWith(ctx, "speech", AudioOptions{Model: "nope"}, items); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("unknown audio model: %v", err)
	}
	var listed bool
	for _, mi := range e.Models(ctx) {
		listed = listed || mi.Name == AudioModel && mi.Modality == "audio" && mi.Dim == 192
	}
	if !listed {
		t.Fatalf("built-in audio model not listed: %+v", e.Models(ctx))
	}
	// The registration survives a restart.
	e.Close()
	if e, err = Open(ctx, opts); err != nil {
		t.Fatal(err)
	}
	items[0].ID, items[1].ID = "yes2", "no2"
	if res, err := e.IngestAudioWith(ctx, "speech", AudioOptions{Model: "logmel"}, items); err != nil || res.Upserted != 2 {
		t.Fatalf("after reopen: %+v %v", res, err)
	}
	mustCheck(t, e)
}
