package vecio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MetaTable is per-row metadata read from a side file (CSV or JSON lines)
// to attach to vectors that came without it.
type MetaTable struct {
	// IDs holds each row's "id" when the file has an id column or every
	// line has an "id" key; nil means rows are matched by position.
	IDs  []string
	Rows []map[string]any
}

// maxMetaLine bounds one CSV record or JSON line; a point's metadata is
// bounded far lower by the engine, so a longer line is the wrong file.
const maxMetaLine = 4 << 20

// ReadMetaCSV reads a CSV file with a header row. Each column's type is
// inferred from all its non-empty cells: all integers → int64, all numbers
// → float, all true/false (any case) → bool, else string. Empty cells are
// left out of the row's map. A column named "id" keys the rows.
func ReadMetaCSV(r io.Reader, lim Limits) (*MetaTable, error) {
	lim = lim.norm()
	cr := csv.NewReader(&countingReader{r: r, limit: lim.MaxBytes})
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, csvErr(err, "header")
	}
	idCol, seen := -1, map[string]int{}
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff") // a BOM from spreadsheet exports
		header[i] = h
		if j, dup := seen[h]; dup {
			return nil, errorf(ErrFormat, "csv: column %d repeats header %q of column %d", i+1, h, j+1)
		}
		if h == "" {
			return nil, errorf(ErrFormat, "csv: column %d has an empty header", i+1)
		}
		seen[h] = i
		if h == "id" {
			idCol = i
		}
	}
	var records [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err, fmt.Sprintf("row %d", len(records)))
		}
		if len(records) >= lim.MaxRows {
			return nil, errorf(ErrTooLarge, "csv: more than %d rows", lim.MaxRows)
		}
		records = append(records, rec)
	}
	t := &MetaTable{Rows: make([]map[string]any, len(records))}
	for i := range t.Rows {
		t.Rows[i] = map[string]any{}
	}
	for c, name := range header {
		if c == idCol {
			continue
		}
		conv := inferColumn(records, c)
		for i, rec := range records {
			if rec[c] != "" {
				t.Rows[i][name] = conv(rec[c])
			}
		}
	}
	if idCol >= 0 {
		t.IDs = make([]string, len(records))
		for i, rec := range records {
			if t.IDs[i] = rec[idCol]; t.IDs[i] == "" {
				return nil, errorf(ErrFormat, "csv: row %d: empty id", i)
			}
		}
	}
	return t, nil
}

func csvErr(err error, where string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) || errors.Is(err, io.EOF) {
		return errorf(ErrFormat, "csv %s: %v", where, err)
	}
	return wrapIO(err, "csv "+where)
}

// inferColumn picks the narrowest type every non-empty cell of column c
// parses as, and returns the conversion.
func inferColumn(records [][]string, c int) func(string) any {
	isInt, isNum, isBool := true, true, true
	for _, rec := range records {
		s := rec[c]
		if s == "" {
			continue
		}
		if isInt {
			_, err := strconv.ParseInt(s, 10, 64)
			isInt = err == nil
		}
		if isNum && !isInt {
			isNum = json.Valid([]byte(s)) && isNumberLiteral(s)
		}
		if isBool {
			_, isBool = parseBool(s)
		}
		if !isNum && !isBool {
			break
		}
	}
	switch {
	case isInt:
		return func(s string) any { v, _ := strconv.ParseInt(s, 10, 64); return v }
	case isNum:
		return func(s string) any { return json.Number(s) }
	case isBool:
		return func(s string) any { v, _ := parseBool(s); return v }
	}
	return func(s string) any { return s }
}

// isNumberLiteral reports whether s is a JSON number (json.Valid alone
// also accepts strings, objects and the like).
func isNumberLiteral(s string) bool {
	return s[0] == '-' || (s[0] >= '0' && s[0] <= '9')
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// ReadMetaJSONL reads one JSON object a line (blank lines skipped). Numbers
// are kept exactly as written. When every line has a string or integer "id"
// it keys the rows (and is removed from the map); when none has, rows are
// matched by position; a mix is an error.
func ReadMetaJSONL(r io.Reader, lim Limits) (*MetaTable, error) {
	lim = lim.norm()
	cr := &countingReader{r: r, limit: lim.MaxBytes}
	sc := bufio.NewScanner(cr)
	sc.Buffer(make([]byte, 0, 64<<10), maxMetaLine)
	t := &MetaTable{}
	keyed := 0
	for line := 1; sc.Scan(); line++ {
		if cr.n > cr.limit { // the scanner hands over the cut-off last line
			return nil, errorf(ErrTooLarge, "jsonl: input exceeds %d bytes", cr.limit)
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if len(t.Rows) >= lim.MaxRows {
			return nil, errorf(ErrTooLarge, "jsonl: more than %d rows", lim.MaxRows)
		}
		row, id, err := jsonlRow(b)
		if err != nil {
			return nil, fmt.Errorf("%w (line %d)", err, line)
		}
		if id != "" {
			keyed++
		}
		t.Rows, t.IDs = append(t.Rows, row), append(t.IDs, id)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errorf(ErrTooLarge, "jsonl: a line is longer than %d bytes", maxMetaLine)
		}
		return nil, wrapIO(err, "jsonl")
	}
	switch keyed {
	case 0:
		t.IDs = nil
	case len(t.Rows):
	default:
		for i, id := range t.IDs {
			if id == "" {
				return nil, errorf(ErrFormat, "jsonl: row %d has no \"id\" but %d other rows do; give every row an id or none", i, keyed)
			}
		}
	}
	return t, nil
}

// jsonlRow decodes one line; the id is "" when the line has none.
func jsonlRow(b []byte) (map[string]any, string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil || row == nil {
		return nil, "", errorf(ErrFormat, "jsonl: not a JSON object")
	}
	if dec.More() {
		return nil, "", errorf(ErrFormat, "jsonl: data after the object")
	}
	raw, ok := row["id"]
	if !ok {
		return row, "", nil
	}
	delete(row, "id")
	var id string
	switch v := raw.(type) {
	case string:
		id = v
	case json.Number:
		if !isDecimalInteger(v.String()) {
			return nil, "", errorf(ErrFormat, "jsonl: id %s is not an integer", v)
		}
		id = v.String()
	default:
		return nil, "", errorf(ErrFormat, "jsonl: id must be a string or an integer")
	}
	if id == "" || len(id) > maxIDBytes || !utf8.ValidString(id) {
		return nil, "", errorf(ErrFormat, "jsonl: id must be 1 to %d bytes of UTF-8", maxIDBytes)
	}
	return row, id, nil
}

// Align returns one metadata map per id. Keyed tables match by id: each of
// their ids must be among ids and appear once; ids the table lacks get nil
// (their stored metadata is kept). Unkeyed tables need exactly len(ids) rows.
func (t *MetaTable) Align(ids []string) ([]map[string]any, error) {
	if t.IDs == nil {
		if len(t.Rows) != len(ids) {
			return nil, errorf(ErrShape, "metadata has %d rows but there are %d vectors (add an id column to match by id)", len(t.Rows), len(ids))
		}
		return t.Rows, nil
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]map[string]any, len(ids))
	seen := make(map[string]int, len(t.IDs))
	for r, id := range t.IDs {
		if prev, dup := seen[id]; dup {
			return nil, errorf(ErrFormat, "metadata row %d repeats id %q of row %d", r, id, prev)
		}
		seen[id] = r
		i, ok := pos[id]
		if !ok {
			return nil, errorf(ErrShape, "metadata row %d: id %q is not among the imported ids", r, id)
		}
		out[i] = t.Rows[r]
	}
	return out, nil
}
