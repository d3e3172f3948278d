package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// collection is what the client knows of a collection's schema. A value
// is never changed once cached: a new property replaces it.
type collection struct {
	name    string
	dims    map[string]int    // by vector name
	metrics map[string]string // by vector name, reef's names
	props   map[string]string // by property name: type
	meta    map[string]string
}

func (k *collection) vectorNames() []string { return slices.Sorted(maps.Keys(k.dims)) }

// describe is what the class description holds: what Weaviate's schema
// has no field for.
type describe struct {
	Reef int               `json:"reef"`
	Dims map[string]int    `json:"dims"`
	Meta map[string]string `json:"meta,omitempty"`
}

// classJSON is the part of Weaviate's class schema this package reads.
type classJSON struct {
	Class        string `json:"class"`
	Description  string `json:"description"`
	VectorConfig map[string]struct {
		VectorIndexConfig struct {
			Distance string `json:"distance"`
			Ef       int    `json:"ef"`
		} `json:"vectorIndexConfig"`
	} `json:"vectorConfig"`
	Properties []struct {
		Name     string   `json:"name"`
		DataType []string `json:"dataType"`
	} `json:"properties"`
}

func (cj classJSON) collection() (*collection, error) {
	var d describe
	if err := json.Unmarshal([]byte(cj.Description), &d); err != nil || d.Reef != 1 {
		return nil, fmt.Errorf("%w: %s was not made by reef (description %q)", ErrConflict, cj.Class, cj.Description)
	}
	k := &collection{name: cj.Class, dims: d.Dims, metrics: map[string]string{}, props: map[string]string{}, meta: d.Meta}
	for name, vc := range cj.VectorConfig {
		for reef, w := range metrics {
			if w == vc.VectorIndexConfig.Distance {
				k.metrics[name] = reef
			}
		}
	}
	for _, p := range cj.Properties {
		if len(p.DataType) == 1 {
			k.props[p.Name] = p.DataType[0]
		}
	}
	return k, nil
}

// classBody is the schema Weaviate gets for spec s.
func classBody(s CollectionSpec) map[string]any {
	vc := map[string]any{}
	dims := map[string]int{}
	for _, v := range s.Vectors {
		idx := map[string]any{"distance": metrics[v.Metric]}
		setPositive(idx, "maxConnections", v.M)
		setPositive(idx, "efConstruction", v.EfConstruction)
		setPositive(idx, "ef", v.Ef)
		vc[v.Name] = map[string]any{"vectorizer": map[string]any{"none": map[string]any{}}, "vectorIndexType": "hnsw", "vectorIndexConfig": idx}
		dims[v.Name] = v.Dim
	}
	desc, _ := json.Marshal(describe{Reef: 1, Dims: dims, Meta: s.Meta})
	props := []any{propertyBody(PropertySpec{Name: IDProperty, Type: "text"})}
	for _, p := range s.Properties {
		props = append(props, propertyBody(p))
	}
	return map[string]any{
		"class": s.Name, "description": string(desc), "vectorConfig": vc, "properties": props,
		"invertedIndexConfig": map[string]any{"indexNullState": true},
		"shardingConfig":      map[string]any{"desiredCount": s.Shards},
		// Deletes win over older writes when replicas disagree, so async
		// repair never brings a deleted object back.
		"replicationConfig": map[string]any{"factor": s.Replicas, "asyncEnabled": s.Replicas > 1, "deletionStrategy": "TimeBasedResolution"},
	}
}

func setPositive(m map[string]any, k string, v int) {
	if v > 0 {
		m[k] = v
	}
}

func propertyBody(p PropertySpec) map[string]any {
	b := map[string]any{"name": p.Name, "dataType": []string{p.Type}, "indexFilterable": true, "indexSearchable": false}
	if p.Type == "text" {
		b["tokenization"] = "field"
	}
	if p.Type == "number" || p.Type == "int" {
		b["indexRangeFilters"] = true
	}
	return b
}

// EnsureCollection creates the collection of s, or checks that the one
// that exists has the same vectors (names, dimensions, metrics).
func (c *Client) EnsureCollection(ctx context.Context, s CollectionSpec) error {
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return err
	}
	k, err := c.fetch(ctx, s.Name)
	if errors.Is(err, ErrNotFound) {
		err = c.rest(ctx, http.MethodPost, "/v1/schema", classBody(s), nil)
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusUnprocessableEntity {
			err = nil // made meanwhile by another client: compare below
		}
		if err != nil {
			return fmt.Errorf("creating %s: %w", s.Name, err)
		}
		if err = c.waitShards(ctx, s.Name, s.Shards*s.Replicas); err == nil {
			k, err = c.fetch(ctx, s.Name)
		}
	}
	if err != nil {
		return err
	}
	if err := sameVectors(k, s); err != nil {
		return err
	}
	return c.ensureProperties(ctx, s.Name, s.Properties)
}

