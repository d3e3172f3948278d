package weaviatestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
	"github.com/reef-ml/reef/weaviate"
)

// Options configure a Store.
type Options struct {
	// Shards and Replicas of each dataset's collection (replication factor
	// 3 makes QUORUM two acknowledgements).
	Shards, Replicas int
	Logger           *slog.Logger
}

// DefaultOptions are 3 shards, replication factor 3.
func DefaultOptions() Options { return Options{Shards: 3, Replicas: 3, Logger: slog.Default()} }

// Store is an engine.Store on a Weaviate cluster. It does not own the
// client: Close leaves it open.
type Store struct {
	c    *weaviate.Client
	opts Options
	// mu serialises catalog read-modify-writes of this node.
	mu sync.Mutex
}

var _ engine.Store = (*Store)(nil)

const (
	catalog     = "ReefCatalog"
	propIID     = "reef_iid"
	propURI     = "reef_uri"
	propMeta    = "reef_meta"
	metaPrefix  = "m_"
	catUID      = "uid"
	catCreated  = "created"
	catSpaces   = "spaces"
	catSeq      = "seq"
	catVecSeq   = "vec_seq"
	pointsLevel = "point"
)

// Open makes the catalog collection if it does not exist.
func Open(ctx context.Context, c *weaviate.Client, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Shards <= 0 || o.Replicas <= 0 {
		return nil, fmt.Errorf("%w: shards and replicas must be positive", storage.ErrInvalid)
	}
	err := c.EnsureCollection(ctx, weaviate.CollectionSpec{Name: catalog,
		Vectors:    []weaviate.VectorSpec{{Name: "none", Dim: 1, Metric: "l2"}},
		Properties: []weaviate.PropertySpec{{Name: catUID, Type: "text"}, {Name: catCreated, Type: "text"}, {Name: catSpaces, Type: "text"}, {Name: catSeq, Type: "int"}, {Name: catVecSeq, Type: "text"}},
		Shards:     1, Replicas: o.Replicas})
	if err != nil {
		return nil, fmt.Errorf("weaviate store: catalog: %w", err)
	}
	return &Store{c: c, opts: o}, nil
}

// Close is a no-op: the caller owns the client.
func (s *Store) Close() error { return nil }

// Snapshot has nothing to persist: the cluster is durable.
func (s *Store) Snapshot(context.Context) error { return nil }

// Check asks nothing of the cluster yet beyond counts.
func (s *Store) Check(ctx context.Context) (engine.CheckReport, error) {
	list, err := s.Datasets(ctx)
	return engine.CheckReport{Datasets: len(list)}, err
}

// record is a dataset's catalog entry.
type record struct {
	ds     storage.Dataset
	spaces []storage.Space
}

func (s *Store) readRecord(ctx context.Context, name string) (record, error) {
	// A replicated read by id: a search could miss a fresh record.
	o, err := s.c.Get(ctx, catalog, name)
	if errors.Is(err, weaviate.ErrNotFound) {
		return record{}, fmt.Errorf("%w: dataset %q", storage.ErrNotFound, name)
	}
	if err != nil {
		return record{}, mapErr(err)
	}
	return decodeRecord(o)
}

func decodeRecord(o weaviate.Object) (record, error) {
	r := record{ds: storage.Dataset{Name: o.ID, VecSeq: map[string]uint64{}}}
	r.ds.UID, _ = o.Properties[catUID].(string)
	if t, ok := o.Properties[catCreated].(string); ok {
		r.ds.Created, _ = time.Parse(time.RFC3339Nano, t)
	}
	switch v := o.Properties[catSeq].(type) {
	case int64:
		r.ds.Seq = uint64(v)
	case float64:
		r.ds.Seq = uint64(v)
	}
	if sp, ok := o.Properties[catSpaces].(string); ok && sp != "" {
		if err := json.Unmarshal([]byte(sp), &r.spaces); err != nil {
			return record{}, fmt.Errorf("%w: catalog spaces of %q: %v", storage.ErrCorrupt, o.ID, err)
		}
	}
	if vs, ok := o.Properties[catVecSeq].(string); ok && vs != "" {
		if err := json.Unmarshal([]byte(vs), &r.ds.VecSeq); err != nil {
			return record{}, fmt.Errorf("%w: catalog vec_seq of %q: %v", storage.ErrCorrupt, o.ID, err)
		}
	}
	return r, nil
}

