package weaviate

import (
	"errors"
	"fmt"
	"regexp"
)

// VectorSpec is one named vector of a collection: one reef space, with
// its own HNSW index.
type VectorSpec struct {
	Name string
	Dim  int
	// Metric is "l2" (Weaviate's l2-squared: distances are squared),
	// "cosine" or "dot".
	Metric string
	// M, EfConstruction and Ef are HNSW settings; 0 keeps Weaviate's
	// default. Ef is per collection and vector, not per query (SetEf).
	M, EfConstruction, Ef int
}

// PropertySpec declares a filterable property. Type is "text" (matched
// whole: field tokenization), "number", "int" or "boolean".
type PropertySpec struct {
	Name string
	Type string
}

// CollectionSpec describes a collection: one reef dataset level.
type CollectionSpec struct {
	Name    string
	Vectors []VectorSpec
	// Properties declared up front; Upsert declares new ones it meets.
	Properties []PropertySpec
	// Shards is the number of shards (default 1); Replicas the
	// replication factor (default 1; 3 for QUORUM to mean two acks).
	Shards, Replicas int
	// Meta is kept with the collection (reef's provenance of each space).
	Meta map[string]string
}

// IDProperty holds reef's id of each object; the object's UUID is derived
// from it (ObjectUUID), and scans return it.
const IDProperty = "reef_id"

var (
	collectionName = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]{0,200}$`)
	propertyName   = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,200}$`)
	metrics        = map[string]string{"l2": "l2-squared", "cosine": "cosine", "dot": "dot"}
	propertyTypes  = map[string]bool{"text": true, "number": true, "int": true, "boolean": true}
	// reservedProperties are names Weaviate or this package claims.
	reservedProperties = map[string]bool{"id": true, "_id": true, "_additional": true, "vector": true, "_creationTimeUnix": true, "_lastUpdateTimeUnix": true, IDProperty: true}
)

// withDefaults fills the zero shard and replica counts.
func (s CollectionSpec) withDefaults() CollectionSpec {
	if s.Shards == 0 {
		s.Shards = 1
	}
	if s.Replicas == 0 {
		s.Replicas = 1
	}
	return s
}

// validate reports every problem of s at once.
func (s CollectionSpec) validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}
	if !collectionName.MatchString(s.Name) {
		bad("name %q must start with an upper-case letter and hold only letters, digits and _", s.Name)
	}
	if len(s.Vectors) == 0 {
		bad("vectors: at least one named vector is required")
	}
	seen := map[string]bool{}
	for i, v := range s.Vectors {
		f := fmt.Sprintf("vectors[%d]", i)
		if !propertyName.MatchString(v.Name) {
			bad("%s.name %q must hold only letters, digits and _", f, v.Name)
		}
		if seen[v.Name] {
			bad("%s.name %q is repeated", f, v.Name)
		}
		seen[v.Name] = true
		if v.Dim <= 0 || v.Dim > 65536 {
			bad("%s.dim %d must be in 1..65536", f, v.Dim)
		}
		if _, ok := metrics[v.Metric]; !ok {
			bad("%s.metric %q is not l2, cosine or dot", f, v.Metric)
		}
		if v.M < 0 || v.EfConstruction < 0 || v.Ef < 0 {
			bad("%s: m, ef_construction and ef must not be negative", f)
		}
	}
	seen = map[string]bool{}
	for i, p := range s.Properties {
		errs = append(errs, p.validate(fmt.Sprintf("properties[%d]", i)))
		if seen[p.Name] {
			bad("properties[%d].name %q is repeated", i, p.Name)
		}
		seen[p.Name] = true
	}
	if s.Shards < 0 || s.Replicas < 0 {
		bad("shards and replicas must not be negative")
	}
	return errors.Join(errs...)
}

func (p PropertySpec) validate(field string) error {
	var errs []error
	if !propertyName.MatchString(p.Name) || reservedProperties[p.Name] {
		errs = append(errs, fmt.Errorf("%w: %s.name %q must hold only letters, digits and _ and not be reserved", ErrInvalid, field, p.Name))
	}
	if !propertyTypes[p.Type] {
		errs = append(errs, fmt.Errorf("%w: %s.type %q is not text, number, int or boolean", ErrInvalid, field, p.Type))
	}
	return errors.Join(errs...)
}
