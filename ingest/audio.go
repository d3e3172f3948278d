package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/extract/audio"
	"github.com/reef-ml/reef/storage"
)

// The built-in audio model: openWakeWord's melspectrogram + speech
// embedding (extract/audio), clip vector = L2-normalised [mean ‖ std] of
// the 96-d window embeddings. Its space is named after it; the version
// records the pooling recipe, so a future recipe cannot mix with it.
const (
	AudioModel        = "openwakeword-speech"
	AudioModelVersion = "oww-0.1.1+meanstd"
	// audioPlaybackSeconds bounds the playable copy kept for the view.
	audioPlaybackSeconds = 30
)

// AudioItem is one audio file to ingest.
type AudioItem struct {
	ID       string
	Data     []byte
	URI      string
	Metadata json.RawMessage
}

// clipEmbedder embeds mono clips at its sample rate: the built-in
// audio.Embedder or a user's audio.ModelEmbedder.
type clipEmbedder interface {
	EmbedClip(ctx context.Context, samples []float32) ([]float32, error)
	Dim() int
	Close()
}

// audioModel is a loaded audio model; guarded by modelSet.mu.
type audioModel struct {
	emb      clipEmbedder
	rate     int
	manifest extract.Manifest // name and version for the space's provenance
}

// audioEmbedder returns a loaded audio model: "" or AudioModel is the
// built-in one, anything else a registered model with modality "audio".
func (e *Ingester) audioEmbedder(ctx context.Context, name string) (*audioModel, error) {
	if name == "" {
		name = AudioModel
	}
	e.models.mu.Lock()
	defer e.models.mu.Unlock()
	if am := e.models.audio[name]; am != nil {
		return am, nil
	}
	var def *registeredDef
	if name != AudioModel {
		if def = e.models.known[name]; def == nil {
			return nil, engine.FieldErr(engine.ErrNotFound, "model", "model %q is not known (GET /v1/models lists them)", name)
		}
		if !def.manifest.IsAudio() {
			return nil, engine.FieldErr(engine.ErrInvalid, "model", "model %q is an image model: send images to /images", name)
		}
	}
	if err := e.runtimeLocked(); err != nil {
		return nil, err
	}
	am := &audioModel{rate: audio.SampleRate, manifest: extract.Manifest{Name: AudioModel, Version: AudioModelVersion}}
	if def == nil {
		emb, err := audio.NewEmbedder(e.models.rt, e.opts.AudioModelDir, audio.Options{IntraOpThreads: 1})
		if err != nil {
			return nil, fmt.Errorf("%w: the built-in audio model is not available (run `make setup`, or pass --audio-models): %v", engine.ErrUnavailable, err)
		}
		am.emb = emb
	} else {
		m := def.manifest
		emb, err := audio.NewModelEmbedder(ctx, e.models.rt, &m, def.dir, 1)
		if err != nil {
			return nil, fmt.Errorf("loading model %q: %w", name, err)
		}
		am.emb, am.rate, am.manifest = emb, emb.SampleRate(), m
	}
	if e.models.audio == nil {
		e.models.audio = map[string]*audioModel{}
	}
	e.models.audio[name] = am
	e.log.Info("audio model loaded", "model", name, "dim", am.emb.Dim(), "sample_rate", am.rate)
	return am, nil
}

// AudioOptions tune one audio ingest.
type AudioOptions struct {
	Model string // "" means the built-in audio model
}

// IngestAudio decodes audio files (WAV, FLAC, MP3), embeds them with the
// built-in audio model and stores them as points of the space named after
// it (created on first use); IngestAudioWith picks another audio model. A
// bad file is reported in Failed and never stops the batch; the good ones
// are written in one transaction. Each point also keeps a playable copy
// (16 kHz mono, first 30 s) for the view, and its metadata gains
// duration_s, sample_rate, channels and format unless the caller set them.
func (e *Ingester) IngestAudio(ctx context.Context, dataset string, items []AudioItem) (IngestResult, error) {
	return e.IngestAudioWith(ctx, dataset, AudioOptions{}, items)
}

