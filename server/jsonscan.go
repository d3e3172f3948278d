package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/reef-ml/reef/engine"
)

// jsonLimits bound a JSON body before it is decoded into Go values. The
// scan walks the raw bytes once with memory proportional to the nesting
// depth, so a body of 20M empty points is refused holding only the body
// itself, instead of the gigabytes its decoded form would take.
type jsonLimits struct {
	MaxDepth    int // nesting of objects and arrays
	MaxArray    int // elements (or members) of any array or object not named below
	MaxBatch    int // "points" (413)
	MaxIDs      int // "ids" (400): the batch, more for points/missing and view coords
	MaxObjects  int // "objects" of a point
	MaxDim      int // a "vector" or a member of "vectors"
	MaxMetadata int // bytes of a "metadata" object
	MaxFilter   int // elements or members of any array or object under "filter"
	MaxTargets  int // "positive", "negative", "accept", "reject"
}

// Documented maxima (docs/openapi.yaml) of arrays the engine does not
// limit itself.
const (
	maxJSONDepth   = 32
	maxJSONArray   = 1_000_000
	maxFilterItems = 10_000 // the engine's limit on a filter's values
	maxTargets     = 10_000 // the view's limit on similar rows (search allows 1,000)
)

func (s *Server) jsonLimits(route string) jsonLimits {
	l := s.eng.Limits()
	ids := l.MaxBatch
	switch {
	case strings.HasSuffix(route, "/points/missing"):
		ids = 100 * l.MaxBatch // ingest's own limit
	case strings.HasSuffix(route, "/coords"):
		ids = maxJSONArray
	}
	return jsonLimits{MaxDepth: maxJSONDepth, MaxArray: maxJSONArray, MaxBatch: l.MaxBatch, MaxIDs: ids, MaxObjects: l.MaxObjects,
		MaxDim: l.MaxDim, MaxMetadata: l.MaxMetadataBytes, MaxFilter: maxFilterItems, MaxTargets: maxTargets}
}

// arrayKind is what an open array or object holds, and so its limit.
type arrayKind uint8

const (
	kindAny arrayKind = iota
	kindVector
	kindFilter
	kindMetadata // free-form: only the generic limits
)

type seg struct {
	key string
	idx int // -1 for an object member
}

type jsonScanner struct {
	b    []byte
	i    int
	lim  jsonLimits
	path []seg
	top  map[string]int // lengths of the top-level object's arrays
}

// scanJSON checks b against lim. Malformed JSON is not its concern: it
// returns nil and leaves the message to the decoder.
func scanJSON(b []byte, lim jsonLimits) error {
	_, err := scanJSONCounts(b, lim)
	return err
}

// scanJSONCounts is scanJSON that also returns the lengths of the arrays
// of the top-level object, for checks across fields (coords against ids).
func scanJSONCounts(b []byte, lim jsonLimits) (map[string]int, error) {
	s := &jsonScanner{b: b, lim: lim, top: map[string]int{}}
	err := s.value(0, kindAny)
	if err == errMalformed {
		return s.top, nil
	}
	return s.top, err
}

var errMalformed = fmt.Errorf("malformed JSON")

