package storage

import (
	"encoding/json"
	"time"
)

// Dataset describes a dataset. UID is random and distinguishes a dataset from
// an earlier one of the same name, so caches of a deleted dataset are never
// mistaken for the new one's.
type Dataset struct {
	Name    string    `json:"name"`
	UID     string    `json:"uid"`
	Created time.Time `json:"created"`
	Seq     uint64    `json:"seq"`
	Points  int       `json:"points"`
	Objects int       `json:"objects"`
	NextIID uint64    `json:"next_iid"`
	// VecSeq is, per "space/level", the sequence of the last write that
	// changed a vector there: analyses cached on vectors stay valid across
	// metadata-only writes.
	VecSeq map[string]uint64 `json:"vec_seq,omitempty"`
}

// VectorSeq returns the sequence of the last vector change in a space level.
func (d Dataset) VectorSeq(space string, l Level) uint64 { return d.VecSeq[space+"/"+l.String()] }

// IndexParams are the HNSW settings of a space.
type IndexParams struct {
	Backend        string `json:"backend,omitempty"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	EfSearch       int    `json:"ef_search"`
	Quantization   string `json:"quantization,omitempty"`
}

// Space is an embedding space of a dataset: vectors of one dimension and
// metric, from one provenance ("user" or a model id and version).
type Space struct {
	Name         string      `json:"name"`
	Dim          int         `json:"dim"`
	Metric       string      `json:"metric"`
	Provenance   string      `json:"provenance"`
	ModelVersion string      `json:"model_version,omitempty"`
	Index        IndexParams `json:"index"`
	Created      time.Time   `json:"created"`
	Seq          uint64      `json:"seq"`
}

// Object is a box inside a datapoint: a label box or a model inference.
type Object struct {
	ID      string               `json:"id"`
	Kind    string               `json:"kind"`
	Class   string               `json:"class,omitempty"`
	BBox    [4]float32           `json:"bbox"`
	Score   *float32             `json:"score,omitempty"`
	Vectors map[string][]float32 `json:"-"`
	IID     uint64               `json:"iid"`
}

// Point is a datapoint. Metadata is a JSON object kept verbatim.
type Point struct {
	ID       string               `json:"id"`
	URI      string               `json:"uri,omitempty"`
	Metadata json.RawMessage      `json:"metadata,omitempty"`
	Vectors  map[string][]float32 `json:"-"`
	Objects  []Object             `json:"objects,omitempty"`
	IID      uint64               `json:"iid"`
	Seq      uint64               `json:"seq"`
}

// Level says whether a vector belongs to a point or to an object.
type Level uint8

// Levels.
const (
	LevelPoint Level = iota + 1
	LevelObject
)

func (l Level) String() string {
	if l == LevelObject {
		return "object"
	}
	return "point"
}

// Op is a change to one vector.
type Op uint8

// Ops.
const (
	OpPut Op = iota + 1
	OpDelete
)

// Change is one vector change caused by a write, in the order it happened.
// Vec is set for OpPut.
type Change struct {
	Dataset string    `json:"d"`
	Space   string    `json:"s"`
	Level   Level     `json:"l"`
	IID     uint64    `json:"i"`
	Op      Op        `json:"o"`
	Vec     []float32 `json:"-"`
}

// Ref names what an IID stands for.
type Ref struct {
	PointID  string
	ObjectID string // empty for a point
}
