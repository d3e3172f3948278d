package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/reef-ml/reef/index"
	"github.com/reef-ml/reef/storage"
)

// Names of datasets and spaces become file names, so they are restricted.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func checkName(field, name string) error {
	if !nameRE.MatchString(name) {
		return fieldErr(ErrInvalid, field, "%q is not a valid name (1–64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)", name)
	}
	return nil
}

// DatasetInfo is a dataset with its spaces and counts.
type DatasetInfo struct {
	Name    string      `json:"name"`
	UID     string      `json:"uid"`
	Points  int         `json:"points"`
	Objects int         `json:"objects"`
	Seq     uint64      `json:"seq"`
	Spaces  []SpaceInfo `json:"spaces"`
}

// SpaceInfo describes a space and its index.
type SpaceInfo struct {
	Name          string    `json:"name"`
	Dim           int       `json:"dim"`
	Metric        string    `json:"metric"`
	Provenance    string    `json:"provenance"`
	ModelVersion  string    `json:"model_version,omitempty"`
	Index         IndexSpec `json:"index"`
	PointVectors  int       `json:"point_vectors"`
	ObjectVectors int       `json:"object_vectors"`
}

// IndexSpec are a space's index settings; zero fields take defaults.
type IndexSpec struct {
	Backend        string `json:"backend,omitempty"`
	M              int    `json:"m,omitempty"`
	EfConstruction int    `json:"ef_construction,omitempty"`
	EfSearch       int    `json:"ef_search,omitempty"`
	// Quantization of the HNSW graph walk: "none" (default) or "sq8"
	// (8-bit codes in the walk, exact re-rank on full vectors).
	Quantization string `json:"quantization,omitempty"`
	// DefaultEf (read only) is the ef a search without one uses: the
	// space's ef_search when set, else the one the index tuned itself to
	// reach recall@10 0.95 on its own vectors.
	DefaultEf int `json:"default_ef,omitempty"`
}

// SpaceSpec asks for a new space.
type SpaceSpec struct {
	Name         string    `json:"name"`
	Dim          int       `json:"dim"`
	Metric       string    `json:"metric"`
	Index        IndexSpec `json:"index"`
	Provenance   string    `json:"provenance,omitempty"`
	ModelVersion string    `json:"model_version,omitempty"`
}

