package engine

import (
	"bytes"
	"encoding/json"
	"errors"
)

// UnmarshalJSON accepts a target as an object ({"id": "img1", "weight": 2})
// or as a plain id string ("img1"), so positive, negative and feedback lists
// may be written either way, or mixed.
func (t *Target) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '"' && data[0] != '{' && !bytes.Equal(data, []byte("null")) {
		return errTargetShape
	}
	if data[0] == '"' {
		var id string
		if err := json.Unmarshal(data, &id); err != nil {
			return err
		}
		if id == "" {
			return errEmptyTargetID
		}
		*t = Target{ID: id}
		return nil
	}
	type plain Target // no methods: decodes the object without recursing
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt key ("idd") is an error, as everywhere else
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*t = Target(p)
	return nil
}

var (
	errEmptyTargetID = errors.New("a target id string must not be empty")
	errTargetShape   = errors.New(`a target (positive, negative, feedback) is an id string or an object {"id", "object_id", "dataset", "vector", "weight"}`)
)
