package vecio

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// pqRow and pqMetaRow fix the written schema. The "list" tag produces the
// standard three-level LIST layout (embedding.list.element), which pyarrow,
// DuckDB and Spark read as list<float>.
type pqRow struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
}

type pqMetaRow struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
	Metadata  string    `parquet:"metadata"`
}

// writeBatch bounds how many row structs exist at once; they only reference
// the matrix rows, so this is about slice headers, not vector data.
const writeBatch = 4096

// WriteParquet writes a Snappy-compressed table with columns id (string)
// and embedding (list<float>), plus metadata (a JSON object string per
// row) when metadata is non-nil. ids and metadata, when given, must have
// one entry per matrix row.
func WriteParquet(w io.Writer, ids []string, m *Matrix, metadata []map[string]any) error {
	if err := m.validate(); err != nil {
		return err
	}
	if len(ids) != m.Rows {
		return errorf(ErrShape, "parquet write: %d ids for %d rows", len(ids), m.Rows)
	}
	if metadata != nil && len(metadata) != m.Rows {
		return errorf(ErrShape, "parquet write: %d metadata entries for %d rows", len(metadata), m.Rows)
	}
	opts := []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.CreatedBy("reef-vecio", "", "")}
	if metadata == nil {
		pw := parquet.NewGenericWriter[pqRow](w, opts...)
		batch := make([]pqRow, 0, writeBatch)
		for i := 0; i < m.Rows; i++ {
			batch = append(batch, pqRow{ID: ids[i], Embedding: m.Row(i)})
			if len(batch) == cap(batch) || i == m.Rows-1 {
				if _, err := pw.Write(batch); err != nil {
					return fmt.Errorf("vecio: parquet write: %w", err)
				}
				batch = batch[:0]
			}
		}
		return pw.Close()
	}
	pw := parquet.NewGenericWriter[pqMetaRow](w, opts...)
	batch := make([]pqMetaRow, 0, writeBatch)
	for i := 0; i < m.Rows; i++ {
		js := []byte("{}")
		if metadata[i] != nil {
			var err error
			if js, err = json.Marshal(metadata[i]); err != nil {
				return fmt.Errorf("vecio: parquet write: metadata row %d: %w", i, err)
			}
		}
		batch = append(batch, pqMetaRow{ID: ids[i], Embedding: m.Row(i), Metadata: string(js)})
		if len(batch) == cap(batch) || i == m.Rows-1 {
			if _, err := pw.Write(batch); err != nil {
				return fmt.Errorf("vecio: parquet write: %w", err)
			}
			batch = batch[:0]
		}
	}
	return pw.Close()
}
