package vecio

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// scalarValues reads a non-repeated column, calling fn with the row index
// and value (null values included, so callers decide what null means).
func scalarValues(c *parquet.Column, rows int, fn func(row int, v parquet.Value) error) error {
	name := strings.Join(c.Path(), ".")
	row := 0
	err := eachValue(c, func(v parquet.Value) error {
		if row >= rows {
			return errorf(ErrShape, "parquet column %q: more values than the %d vector rows", name, rows)
		}
		if err := fn(row, v); err != nil {
			return err
		}
		row++
		return nil
	})
	if err == nil && row != rows {
		err = errorf(ErrShape, "parquet column %q: %d values but %d vector rows", name, row, rows)
	}
	return err
}

func (p *parquetReader) readIDs(c *parquet.Column, rows int) ([]string, error) {
	name := strings.Join(c.Path(), ".")
	ids := make([]string, rows)
	maxDef := c.MaxDefinitionLevel()
	err := scalarValues(c, rows, func(row int, v parquet.Value) error {
		if v.DefinitionLevel() < maxDef || v.IsNull() {
			return errorf(ErrFormat, "parquet column %q row %d: null id", name, row)
		}
		switch v.Kind() {
		case parquet.ByteArray:
			b := v.ByteArray()
			if len(b) > maxIDBytes {
				return errorf(ErrTooLarge, "parquet column %q row %d: id longer than %d bytes", name, row, maxIDBytes)
			}
			if !utf8.Valid(b) {
				return errorf(ErrFormat, "parquet column %q row %d: id is not UTF-8", name, row)
			}
			ids[row] = string(b)
		case parquet.Int32:
			ids[row] = fmt.Sprint(v.Int32())
		case parquet.Int64:
			ids[row] = fmt.Sprint(v.Int64())
		default:
			return errorf(ErrUnsupportedDType, "parquet column %q row %d: id of kind %v", name, row, v.Kind())
		}
		return nil
	})
	return ids, err
}

// readMetadata gathers the other scalar columns, one map per row; null
// values are left out of the map.
func (p *parquetReader) readMetadata(cols []*parquet.Column, rows int) ([]map[string]any, error) {
	meta := make([]map[string]any, rows)
	for i := range meta {
		meta[i] = map[string]any{}
	}
	for _, c := range cols {
		name := strings.Join(c.Path(), ".")
		maxDef := c.MaxDefinitionLevel()
		isJSON := name == "metadata" && c.Type().Kind() == parquet.ByteArray
		err := scalarValues(c, rows, func(row int, v parquet.Value) error {
			if v.DefinitionLevel() < maxDef || v.IsNull() {
				return nil
			}
			x, ok := scalarValue(v)
			if !ok {
				return nil // int96 timestamps etc.: not worth guessing
			}
			if s, ok := x.(string); ok && isJSON {
				obj := map[string]any{}
				dec := json.NewDecoder(strings.NewReader(s))
				dec.UseNumber() // keep numbers exactly as exported
				if err := dec.Decode(&obj); err == nil {
					for k, val := range obj {
						meta[row][k] = val
					}
					return nil
				}
			}
			if x != nil {
				meta[row][name] = x
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return meta, nil
}

// scalarValue converts one non-null value; ok is false for kinds not worth
// guessing at (int96 timestamps and the like).
func scalarValue(v parquet.Value) (any, bool) {
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean(), true
	case parquet.Int32:
		return int64(v.Int32()), true
	case parquet.Int64:
		return v.Int64(), true
	case parquet.Float:
		return jsonFloat(float64(v.Float()), 32), true
	case parquet.Double:
		return jsonFloat(v.Double(), 64), true
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray()), true
	}
	return nil, false
}

// readListMetadata adds list column c (e.g. tags: list<string>) to each
// row's map under name; an empty or null list leaves the row without it.
func readListMetadata(meta []map[string]any, name string, c *parquet.Column) error {
	rows, err := listRows(c, len(meta))
	if err != nil {
		return err
	}
	for i, l := range rows {
		if l != nil {
			meta[i][name] = l
		}
	}
	return nil
}

// pickVectorColumn applies ParquetOptions.VectorColumn's selection rule.
func pickVectorColumn(name string, vecs []*parquet.Column, byName map[string]*parquet.Column) (*parquet.Column, error) {
	isVec := func(c *parquet.Column) bool {
		for _, v := range vecs {
			if v == c {
				return true
			}
		}
		return false
	}
	if name != "" {
		c := byName[name]
		if c == nil {
			return nil, errorf(ErrFormat, "parquet: no vector column %q", name)
		}
		if !isVec(c) {
			return nil, errorf(ErrUnsupportedDType, "parquet: column %q is %v, want list<float> or list<double>", name, c.Type())
		}
		return c, nil
	}
	if len(vecs) == 1 {
		return vecs[0], nil
	}
	for _, n := range vectorColumnNames {
		if c := byName[n]; c != nil && isVec(c) {
			return c, nil
		}
	}
	var names []string
	for _, v := range vecs {
		names = append(names, strings.Join(v.Path(), "."))
	}
	return nil, errorf(ErrFormat, "parquet: cannot pick the vector column among %d list<float|double> columns [%s]; set VectorColumn", len(vecs), strings.Join(names, ", "))
}

// jsonFloat renders f as the shortest decimal that round-trips at its
// precision, or nil for NaN and ±Inf, which JSON cannot hold (pandas
// writes missing numbers as NaN).
func jsonFloat(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}
