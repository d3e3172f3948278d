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

// Vector norm bounds. Every stored or query vector keeps its norm within
// MaxVectorNorm so that no distance between two of them overflows float32:
// |a-b|² ≤ (|a|+|b|)² = 4e36 and |a·b| ≤ |a||b| = 1e36, both far below
// math.MaxFloat32 (3.4e38), and so do the partial sums of either. Under
// cosine the norm must also be at least MinCosineNorm: normalising a
// vector whose norm underflows (e.g. [1e-45, 0, 0, 0]) multiplies by an
// infinite scale and yields NaN.
const (
	MaxVectorNorm = 1e18
	MinCosineNorm = 1e-18
)

// checkVector validates one vector for a space.
func checkVector(field string, v []float32, dim int, metric index.Metric) error {
	if len(v) != dim {
		return fieldErr(ErrDimensionMismatch, field, "has %d dimensions, the space has %d", len(v), dim)
	}
	var sq float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fieldErr(ErrInvalid, fmt.Sprintf("%s[%d]", field, i), "is %v; vectors must be finite", x)
		}
		sq += float64(x) * float64(x)
	}
	norm := math.Sqrt(sq)
	switch {
	case metric == index.Cosine && norm == 0:
		return fieldErr(ErrInvalid, field, "is the zero vector, which has no direction under cosine")
	case norm > MaxVectorNorm:
		return fieldErr(ErrInvalid, field, "has norm %.3g, above the limit %.0g: its distances would overflow", norm, MaxVectorNorm)
	case metric == index.Cosine && norm < MinCosineNorm:
		return fieldErr(ErrInvalid, field, "has norm %.3g, below the limit %.0g under cosine: its direction underflows", norm, MinCosineNorm)
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
