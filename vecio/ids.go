package vecio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxIDBytes bounds a single id. Ids are keys, not documents; anything
// longer is almost certainly the wrong column or a hostile file.
const maxIDBytes = 64 << 10

// countingReader tracks bytes consumed so size limits can be enforced on
// streams whose length is not known in advance.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		return 0, errorf(ErrTooLarge, "input exceeds %d bytes", c.limit)
	}
	// Allow one byte past the limit: that is how we learn the input is
	// actually longer rather than exactly at the limit.
	if rem := c.limit + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	if c.n > c.limit {
		return k, errorf(ErrTooLarge, "input exceeds %d bytes", c.limit)
	}
	return k, err
}

// ReadIDsJSON decodes a JSON array whose elements are strings or integers
// (integers are kept exactly as written, e.g. 12345678901234567890). Other
// element types, nesting, or trailing data are errors naming the index.
func ReadIDsJSON(r io.Reader, lim Limits) ([]string, error) {
	lim = lim.norm()
	dec := json.NewDecoder(&countingReader{r: r, limit: lim.MaxBytes})
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err, "ids json")
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errorf(ErrFormat, "ids json: top level is not an array")
	}
	var out []string
	for i := 0; ; i++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err, fmt.Sprintf("ids json [%d]", i))
		}
		switch v := tok.(type) {
		case json.Delim:
			if v != ']' {
				return nil, errorf(ErrFormat, "ids json [%d]: nested %c not allowed", i, v)
			}
			// Anything after the closing bracket means this was not the
			// file we think it is (e.g. concatenated documents).
			if _, err := dec.Token(); err != io.EOF {
				if err != nil {
					return nil, jsonErr(err, "ids json trailing data")
				}
				return nil, errorf(ErrFormat, "ids json: data after closing ']'")
			}
			if out == nil {
				out = []string{}
			}
			return out, nil
		case string:
			if len(v) > maxIDBytes {
				return nil, errorf(ErrTooLarge, "ids json [%d]: id longer than %d bytes", i, maxIDBytes)
			}
			out = append(out, v)
		case json.Number:
			s := v.String()
			if len(s) > maxIDBytes {
				return nil, errorf(ErrTooLarge, "ids json [%d]: id longer than %d bytes", i, maxIDBytes)
			}
			if !isDecimalInteger(s) {
				return nil, errorf(ErrFormat, "ids json [%d]: number %s is not an integer", i, s)
			}
			out = append(out, s)
		default:
			return nil, errorf(ErrFormat, "ids json [%d]: %T is not a string or integer", i, tok)
		}
		if len(out) > lim.MaxRows {
			return nil, errorf(ErrTooLarge, "ids json: more than %d ids", lim.MaxRows)
		}
	}
}

func jsonErr(err error, what string) error {
	if errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("%w (%s)", err, what)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return errorf(ErrFormat, "%s: %v at byte %d", what, syn, syn.Offset)
	}
	return wrapIO(err, what)
}

func isDecimalInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ReadIDsText reads one id per line (LF or CRLF endings, optional UTF-8
// BOM). Lines must be non-empty valid UTF-8 of at most 64 KiB; the error
// names the 1-based line number.
func ReadIDsText(r io.Reader, lim Limits) ([]string, error) {
	lim = lim.norm()
	sc := bufio.NewScanner(&countingReader{r: r, limit: lim.MaxBytes})
	sc.Buffer(make([]byte, 0, 4096), maxIDBytes+2)
	var out []string
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		switch {
		case len(b) == 0:
			return nil, errorf(ErrFormat, "ids text line %d: empty id", line)
		case len(b) > maxIDBytes:
			return nil, errorf(ErrTooLarge, "ids text line %d: id longer than %d bytes", line, maxIDBytes)
		case !utf8.Valid(b):
			return nil, errorf(ErrFormat, "ids text line %d: not UTF-8", line)
		}
		if len(out) >= lim.MaxRows {
			return nil, errorf(ErrTooLarge, "ids text: more than %d ids", lim.MaxRows)
		}
		out = append(out, string(b))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errorf(ErrTooLarge, "ids text line %d: id longer than %d bytes", len(out)+1, maxIDBytes)
		}
		return nil, wrapIO(err, fmt.Sprintf("ids text line %d", len(out)+1))
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