// IngestAudioWith is IngestAudio with options.
func (e *Ingester) IngestAudioWith(ctx context.Context, dataset string, opts AudioOptions, items []AudioItem) (IngestResult, error) {
	if len(items) == 0 {
		return IngestResult{}, engine.FieldErr(engine.ErrInvalid, "files", "no audio files given")
	}
	if len(items) > e.eng.Limits().MaxBatch {
		return IngestResult{}, engine.FieldErr(engine.ErrTooLarge, "files", "%d files, limit %d per request", len(items), e.eng.Limits().MaxBatch)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		field := fmt.Sprintf("files[%d].id", i)
		if err := e.eng.CheckID(field, it.ID); err != nil {
			return IngestResult{}, err
		}
		if seen[it.ID] {
			return IngestResult{}, engine.FieldErr(engine.ErrInvalid, field, "%q repeats another file id", it.ID)
		}
		seen[it.ID] = true
		if err := e.eng.ValidatePoint(dataset, fmt.Sprintf("files[%d]", i), engine.PointInput{ID: it.ID, URI: it.URI, Metadata: it.Metadata}); err != nil {
			return IngestResult{}, err
		}
	}
	if err := e.eng.CheckDataset(dataset); err != nil {
		return IngestResult{}, err
	}
	am, err := e.audioEmbedder(ctx, opts.Model)
	if err != nil {
		return IngestResult{}, err
	}
	space, err := e.ensureModelSpace(ctx, dataset, am.manifest, "", am.emb.Dim())
	if err != nil {
		return IngestResult{}, err
	}
	clips := e.embedAudio(ctx, am, items)
	if err := ctx.Err(); err != nil {
		return IngestResult{}, err
	}
	res := IngestResult{Space: space, Dim: am.emb.Dim(), Failed: []IngestError{}}
	var points []engine.PointInput
	var ids []string
	var playable [][]byte
	for i, c := range clips {
		it := items[i]
		if c.err != nil {
			res.Failed = append(res.Failed, IngestError{ID: it.ID, Error: c.err.Error()})
			continue
		}
		md, err := withAudioMetadata(it.Metadata, c)
		if err != nil {
			res.Failed = append(res.Failed, IngestError{ID: it.ID, Error: err.Error()})
			continue
		}
		points = append(points, engine.PointInput{ID: it.ID, URI: it.URI, Metadata: md, Vectors: map[string][]float32{space: c.vec}})
		ids, playable = append(ids, it.ID), append(playable, c.wav)
	}
	if len(points) == 0 {
		return res, nil
	}
	// Merge: vectors of other models' spaces on these points are kept.
	wr, err := e.eng.UpsertMode(ctx, dataset, points, engine.ModeMerge)
	if err != nil {
		return res, err
	}
	res.Upserted, res.Seq = wr.Upserted, wr.Seq
	// The playable copy is view data, stored after the points commit (as
	// thumbnails are): losing it in a crash loses no acknowledged vector.
	if err := e.eng.DB().PutBlobs(storage.BlobAudio, dataset, ids, playable); err != nil {
		e.log.Warn("playable audio not stored", "dataset", dataset, "files", len(ids), "err", err)
	}
	return res, nil
}

// embeddedClip is one decoded and embedded file.
type embeddedClip struct {
	vec      []float32
	wav      []byte // playable copy
	duration float64
	rate     int
	channels int
	format   string
	err      error
}

// embedAudio decodes and embeds items on a pool of one worker per core;
// each worker runs single-threaded ORT sessions, which beats one
// multi-threaded run for these short inputs.
func (e *Ingester) embedAudio(ctx context.Context, am *audioModel, items []AudioItem) []embeddedClip {
	out := make([]embeddedClip, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = embedOneClip(ctx, am, items[i].Data)
			}
		}()
	}
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return out
}

func embedOneClip(ctx context.Context, am *audioModel, data []byte) embeddedClip {
	c := embeddedClip{format: audio.Format(data)}
	clip, err := audio.DecodeClip(data, audio.DefaultLimits())
	if err != nil {
		c.err = err
		return c
	}
	c.rate, c.channels, c.duration = clip.SampleRate, clip.Channels, clip.Duration().Seconds()
	// The playable copy is always 16 kHz; the model gets its own rate.
	play := audio.Resample(clip.Samples, clip.SampleRate, audio.SampleRate)
	samples := play
	if am.rate != audio.SampleRate {
		samples = audio.Resample(clip.Samples, clip.SampleRate, am.rate)
	}
	if c.vec, c.err = am.emb.EmbedClip(ctx, samples); c.err != nil {
		return c
	}
	c.wav = encodePCM16WAV(play[:min(len(play), audioPlaybackSeconds*audio.SampleRate)], audio.SampleRate)
	return c
}

// withAudioMetadata adds what the decoder learnt to the caller's metadata
// without overriding any field the caller set.
func withAudioMetadata(md json.RawMessage, c embeddedClip) (json.RawMessage, error) {
	m := map[string]any{}
	if len(md) > 0 {
		if err := json.Unmarshal(md, &m); err != nil {
			return nil, fmt.Errorf("%w: metadata: %v", engine.ErrInvalid, err)
		}
	}
	add := func(k string, v any) {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	add("duration_s", float64(int(c.duration*1000+0.5))/1000)
	add("sample_rate", c.rate)
	add("channels", c.channels)
	add("format", c.format)
	return json.Marshal(m)
}

// Audio returns a point's playable audio (a 16-bit PCM WAV file).
func (e *Ingester) Audio(ctx context.Context, dataset, id string) ([]byte, error) {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return nil, err
	}
	b, err := e.eng.DB().Blob(storage.BlobAudio, dataset, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: point %q has no audio", engine.ErrNotFound, id)
	}
	return b, err
}

// HasAudio reports whether a point has playable audio.
func (e *Ingester) HasAudio(ctx context.Context, dataset, id string) bool {
	has, err := e.eng.DB().HasBlobs(storage.BlobAudio, dataset, []string{id})
	return err == nil && has[0]
}