func sameVectors(k *collection, s CollectionSpec) error {
	var errs []error
	if len(k.dims) != len(s.Vectors) {
		errs = append(errs, fmt.Errorf("%w: %s has vectors %v", ErrConflict, k.name, k.vectorNames()))
	}
	for _, v := range s.Vectors {
		if k.dims[v.Name] != v.Dim || k.metrics[v.Name] != v.Metric {
			errs = append(errs, fmt.Errorf("%w: %s vector %s is %d-d %s, not %d-d %s",
				ErrConflict, k.name, v.Name, k.dims[v.Name], k.metrics[v.Name], v.Dim, v.Metric))
		}
	}
	return errors.Join(errs...)
}

// waitShards waits until the nodes hold want shard replicas of a new
// collection: the schema is agreed through Raft before every node has made
// its shards, and a write in between fails on the nodes still without them.
func (c *Client) waitShards(ctx context.Context, name string, want int) error {
	var nodes struct {
		Nodes []struct {
			Shards []struct {
				Class string `json:"class"`
			} `json:"shards"`
		} `json:"nodes"`
	}
	path := "/v1/nodes?output=verbose&collection=" + url.QueryEscape(name)
	have := 0
	for range 300 { // 60 s
		if err := c.rest(ctx, http.MethodGet, path, nil, &nodes); err != nil {
			return err
		}
		have = 0
		for _, n := range nodes.Nodes {
			for _, sh := range n.Shards {
				if sh.Class == name {
					have++
				}
			}
		}
		if have >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %d of %d shard replicas made: %v", ErrUnavailable, name, have, want, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w: %s: %d of %d shard replicas made after 60 s", ErrUnavailable, name, have, want)
}

// DropCollection deletes a collection and all its objects.
func (c *Client) DropCollection(ctx context.Context, name string) error {
	c.mu.Lock()
	delete(c.collections, name)
	c.mu.Unlock()
	err := c.rest(ctx, http.MethodDelete, "/v1/schema/"+url.PathEscape(name), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// SetEf changes the search ef of one named vector (Weaviate has no
// per-query ef): every client of the collection searches with it.
func (c *Client) SetEf(ctx context.Context, name, vector string, ef int) error {
	if ef <= 0 {
		return fmt.Errorf("%w: ef %d must be positive", ErrInvalid, ef)
	}
	var class map[string]any
	path := "/v1/schema/" + url.PathEscape(name)
	if err := c.rest(ctx, http.MethodGet, path, nil, &class); err != nil {
		return err
	}
	vc, _ := class["vectorConfig"].(map[string]any)
	v, _ := vc[vector].(map[string]any)
	idx, _ := v["vectorIndexConfig"].(map[string]any)
	if idx == nil {
		return fmt.Errorf("%w: %s has no vector %q", ErrNotFound, name, vector)
	}
	idx["ef"] = ef
	return c.rest(ctx, http.MethodPut, path, class, nil)
}

// fetch reads a collection's schema into the cache.
func (c *Client) fetch(ctx context.Context, name string) (*collection, error) {
	var cj classJSON
	if err := c.rest(ctx, http.MethodGet, "/v1/schema/"+url.PathEscape(name), nil, &cj); err != nil {
		return nil, err
	}
	k, err := cj.collection()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.collections[name] = k
	c.mu.Unlock()
	return k, nil
}

// schema returns the cached schema of a collection, reading it once.
func (c *Client) schema(ctx context.Context, name string) (*collection, error) {
	c.mu.Lock()
	k := c.collections[name]
	c.mu.Unlock()
	if k != nil {
		return k, nil
	}
	if !collectionName.MatchString(name) {
		return nil, fmt.Errorf("%w: collection name %q", ErrInvalid, name)
	}
	return c.fetch(ctx, name)
}

// propertySettle is how long a new property is left to reach every
// shard replica before objects using it are written.
const propertySettle = 2 * time.Second

// ensureProperties declares the properties of ps the collection lacks.
func (c *Client) ensureProperties(ctx context.Context, name string, ps []PropertySpec) error {
	k, err := c.schema(ctx, name)
	if err != nil {
		return err
	}
	var errs []error
	added := false
	for _, p := range ps {
		if t, ok := k.props[p.Name]; ok {
			if t != p.Type {
				errs = append(errs, fmt.Errorf("%w: %s property %s is %s, not %s", ErrConflict, name, p.Name, t, p.Type))
			}
			continue
		}
		err := c.rest(ctx, http.MethodPost, "/v1/schema/"+url.PathEscape(name)+"/properties", propertyBody(p), nil)
		var se *statusError
		if errors.As(err, &se) && se.code == http.StatusUnprocessableEntity {
			err = nil // added meanwhile by another client: the re-read checks its type
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("adding property %s to %s: %w", p.Name, name, err))
		}
		added = true
	}
	if added {
		// Measured: objects written right after a property was declared
		// were stored but never indexed for it on some replica (filters
		// missed them for good); after a 2 s pause they were indexed.
		// Weaviate gives no signal for this, so wait it out.
		if err := sleepCtx(ctx, propertySettle); err != nil {
			return err
		}
		if k, err = c.fetch(ctx, name); err != nil {
			return err
		}
		for _, p := range ps {
			if t := k.props[p.Name]; t != "" && t != p.Type {
				errs = append(errs, fmt.Errorf("%w: %s property %s is %s, not %s", ErrConflict, name, p.Name, t, p.Type))
			}
		}
	}
	return errors.Join(errs...)
}
