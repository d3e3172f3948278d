package vecio

import (
	"encoding/json"
	"slices"
	"strings"
)

// NPZTable is what an archive holds when read as a table: the embedding
// matrix, ids when the archive has them, and one metadata map per row.
type NPZTable struct {
	IDs    []string
	Matrix *Matrix
	// Metadata has one map per row, built from every other array (see
	// ReadNPZTable); nil when the archive has no other arrays. A row's map
	// lacks a field whose value was NaN.
	Metadata []map[string]any
	// Fields names the metadata arrays, sorted; a "metadata" array of JSON
	// objects (as WriteNPZ writes) is expanded and not listed.
	Fields []string
}

// ReadNPZTable picks the embeddings and ids as EmbeddingsFromNPZ does and
// turns every other array into a metadata field named by its key. Each must
// be 1-D with one value per row (see ReadNPYColumn for the types); any other
// array is an error naming it, so nothing in the archive is silently dropped.
func ReadNPZTable(z *NPZ) (*NPZTable, error) {
	ids, m, used, err := z.embeddings()
	if err != nil {
		return nil, err
	}
	t := &NPZTable{IDs: ids, Matrix: m}
	for _, name := range z.names {
		if slices.Contains(used, name) {
			continue
		}
		col, err := z.column(name)
		if err != nil {
			return nil, err
		}
		if len(col) != m.Rows {
			return nil, errorf(ErrShape, "npz: array %q has %d values but %q has %d rows; metadata arrays need one value per row", name, len(col), used[0], m.Rows)
		}
		if t.Metadata == nil {
			t.Metadata = make([]map[string]any, m.Rows)
			for i := range t.Metadata {
				t.Metadata[i] = map[string]any{}
			}
		}
		if name == "metadata" {
			if objs, ok := jsonObjects(col); ok {
				for i, obj := range objs {
					for k, v := range obj {
						t.Metadata[i][k] = v
					}
				}
				continue
			}
		}
		for i, v := range col {
			if v != nil {
				t.Metadata[i][name] = v
			}
		}
		t.Fields = append(t.Fields, name)
	}
	return t, nil
}

// jsonObjects decodes a column of JSON object strings (WriteNPZ's metadata
// array); ok is false when any value is not one, and the column is then an
// ordinary field.
func jsonObjects(col []any) ([]map[string]any, bool) {
	out := make([]map[string]any, len(col))
	for i, v := range col {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&out[i]); err != nil || out[i] == nil || dec.More() {
			return nil, false
		}
	}
	return out, true
}

// column decodes array name as metadata values, saying in the error what
// the archive's arrays were taken to be.
func (z *NPZ) column(name string) ([]any, error) {
	info, err := z.Info(name)
	if err != nil {
		return nil, err
	}
	if len(info.Shape) != 1 {
		return nil, errorf(ErrShape, "npz: array %q has shape %v; besides the embeddings and ids an archive may hold only 1-D metadata arrays (have %s)",
			name, info.Shape, strings.Join(z.names, ", "))
	}
	sr, c, err := z.open(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	col, err := ReadNPYColumn(sr, z.lim)
	return col, memberErr(err, name)
}
