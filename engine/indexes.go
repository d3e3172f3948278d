package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// batchAdder is implemented by backends that insert in parallel.
type batchAdder interface {
	AddBatch(ctx context.Context, ids []uint64, vecs [][]float32, workers int) error
}

var levels = [2]storage.Level{storage.LevelPoint, storage.LevelObject}

// indexConfig is a space's index configuration; backend is the default for
// spaces that name none.
func indexConfig(sp storage.Space, backend string) (index.Config, error) {
	metric, err := index.ParseMetric(sp.Metric)
	if err != nil {
		return index.Config{}, err
	}
	cfg := index.DefaultConfig(sp.Dim, metric)
	if sp.Index.Backend != "" {
		cfg.Backend = sp.Index.Backend
	} else {
		cfg.Backend = backend
	}
	if sp.Index.M > 0 {
		cfg.M = sp.Index.M
	}
	if sp.Index.EfConstruction > 0 {
		cfg.EfConstruction = sp.Index.EfConstruction
	}
	if sp.Index.EfSearch > 0 {
		cfg.EfSearch = sp.Index.EfSearch
	} else if cfg.Backend == index.BackendHNSW {
		// No ef set: the index tunes its default to reach recall@10 0.95
		// on its own vectors, re-tuned as it doubles.
		cfg.TargetRecall = 0.95
	}
	cfg.Quantization = sp.Index.Quantization
	return cfg, nil
}

func (s *embedded) snapshotPath(ds storage.Dataset, space string, l storage.Level) string {
	return filepath.Join(s.dataDir, "index", ds.UID, space+"."+l.String()+".idx")
}

func snapshotTag(ds storage.Dataset, space string, l storage.Level) string {
	return ds.UID + "/" + space + "/" + l.String()
}

// loadAll opens every dataset's indexes.
func (s *embedded) loadAll(ctx context.Context) error {
	list, err := s.db.Datasets()
	if err != nil {
		return err
	}
	for _, ds := range list {
		spaces, err := s.db.Spaces(ds.Name)
		if err != nil {
			return err
		}
		for _, sp := range spaces {
			si, err := s.openSpace(ctx, ds, sp)
			if err != nil {
				return fmt.Errorf("dataset %q space %q: %w", ds.Name, sp.Name, err)
			}
			s.spaces[spaceKey{ds.Name, sp.Name}] = si
		}
	}
	return nil
}

func (s *embedded) openSpace(ctx context.Context, ds storage.Dataset, sp storage.Space) (*spaceIndex, error) {
	cfg, err := indexConfig(sp, s.backend)
	if err != nil {
		return nil, err
	}
	si := &spaceIndex{ds: ds, info: sp, metric: cfg.Metric}
	for i, l := range levels {
		idx, snapSeq, err := s.loadLevel(ctx, ds, sp, cfg, l)
		if err != nil {
			return nil, err
		}
		si.snapSeq[i], si.vecSeq[i] = snapSeq, ds.VectorSeq(sp.Name, l)
		if l == storage.LevelPoint {
			si.points = idx
		} else {
			si.objects = idx
		}
	}
	return si, nil
}

// loadLevel loads a snapshot and replays the log after it, or rebuilds.
// It returns the index and the sequence its snapshot file holds.
func (s *embedded) loadLevel(ctx context.Context, ds storage.Dataset, sp storage.Space, cfg index.Config, l storage.Level) (index.Index, uint64, error) {
	path := s.snapshotPath(ds, sp.Name, l)
	log := s.log.With("dataset", ds.Name, "space", sp.Name, "level", l.String())
	start := time.Now()
	idx, hdr, err := index.ReadSnapshotFile(path)
	reason := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no snapshot"
	case err != nil:
		reason = "snapshot unusable: " + err.Error()
	case hdr.Tag != snapshotTag(ds, sp.Name, l):
		reason = fmt.Sprintf("snapshot belongs to %q", hdr.Tag)
	case idx.Dim() != cfg.Dim || idx.Metric() != cfg.Metric:
		reason = "snapshot has another dim or metric"
	case hdr.Seq > s.appliedSeq:
		// A snapshot from the future: storage was restored from an older
		// backup (or lost its tail). Storage wins.
		reason = fmt.Sprintf("snapshot holds sequence %d but storage ends at %d", hdr.Seq, s.appliedSeq)
	}
	if reason == "" && ds.VectorSeq(sp.Name, l) <= hdr.Seq {
		// Nothing changed this level since the snapshot: no replay, which
		// also needs no log (it may be trimmed past hdr.Seq, as other
		// levels were snapshotted later).
		log.Info("index loaded from snapshot", "vectors", idx.Len(), "replayed", 0, "took", time.Since(start).Round(time.Millisecond))
		return idx, hdr.Seq, nil
	}
	if reason == "" {
		n := 0
		err := s.db.Replay(ds.Name, sp.Name, l, hdr.Seq, func(_ uint64, c storage.Change) error {
			n++
			return applyChange(idx, c)
		})
		if err == nil {
			log.Info("index loaded from snapshot", "vectors", idx.Len(), "replayed", n, "took", time.Since(start).Round(time.Millisecond))
			return idx, hdr.Seq, nil
		}
		reason = "cannot replay change log: " + err.Error()
	}
	if reason != "no snapshot" {
		log.Warn("rebuilding index from storage", "reason", reason)
	}
	idx, err = s.rebuild(ctx, ds.Name, sp.Name, cfg, l)
	if err == nil && idx.Len() > 0 {
		log.Info("index rebuilt from storage", "vectors", idx.Len())
	}
	return idx, 0, err
}

