package vecio

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// nestedColumn is a top-level group column read as one metadata object per
// row: a struct of scalars (pandas writes a column of dicts as one) becomes
// {"col": {"a": 1, "b": {"c": "x"}}}, a map with scalar keys and values
// becomes {"col": {"key": value}}. Anything else nested (lists inside a
// struct, lists of structs) is refused by name rather than dropped, because
// an import that silently loses a column is worse than one that says so.
type nestedColumn struct {
	name   string
	leaves []*parquet.Column // struct: every leaf; map: key, value
	isMap  bool
}

func classifyNested(top *parquet.Column) (nestedColumn, error) {
	nc := nestedColumn{name: top.Name()}
	refuse := func(what string) (nestedColumn, error) {
		return nc, errorf(ErrUnsupportedDType, "parquet column %q: %s is not supported as metadata; flatten it or leave it out", nc.name, what)
	}
	if isMapColumn(top) {
		kids := top.Columns()
		if len(kids) != 1 || len(kids[0].Columns()) != 2 {
			return refuse("a map without key and value")
		}
		kv := kids[0].Columns()
		if !kv[0].Leaf() || !kv[1].Leaf() || kv[0].MaxRepetitionLevel() != 1 || kv[1].MaxRepetitionLevel() != 1 {
			return refuse("a map of nested values")
		}
		nc.leaves, nc.isMap = kv, true
		return nc, nil
	}
	var walk func(c *parquet.Column) bool
	walk = func(c *parquet.Column) bool {
		if c.Leaf() {
			nc.leaves = append(nc.leaves, c)
			return c.MaxRepetitionLevel() == 0
		}
		for _, k := range c.Columns() {
			if !walk(k) {
				return false
			}
		}
		return true
	}
	if !walk(top) {
		return refuse("a list inside a struct (or a list of structs)")
	}
	return nc, nil
}

// isMapColumn: the MAP logical type, or the legacy shape (one repeated
// group holding a key and a value) that older writers leave unannotated.
func isMapColumn(top *parquet.Column) bool {
	if lt := top.Type().LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.MapType); ok {
			return true
		}
	}
	kids := top.Columns()
	if len(kids) != 1 {
		return false
	}
	kv := kids[0].Columns()
	return len(kv) == 2 && kv[0].Name() == "key" && kv[1].Name() == "value"
}

// readNested adds column nc to each row's map.
func readNested(meta []map[string]any, nc nestedColumn) error {
	if nc.isMap {
		return readMapColumn(meta, nc)
	}
	for _, leaf := range nc.leaves {
		path, maxDef := leaf.Path()[1:], leaf.MaxDefinitionLevel()
		err := scalarValues(leaf, len(meta), func(row int, v parquet.Value) error {
			if v.DefinitionLevel() < maxDef || v.IsNull() {
				return nil
			}
			x, ok := scalarValue(v)
			if !ok {
				return nil
			}
			obj, _ := meta[row][nc.name].(map[string]any)
			if obj == nil {
				obj = map[string]any{}
				meta[row][nc.name] = obj
			}
			for _, p := range path[:len(path)-1] {
				sub, _ := obj[p].(map[string]any)
				if sub == nil {
					sub = map[string]any{}
					obj[p] = sub
				}
				obj = sub
			}
			obj[path[len(path)-1]] = x
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func readMapColumn(meta []map[string]any, nc nestedColumn) error {
	keys, err := listRows(nc.leaves[0], len(meta))
	if err != nil {
		return err
	}
	vals, err := listRows(nc.leaves[1], len(meta))
	if err != nil {
		return err
	}
	for row := range meta {
		if keys[row] == nil {
			continue
		}
		if len(keys[row]) != len(vals[row]) {
			return errorf(ErrFormat, "parquet column %q row %d: %d keys but %d values", nc.name, row, len(keys[row]), len(vals[row]))
		}
		obj := make(map[string]any, len(keys[row]))
		for i, k := range keys[row] {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			obj[ks] = vals[row][i]
		}
		meta[row][nc.name] = obj
	}
	return nil
}

// listRows reads a column repeated once (a list's elements, a map's keys or
// values) into one slice per row. A value with repetition level 0 starts a
// row; one at the maximum definition level is an element, one level below
// it a null element (when elements are optional); lower levels mean an
// empty or null list, which leaves the row's slice nil.
func listRows(c *parquet.Column, rows int) ([][]any, error) {
	name := strings.Join(c.Path(), ".")
	maxDef, optElem := c.MaxDefinitionLevel(), c.Optional()
	out := make([][]any, rows)
	row := -1
	err := eachValue(c, func(v parquet.Value) error {
		if v.RepetitionLevel() == 0 {
			row++
			if row >= rows {
				return errorf(ErrShape, "parquet column %q: more rows than the %d vector rows", name, rows)
			}
		} else if row < 0 {
			return errorf(ErrFormat, "parquet column %q: first value continues a row", name)
		}
		switch d := v.DefinitionLevel(); {
		case d == maxDef && !v.IsNull():
			if x, ok := scalarValue(v); ok {
				out[row] = append(out[row], x)
			}
		case optElem && d == maxDef-1:
			out[row] = append(out[row], nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if row+1 != rows {
		return nil, errorf(ErrShape, "parquet column %q: %d rows but %d vector rows", name, row+1, rows)
	}
	return out, nil
}
