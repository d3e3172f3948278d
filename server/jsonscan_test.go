package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
)

var scanTestLimits = jsonLimits{MaxDepth: 5, MaxArray: 6, MaxBatch: 3, MaxIDs: 3, MaxObjects: 2, MaxDim: 4,
	MaxMetadata: 20, MaxFilter: 2, MaxTargets: 2}

func TestScanJSONLimits(t *testing.T) {
	cases := []struct {
		name, body, field string
		base              error
	}{
		{"ok", `{"points":[{"id":"a","vectors":{"s":[1,2,3,4]},"metadata":{"k":[1,null]}}]}`, "", nil},
		{"points", `{"points":[{},{},{},{}]}`, "points", engine.ErrTooLarge},
		{"ids", `{"ids":["a","b","c","d"]}`, "ids", engine.ErrInvalid},
		{"objects", `{"points":[{"objects":[{},{},{}]}]}`, "points[0].objects", engine.ErrTooLarge},
		{"vector", `{"vector":[1,2,3,4,5]}`, "vector", engine.ErrDimensionMismatch},
		{"vectors member", `{"points":[{"vectors":{"s":[1,2,3,4,5]}}]}`, "points[0].vectors.s", engine.ErrDimensionMismatch},
		{"null component", `{"points":[{"vectors":{"s":[1,null]}}]}`, "points[0].vectors.s[1]", engine.ErrInvalid},
		{"null query", `{"vector":[null]}`, "vector[0]", engine.ErrInvalid},
		{"metadata bytes", `{"points":[{"metadata":{"k":"` + strings.Repeat("x", 20) + `"}}]}`, "points[0].metadata", engine.ErrTooLarge},
		{"filter values", `{"filter":{"metadata.label":["a","b","c"]}}`, "filter.metadata.label", engine.ErrTooLarge},
		{"filter members", `{"filter":{"a":1,"b":2,"c":3}}`, "filter", engine.ErrTooLarge},
		{"targets", `{"positive":[{},{},{}]}`, "positive", engine.ErrTooLarge},
		{"generic array", `{"rows":[1,2,3,4,5,6,7]}`, "rows", engine.ErrTooLarge},
		{"depth", `{"a":{"b":{"c":{"d":{"e":{}}}}}}`, "a.b.c.d.e", engine.ErrInvalid},
		{"escaped key", `{"po\u0069nts":[{},{},{},{}]}`, "points", engine.ErrTooLarge},
		{"coordinate pair", `{"coords":[[1,2],[1,2,3]]}`, "coords[1]", engine.ErrInvalid},
		{"malformed left to the decoder", `{"points":[{},{},`, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := scanJSON([]byte(c.body), scanTestLimits)
			if c.field == "" {
				if err != nil {
					t.Fatalf("scan = %v, want nil", err)
				}
				return
			}
			var fe *engine.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("scan = %v, want a field error naming %q", err, c.field)
			}
			if fe.Field != c.field {
				t.Fatalf("field %q, want %q (%v)", fe.Field, c.field, err)
			}
			if c.base != nil && !errors.Is(err, c.base) {
				t.Fatalf("err %v is not %v", err, c.base)
			}
		})
	}
}

// The scan never panics and refuses nothing that a limit does not bound:
// a body it passes is valid JSON, or invalid for the decoder to report.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{"points":[{"id":"a","vectors":{"s":[1,2]}}]}`, `{"filter":{"a":["x"]}}`, `[`, `{"a":"\"}`, `{"vector":[null]}`, `"\u00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := scanJSON(b, scanTestLimits)
		if err != nil && !json.Valid(b) {
			// Limits may fire before the syntax error is reached; they
			// must still be field errors.
			var fe *engine.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("scan of invalid JSON %q: %v", b, err)
			}
		}
	})
}

// The scan's cost against json decoding of the same upsert body (1,000
// points × 128-d with metadata): the ratio is what the limits add to
// every request.
func BenchmarkScanVsDecode(b *testing.B) {
	var pts []string
	for i := range 1000 {
		v := make([]string, 128)
		for j := range v {
			v[j] = fmt.Sprintf("%.6f", float64((i*131+j*7)%1000)/997)
		}
		pts = append(pts, fmt.Sprintf(`{"id":"p%d","metadata":{"label":"l%d","split":"train"},"vectors":{"s":[%s]}}`, i, i%10, strings.Join(v, ",")))
	}
	body := []byte(`{"points":[` + strings.Join(pts, ",") + `]}`)
	lim := jsonLimits{MaxDepth: maxJSONDepth, MaxArray: maxJSONArray, MaxBatch: 10000, MaxIDs: 10000, MaxObjects: 1000, MaxDim: 16384,
		MaxMetadata: 64 << 10, MaxFilter: maxFilterItems, MaxTargets: maxTargets}
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := scanJSON(body, lim); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var req struct {
				Points []engine.PointInput `json:"points"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