func (s *Store) writeRecord(ctx context.Context, r record) error {
	sp, _ := json.Marshal(r.spaces)
	vs, _ := json.Marshal(r.ds.VecSeq)
	obj := weaviate.Object{ID: r.ds.Name, Properties: map[string]any{catUID: r.ds.UID,
		catCreated: r.ds.Created.Format(time.RFC3339Nano), catSpaces: string(sp), catSeq: int(r.ds.Seq), catVecSeq: string(vs)}}
	res, err := s.c.Upsert(ctx, catalog, []weaviate.Object{obj})
	return resultsErr(res, err)
}

// bump advances a dataset's sequence (and the vector sequence of the
// given space levels) before a write, so that no cache keyed by the old
// sequence can describe the data after it.
func (s *Store) bump(ctx context.Context, dataset string, vecSpaces []string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return 0, err
	}
	r.ds.Seq++
	for _, sp := range vecSpaces {
		r.ds.VecSeq[sp+"/"+storage.LevelPoint.String()] = r.ds.Seq
	}
	return r.ds.Seq, s.writeRecord(ctx, r)
}

func (s *Store) Datasets(ctx context.Context) ([]storage.Dataset, error) {
	var out []storage.Dataset
	err := s.c.Scan(ctx, catalog, weaviate.ScanOptions{Vectors: []string{}}, func(o weaviate.Object) error {
		r, err := decodeRecord(o)
		if err != nil {
			return err
		}
		out = append(out, r.ds)
		return nil
	})
	return out, mapErr(err)
}

func (s *Store) Dataset(ctx context.Context, name string) (storage.Dataset, error) {
	r, err := s.readRecord(ctx, name)
	if err != nil {
		return storage.Dataset{}, err
	}
	if len(r.spaces) > 0 {
		n, err := s.c.Count(ctx, collection(name), nil)
		if err != nil {
			return storage.Dataset{}, mapErr(err)
		}
		r.ds.Points = int(n)
	}
	return r.ds, nil
}

func (s *Store) CreateDataset(ctx context.Context, name string) (storage.Dataset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.readRecord(ctx, name); err == nil {
		return storage.Dataset{}, fmt.Errorf("%w: dataset %q", storage.ErrExists, name)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.Dataset{}, err
	}
	uid := make([]byte, 16)
	_, _ = rand.Read(uid)
	r := record{ds: storage.Dataset{Name: name, UID: hex.EncodeToString(uid), Created: time.Now().UTC(), Seq: 1, VecSeq: map[string]uint64{}}}
	return r.ds, s.writeRecord(ctx, r)
}

func (s *Store) DeleteDataset(ctx context.Context, ds storage.Dataset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.readRecord(ctx, ds.Name)
	if err != nil {
		return err
	}
	if len(r.spaces) > 0 {
		if err := s.c.DropCollection(ctx, collection(ds.Name)); err != nil && !errors.Is(err, weaviate.ErrNotFound) {
			return mapErr(err)
		}
	}
	_, err = s.c.Delete(ctx, catalog, []string{ds.Name})
	return mapErr(err)
}

func (s *Store) Spaces(ctx context.Context, dataset string) ([]storage.Space, error) {
	r, err := s.readRecord(ctx, dataset)
	return r.spaces, err
}