func (s *jsonScanner) field() string {
	var sb strings.Builder
	for _, p := range s.path {
		if p.idx >= 0 {
			fmt.Fprintf(&sb, "[%d]", p.idx)
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p.key)
	}
	if sb.Len() == 0 {
		return "body"
	}
	return sb.String()
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lastKey is the key of the innermost object member on the path.
func (s *jsonScanner) lastKey() (string, int) {
	for j := len(s.path) - 1; j >= 0; j-- {
		if s.path[j].idx < 0 {
			return s.path[j].key, j
		}
	}
	return "", -1
}

// limitFor returns the limit of the container opening at the current path,
// what it counts and the error kind that exceeding it gives.
func (s *jsonScanner) limitFor(kind arrayKind, isArray bool) (int, string, error) {
	key, at := s.lastKey()
	direct := at == len(s.path)-1 // the container is the member's value
	switch {
	case kind == kindMetadata:
		return s.lim.MaxArray, "elements", engine.ErrTooLarge
	case kind == kindFilter:
		return s.lim.MaxFilter, "values; filters are limited", engine.ErrTooLarge
	case kind == kindVector && isArray:
		return s.lim.MaxDim, "dimensions", engine.ErrDimensionMismatch
	case key == "coords" && isArray && at == len(s.path)-2:
		return 2, "numbers per coordinate", engine.ErrInvalid
	case !isArray || !direct:
	case key == "points":
		return s.lim.MaxBatch, "points", engine.ErrTooLarge
	case key == "ids":
		return s.lim.MaxIDs, "ids", engine.ErrInvalid
	case key == "objects":
		return s.lim.MaxObjects, "objects", engine.ErrTooLarge
	case key == "positive" || key == "negative" || key == "accept" || key == "reject":
		return s.lim.MaxTargets, "targets", engine.ErrTooLarge
	}
	return s.lim.MaxArray, "elements", engine.ErrTooLarge
}

// childKind is the kind of the value of member key inside a container of
// kind parent.
func childKind(parent arrayKind, key string, parentKey string) arrayKind {
	switch {
	case parent == kindMetadata || key == "metadata":
		return kindMetadata
	case parent == kindFilter || key == "filter":
		return kindFilter
	case key == "vector" || parentKey == "vectors":
		return kindVector
	}
	return kindAny
}

func (s *jsonScanner) value(depth int, kind arrayKind) error {
	s.ws()
	if s.i >= len(s.b) {
		return errMalformed
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if depth >= s.lim.MaxDepth {
			return engine.FieldErr(engine.ErrInvalid, s.field(), "nests deeper than %d levels", s.lim.MaxDepth)
		}
		return s.container(depth, kind, c == '[')
	case '"':
		_, err := s.str(false)
		return err
	case 'n':
		if kind == kindVector {
			return engine.FieldErr(engine.ErrInvalid, s.field(), "is null; vector components must be numbers")
		}
	}
	// A number, true, false or null: skip to the next delimiter.
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			if s.i == start {
				return errMalformed
			}
			return nil
		}
		s.i++
	}
	return nil
}

func (s *jsonScanner) container(depth int, kind arrayKind, isArray bool) error {
	limit, what, base := s.limitFor(kind, isArray)
	start := s.i
	n := 0
	defer func() {
		if len(s.path) == 1 && isArray && s.path[0].idx < 0 {
			s.top[s.path[0].key] = n
		}
	}()
	s.i++
	closer := byte('}')
	if isArray {
		closer = ']'
	}
	parentKey, _ := s.lastKey()
	for ; ; n++ {
		s.ws()
		if s.i >= len(s.b) {
			return errMalformed
		}
		if s.b[s.i] == closer && n == 0 {
			s.i++
			break
		}
		if n >= limit {
			// The path is the container's again: its children are popped.
			return engine.FieldErr(base, s.field(), "has more than %d %s", limit, what)
		}
		childK := kind
		if isArray {
			s.path = append(s.path, seg{idx: n})
		} else {
			key, err := s.str(true)
			if err != nil {
				return err
			}
			if s.ws(); s.i >= len(s.b) || s.b[s.i] != ':' {
				return errMalformed
			}
			s.i++
			s.path = append(s.path, seg{key: key, idx: -1})
			childK = childKind(kind, key, parentKey)
		}
		if err := s.value(depth+1, childK); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.ws()
		if s.i >= len(s.b) {
			return errMalformed
		}
		if s.b[s.i] == closer {
			s.i++
			break
		}
		if s.b[s.i] != ',' {
			return errMalformed
		}
		s.i++
	}
	if key, at := s.lastKey(); !isArray && key == "metadata" && at == len(s.path)-1 && s.i-start > s.lim.MaxMetadata {
		return engine.FieldErr(engine.ErrTooLarge, s.field(), "is %d bytes, limit %d", s.i-start, s.lim.MaxMetadata)
	}
	return nil
}

// str consumes a string and, when want, returns its contents (escapes
// decoded when valid; keys in reef's schema are plain ASCII).
func (s *jsonScanner) str(want bool) (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errMalformed
	}
	s.i++
	start, escaped := s.i, false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			raw := s.b[start:s.i]
			s.i++
			if !want {
				return "", nil
			}
			if !escaped {
				return string(raw), nil
			}
			if u, err := strconv.Unquote(`"` + string(raw) + `"`); err == nil {
				return u, nil
			}
			return string(raw), nil
		}
		s.i++
	}
	return "", errMalformed
}