// CreateDataset creates an empty dataset.
func (e *Engine) CreateDataset(ctx context.Context, name string) (DatasetInfo, error) {
	if err := checkName("name", name); err != nil {
		return DatasetInfo{}, err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	ds, err := e.store.CreateDataset(ctx, name)
	if err != nil {
		return DatasetInfo{}, fromStorage(err)
	}
	e.mu.Lock()
	e.datasets[name] = &datasetState{info: ds, spaces: make(map[string]*spaceState)}
	e.mu.Unlock()
	return e.Dataset(ctx, name)
}

// Datasets lists every dataset with counts.
func (e *Engine) Datasets(ctx context.Context) ([]DatasetInfo, error) {
	e.mu.RLock()
	names := make([]string, 0, len(e.datasets))
	for n := range e.datasets {
		names = append(names, n)
	}
	e.mu.RUnlock()
	sort.Strings(names)
	out := make([]DatasetInfo, 0, len(names))
	for _, n := range names {
		d, err := e.Dataset(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Dataset describes one dataset.
func (e *Engine) Dataset(ctx context.Context, name string) (DatasetInfo, error) {
	st, err := e.dataset(name)
	if err != nil {
		return DatasetInfo{}, err
	}
	info, err := e.store.Dataset(ctx, name)
	if err != nil {
		return DatasetInfo{}, fromStorage(err)
	}
	d := DatasetInfo{Name: info.Name, UID: info.UID, Points: info.Points, Objects: info.Objects, Seq: info.Seq, Spaces: []SpaceInfo{}}
	e.mu.RLock()
	spaces := make([]storage.Space, 0, len(st.spaces))
	for _, sp := range st.spaces {
		spaces = append(spaces, sp.info)
	}
	e.mu.RUnlock()
	for _, sp := range spaces {
		si, err := e.spaceInfo(name, sp)
		if err != nil {
			return DatasetInfo{}, err
		}
		d.Spaces = append(d.Spaces, si)
	}
	sort.Slice(d.Spaces, func(i, j int) bool { return d.Spaces[i].Name < d.Spaces[j].Name })
	return d, nil
}

// spaceInfo describes a space with its vector counts, from the store's
// indexes.
func (e *Engine) spaceInfo(dataset string, sp storage.Space) (SpaceInfo, error) {
	var idx [2]index.Index
	for i, l := range levels {
		var err error
		if idx[i], err = e.store.Index(dataset, sp.Name, l); err != nil {
			return SpaceInfo{}, fromStorage(err)
		}
	}
	return SpaceInfo{Name: sp.Name, Dim: sp.Dim, Metric: sp.Metric, Provenance: sp.Provenance,
		ModelVersion: sp.ModelVersion,
		Index: IndexSpec{Backend: sp.Index.Backend, M: sp.Index.M, EfConstruction: sp.Index.EfConstruction,
			EfSearch: sp.Index.EfSearch, Quantization: sp.Index.Quantization, DefaultEf: defaultEf(sp, idx[0])},
		PointVectors: idx[0].Len(), ObjectVectors: idx[1].Len()}, nil
}

// defaultEf is the ef a search without one uses.
func defaultEf(sp storage.Space, points index.Index) int {
	if sp.Index.EfSearch > 0 {
		return sp.Index.EfSearch
	}
	if d, ok := points.(interface{ DefaultEf() int }); ok {
		return d.DefaultEf()
	}
	return 0
}

// DeleteDataset removes a dataset, its indexes and their snapshots.
func (e *Engine) DeleteDataset(ctx context.Context, name string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	st, err := e.dataset(name)
	if err != nil {
		return err
	}
	if err := e.store.DeleteDataset(ctx, st.info); err != nil {
		return fromStorage(err)
	}
	e.mu.Lock()
	delete(e.datasets, name)
	e.mu.Unlock()
	for _, cache := range derivedDirs {
		if err := os.RemoveAll(filepath.Join(e.opts.DataDir, cache, st.info.UID)); err != nil {
			e.log.Warn("cannot remove derived files of a deleted dataset", "dataset", name, "dir", cache, "err", err)
		}
	}
	return nil
}

// CreateSpace adds an embedding space to a dataset.
func (e *Engine) CreateSpace(ctx context.Context, dataset string, spec SpaceSpec) (SpaceInfo, error) {
	if err := e.validateSpace(&spec); err != nil {
		return SpaceInfo{}, err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	st, err := e.dataset(dataset)
	if err != nil {
		return SpaceInfo{}, err
	}
	sp, err := e.store.CreateSpace(ctx, st.info, storage.Space{Name: spec.Name, Dim: spec.Dim, Metric: spec.Metric,
		Provenance: spec.Provenance, ModelVersion: spec.ModelVersion,
		Index: storage.IndexParams{Backend: spec.Index.Backend, M: spec.Index.M, EfConstruction: spec.Index.EfConstruction, EfSearch: spec.Index.EfSearch,
			Quantization: spec.Index.Quantization}})
	if err != nil {
		return SpaceInfo{}, fromStorage(err)
	}
	m, err := index.ParseMetric(sp.Metric)
	if err != nil {
		return SpaceInfo{}, fieldErr(ErrInvalid, "metric", "%v", err)
	}
	e.mu.Lock()
	st.spaces[sp.Name] = &spaceState{info: sp, metric: m}
	e.mu.Unlock()
	return e.spaceInfo(dataset, sp)
}

func (e *Engine) validateSpace(spec *SpaceSpec) error {
	var errs []error
	if err := checkName("name", spec.Name); err != nil {
		errs = append(errs, err)
	}
	if spec.Dim <= 0 || spec.Dim > e.opts.Limits.MaxDim {
		errs = append(errs, fieldErr(ErrInvalid, "dim", "must be between 1 and %d, got %d", e.opts.Limits.MaxDim, spec.Dim))
	}
	if spec.Metric == "" {
		spec.Metric = "cosine"
	}
	if _, err := index.ParseMetric(spec.Metric); err != nil {
		errs = append(errs, fieldErr(ErrInvalid, "metric", "must be cosine, l2 or dot, got %q", spec.Metric))
	}
	if spec.Provenance == "" {
		spec.Provenance = "user"
	}
	// Let the index validate its own settings, and report them as fields.
	if len(errs) == 0 {
		cfg, err := indexConfig(storage.Space{Dim: spec.Dim, Metric: spec.Metric, Index: storage.IndexParams{
			Backend: spec.Index.Backend, M: spec.Index.M, EfConstruction: spec.Index.EfConstruction, EfSearch: spec.Index.EfSearch,
			Quantization: spec.Index.Quantization}}, e.opts.IndexBackend)
		if err != nil {
			return fieldErr(ErrInvalid, "metric", "%v", err)
		}
		if spec.Index.EfSearch < 0 || spec.Index.EfSearch > e.opts.Limits.MaxEf {
			errs = append(errs, fieldErr(ErrInvalid, "index.ef_search", "must be between 1 and %d", e.opts.Limits.MaxEf))
		}
		if err := cfg.Validate(); err != nil {
			field := "index"
			if spec.Index.Quantization != "" && strings.Contains(err.Error(), "quantization") {
				field = "index.quantization"
			}
			errs = append(errs, fieldErr(ErrInvalid, field, "%v", err))
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	if len(errs) > 1 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}