// CreateSpace makes the dataset's collection with the space as its named
// vector; a second space is refused (see the package caveats).
func (s *Store) CreateSpace(ctx context.Context, ds storage.Dataset, sp storage.Space) (storage.Space, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.readRecord(ctx, ds.Name)
	if err != nil {
		return storage.Space{}, err
	}
	for _, x := range r.spaces {
		if x.Name == sp.Name {
			return storage.Space{}, fmt.Errorf("%w: space %q", storage.ErrExists, sp.Name)
		}
	}
	if len(r.spaces) > 0 {
		return storage.Space{}, fmt.Errorf("%w: the weaviate store holds one space per dataset (%q has %q)", storage.ErrInvalid, ds.Name, r.spaces[0].Name)
	}
	err = s.c.EnsureCollection(ctx, weaviate.CollectionSpec{Name: collection(ds.Name),
		Vectors: []weaviate.VectorSpec{{Name: vectorName(sp.Name), Dim: sp.Dim, Metric: sp.Metric,
			M: sp.Index.M, EfConstruction: sp.Index.EfConstruction, Ef: sp.Index.EfSearch}},
		Properties: []weaviate.PropertySpec{{Name: propIID, Type: "text"}, {Name: propURI, Type: "text"}, {Name: propMeta, Type: "text"}},
		Shards:     s.opts.Shards, Replicas: s.opts.Replicas,
		Meta: map[string]string{"reef_dataset": ds.Name, "reef_uid": ds.UID}})
	if err != nil {
		return storage.Space{}, mapErr(err)
	}
	r.ds.Seq++
	sp.Created, sp.Seq = time.Now().UTC(), r.ds.Seq
	r.spaces = append(r.spaces, sp)
	return sp, s.writeRecord(ctx, r)
}

// UpdateSpace records new settings; ef_search is the collection's ef
// (Weaviate has no per-query ef).
func (s *Store) UpdateSpace(ctx context.Context, dataset string, sp storage.Space) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return err
	}
	for i := range r.spaces {
		if r.spaces[i].Name == sp.Name {
			if sp.Index.EfSearch > 0 {
				if err := s.c.SetEf(ctx, collection(dataset), vectorName(sp.Name), sp.Index.EfSearch); err != nil {
					return mapErr(err)
				}
			}
			r.spaces[i] = sp
			return s.writeRecord(ctx, r)
		}
	}
	return fmt.Errorf("%w: space %q", storage.ErrNotFound, sp.Name)
}

func (s *Store) space(ctx context.Context, dataset, space string) (storage.Space, error) {
	r, err := s.readRecord(ctx, dataset)
	if err != nil {
		return storage.Space{}, err
	}
	for _, sp := range r.spaces {
		if sp.Name == space {
			return sp, nil
		}
	}
	return storage.Space{}, fmt.Errorf("%w: space %q of dataset %q", storage.ErrNotFound, space, dataset)
}

func collection(dataset string) string { return weaviate.CollectionName(dataset, pointsLevel) }

var unsafeName = regexp.MustCompile(`[^0-9A-Za-z_]`)

// vectorName is a space's named vector: reef space names may hold . and -.
func vectorName(space string) string { return "v_" + unsafeName.ReplaceAllString(space, "_") }

// metaProperty is the filterable property of a top-level metadata key, or
// "" for a key that cannot be one.
func metaProperty(key string) string {
	if key == "" || unsafeName.MatchString(key) {
		return ""
	}
	return metaPrefix + key
}

// iidOf derives a point's IID from its id (FNV-1a, 62 bits, never 0), so
// every reef node agrees on it without asking the cluster. It is stored as
// text: Weaviate's gRPC carries numbers as float64, which would round it.
func iidOf(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()&(1<<62-1) | 1<<62
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, weaviate.ErrNotFound):
		return fmt.Errorf("%w: %v", storage.ErrNotFound, err)
	case errors.Is(err, weaviate.ErrInvalid), errors.Is(err, weaviate.ErrRejected):
		return fmt.Errorf("%w: %v", storage.ErrInvalid, err)
	}
	return err
}

// resultsErr is nil only when every object was acknowledged; otherwise it
// names the objects that were not.
func resultsErr(res []weaviate.Result, err error) error {
	var bad []string
	var first error
	for _, r := range res {
		if r.Err != nil {
			bad = append(bad, r.ID)
			if first == nil {
				first = r.Err
			}
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("… %d more", len(bad)-10))
		}
		return mapErr(fmt.Errorf("points not acknowledged (%s): %w", strings.Join(bad, ", "), first))
	}
	return mapErr(err)
}