// rebuild builds an index from every stored vector of a space and level.
func (s *embedded) rebuild(ctx context.Context, dataset, space string, cfg index.Config, l storage.Level) (index.Index, error) {
	idx, err := index.New(cfg)
	if err != nil {
		return nil, err
	}
	const chunk = 8192
	ids := make([]uint64, 0, chunk)
	vecs := make([][]float32, 0, chunk)
	flush := func() error {
		if err := s.addMany(ctx, idx, ids, vecs); err != nil {
			return err
		}
		ids, vecs = ids[:0], vecs[:0]
		return nil
	}
	err = s.db.ScanVectors(dataset, space, l, func(iid uint64, v []float32) error {
		ids = append(ids, iid)
		vecs = append(vecs, append([]float32(nil), v...))
		if len(ids) == chunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return idx, flush()
}

// addMany inserts vectors, in parallel when the backend can.
func (s *embedded) addMany(ctx context.Context, idx index.Index, ids []uint64, vecs [][]float32) error {
	if len(ids) == 0 {
		return nil
	}
	if ba, ok := idx.(batchAdder); ok && len(ids) > 1 {
		return ba.AddBatch(ctx, ids, vecs, s.workers())
	}
	for i := range ids {
		if err := idx.Add(ids[i], vecs[i]); err != nil {
			return err
		}
	}
	return nil
}

func applyChange(idx index.Index, c storage.Change) error {
	if c.Op == storage.OpDelete {
		idx.Delete(c.IID)
		return nil
	}
	if c.Vec == nil { // deleted later in the log
		return nil
	}
	return idx.Add(c.IID, c.Vec)
}

// applyLocked applies committed changes to the indexes. Runs under writeMu.
// Consecutive puts are batched so bulk writes use parallel insertion.
func (s *embedded) applyLocked(ctx context.Context, dataset string, seq uint64, changes []storage.Change) {
	type key struct {
		space string
		level storage.Level
	}
	type pending struct {
		sp   *spaceIndex
		ids  []uint64
		vecs [][]float32
	}
	puts := map[key]*pending{}
	for _, c := range changes {
		s.mu.RLock()
		sp := s.spaces[spaceKey{dataset, c.Space}]
		s.mu.RUnlock()
		if sp == nil {
			continue
		}
		k := key{c.Space, c.Level}
		sp.vecSeq[levelIndex(c.Level)] = seq
		if c.Op == storage.OpDelete {
			// A delete must not overtake a pending put of the same batch.
			if p := puts[k]; p != nil {
				s.flushPuts(ctx, sp, c.Level, p.ids, p.vecs)
				delete(puts, k)
			}
			sp.level(c.Level).Delete(c.IID)
			continue
		}
		p := puts[k]
		if p == nil {
			p = &pending{sp: sp}
			puts[k] = p
		}
		p.ids, p.vecs = append(p.ids, c.IID), append(p.vecs, c.Vec)
	}
	for k, p := range puts {
		s.flushPuts(ctx, p.sp, k.level, p.ids, p.vecs)
	}
	s.appliedSeq = seq
}

// flushPuts inserts committed vectors. The batch was validated, so an error
// here means the cache diverged from storage: the level is marked so that it
// is never snapshotted and its old snapshot is removed, and the next open
// rebuilds it from storage (Check reports it meanwhile).
func (s *embedded) flushPuts(ctx context.Context, sp *spaceIndex, l storage.Level, ids []uint64, vecs [][]float32) {
	err := s.addMany(context.WithoutCancel(ctx), sp.level(l), ids, vecs)
	if err == nil {
		return
	}
	s.log.Error("index insert failed after commit; the index will be rebuilt from storage on the next open",
		"dataset", sp.ds.Name, "space", sp.info.Name, "level", l.String(), "err", err)
	sp.diverged[levelIndex(l)] = true
	if rmErr := os.Remove(s.snapshotPath(sp.ds, sp.info.Name, l)); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		s.log.Error("cannot remove the diverged index's snapshot", "err", rmErr)
	}
}

func levelIndex(l storage.Level) int {
	if l == storage.LevelObject {
		return 1
	}
	return 0
}

// Snapshot writes every index whose contents changed since its last
// snapshot, then trims the change log. The engine holds writeMu.
func (s *embedded) Snapshot(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var errs []error
	for _, sp := range s.spaces {
		for i, l := range levels {
			// Only levels whose vectors changed since their snapshot:
			// a write to one dataset rewrites no other's snapshots.
			if sp.snapSeq[i] >= sp.vecSeq[i] || sp.diverged[i] || ctx.Err() != nil {
				continue
			}
			hdr := index.SnapshotHeader{Seq: s.appliedSeq, Tag: snapshotTag(sp.ds, sp.info.Name, l)}
			path := s.snapshotPath(sp.ds, sp.info.Name, l)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				errs = append(errs, err)
				continue
			}
			err := index.WriteSnapshotFile(path, sp.level(l), hdr)
			if errors.Is(err, index.ErrNotSerializable) {
				continue // rebuilt from storage on open
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("snapshot %s: %w", path, err))
				continue
			}
			sp.snapSeq[i] = s.appliedSeq
		}
	}
	if len(errs) == 0 && ctx.Err() == nil {
		// Every serialisable index now holds appliedSeq; the others rebuild
		// from vectors, which needs no log.
		errs = append(errs, s.db.TrimLog(s.appliedSeq))
	}
	return errors.Join(errs...)
}
