package ingest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reef-ml/reef/extract/audio"
)

// BenchmarkAudioIngestVsBareORT compares end-to-end audio ingest (WAV
// decode, resample 22.05 → 16 kHz, mel + embedding models, pooling, one
// bbolt transaction, index insert, playable copy) with the audio models run
// bare on the same clips already decoded and resampled: the best of one
// embedder using all cores sequentially and one single-threaded embedder
// per core. Clips are espeak-ng sentences of about 2–3 s.
func BenchmarkAudioIngestVsBareORT(b *testing.B) {
	opts := audioEnv(b)
	ctx := context.Background()
	e, err := Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	sentences := []string{"the quick brown fox jumps over the lazy dog", "seven bananas on a yellow table",
		"please turn the lights off in the kitchen", "what is the weather like tomorrow morning"}
	voices := []string{"en", "en-us", "en+f3", "en-gb-x-rp"}
	var items []AudioItem
	var samples [][]float32
	var seconds float64
	for i, s := range sentences {
		for j, v := range voices {
			data := spokenWAV(b, s, v, 150)
			clip, err := audio.DecodeClip(data, audio.DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			seconds += clip.Duration().Seconds()
			items = append(items, AudioItem{ID: fmt.Sprintf("s%d-%d", i, j), Data: data})
			samples = append(samples, audio.Resample(clip.Samples, clip.SampleRate, audio.SampleRate))
		}
	}
	if _, err := e.audioEmbedder(ctx, ""); err != nil {
		b.Fatal(err)
	}
	rt := e.models.rt
	multi, err := audio.NewEmbedder(rt, opts.AudioModelDir, audio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer multi.Close()
	single, err := audio.NewEmbedder(rt, opts.AudioModelDir, audio.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer single.Close()
	bareSeq := func() time.Duration {
		start := time.Now()
		for _, s := range samples {
			if _, err := multi.EmbedClip(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	barePar := func() time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		next := make(chan []float32)
		for range 2 {
			wg.Go(func() {
				for s := range next {
					if _, err := single.EmbedClip(ctx, s); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, s := range samples {
			next <- s
		}
		close(next)
		wg.Wait()
		return time.Since(start)
	}
	round := 0
	reef := func() time.Duration {
		ds := fmt.Sprintf("bench-audio-%d", round)
		round++
		if _, err := e.CreateDataset(ctx, ds); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := e.IngestAudio(ctx, ds, items)
		took := time.Since(start)
		if err != nil || res.Upserted != len(items) {
			b.Fatalf("ingest: %v %+v", err, res)
		}
		e.DeleteDataset(ctx, ds)
		return took
	}
	var tReef, tSeq, tPar time.Duration
	n := 0
	for b.Loop() { // alternate, so load changes hit all three alike
		tReef += reef()
		tSeq += bareSeq()
		tPar += barePar()
		n++
	}
	clips := float64(len(items) * n)
	bare := min(tSeq, tPar)
	b.ReportMetric(clips/tReef.Seconds(), "reef-clips/s")
	b.ReportMetric(clips/tSeq.Seconds(), "bare-1x2thr-clips/s")
	b.ReportMetric(clips/tPar.Seconds(), "bare-2x1thr-clips/s")
	b.ReportMetric(bare.Seconds()/tReef.Seconds(), "ratio")
	b.ReportMetric(seconds/float64(len(items)), "s/clip")
}
