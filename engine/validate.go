package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/reef-ml/reef/index"
)

// checkID validates a point or object id.
func (e *Engine) checkID(field, id string) error {
	switch {
	case id == "":
		return fieldErr(ErrInvalid, field, "must not be empty")
	case len(id) > e.opts.Limits.MaxIDLen:
		return fieldErr(ErrTooLarge, field, "is %d bytes, limit %d", len(id), e.opts.Limits.MaxIDLen)
	case !utf8.ValidString(id):
		return fieldErr(ErrInvalid, field, "is not valid UTF-8")
	case strings.IndexByte(id, 0) >= 0:
		return fieldErr(ErrInvalid, field, "must not contain NUL")
	}
	return nil
}

// checkVector validates one vector for a space.
func checkVector(field string, v []float32, dim int, metric index.Metric) error {
	if len(v) != dim {
		return fieldErr(ErrDimensionMismatch, field, "has %d dimensions, the space has %d", len(v), dim)
	}
	var norm float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fieldErr(ErrInvalid, fmt.Sprintf("%s[%d]", field, i), "is %v; vectors must be finite", x)
		}
		norm += float64(x) * float64(x)
	}
	if metric == index.Cosine && norm == 0 {
		return fieldErr(ErrInvalid, field, "is the zero vector, which has no direction under cosine")
	}
	return nil
}

// checkMetadata requires a JSON object (or nothing) within the size limit
// and returns it compacted.
func (e *Engine) checkMetadata(field string, m json.RawMessage) (json.RawMessage, error) {
	if len(m) == 0 || string(m) == "null" {
		return nil, nil
	}
	if len(m) > e.opts.Limits.MaxMetadataBytes {
		return nil, fieldErr(ErrTooLarge, field, "is %d bytes, limit %d", len(m), e.opts.Limits.MaxMetadataBytes)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(m, &obj); err != nil {
		return nil, fieldErr(ErrInvalid, field, "must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, m); err != nil {
		return nil, fieldErr(ErrInvalid, field, "must be a JSON object")
	}
	return buf.Bytes(), nil
}
