package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reef-ml/reef/storage"
)

// ImportBatch is a bulk load of one space's vectors: row i of Data (Dim
// floats) belongs to IDs[i]. Points that exist keep their other spaces,
// objects and (unless Metadata gives new) metadata.
type ImportBatch struct {
	Space    string
	IDs      []string
	Data     []float32
	Dim      int
	Metadata []json.RawMessage // optional, one per row
}

// importChunk is the number of rows per transaction: large enough to
// amortise fsync, small enough to keep transactions and index batches light.
const importChunk = 4096

// Import validates every row first, then writes in transactions of
// importChunk rows, calling progress after each. A crash mid-import leaves
// whole chunks; re-running the import is idempotent.
func (e *Engine) Import(ctx context.Context, dataset string, b ImportBatch, progress func(done, total int)) (WriteResult, error) {
	st, sp, err := e.space(dataset, b.Space)
	if err != nil {
		return WriteResult{}, err
	}
	n := len(b.IDs)
	switch {
	case n == 0:
		return WriteResult{}, fieldErr(ErrInvalid, "ids", "no rows to import")
	case b.Dim != sp.info.Dim:
		return WriteResult{}, fieldErr(ErrDimensionMismatch, "vectors", "have %d columns, space %q has dim %d", b.Dim, b.Space, sp.info.Dim)
	case len(b.Data) != n*b.Dim:
		return WriteResult{}, fieldErr(ErrInvalid, "vectors", "have %d rows, ids have %d", len(b.Data)/max(b.Dim, 1), n)
	case b.Metadata != nil && len(b.Metadata) != n:
		return WriteResult{}, fieldErr(ErrInvalid, "metadata", "has %d rows, ids have %d", len(b.Metadata), n)
	}
	seen := make(map[string]int, n)
	points := make([]storage.Point, n)
	for i, id := range b.IDs {
		f := fmt.Sprintf("ids[%d]", i)
		if err := e.checkID(f, id); err != nil {
			return WriteResult{}, err
		}
		if j, dup := seen[id]; dup {
			return WriteResult{}, fieldErr(ErrInvalid, f, "%q repeats ids[%d]", id, j)
		}
		seen[id] = i
		v := b.Data[i*b.Dim : (i+1)*b.Dim : (i+1)*b.Dim]
		if err := checkVector(fmt.Sprintf("vectors[%d]", i), v, sp.info.Dim, sp.metric); err != nil {
			return WriteResult{}, err
		}
		points[i] = storage.Point{ID: id, Vectors: map[string][]float32{b.Space: v}}
		if b.Metadata != nil {
			if points[i].Metadata, err = e.checkMetadata(fmt.Sprintf("metadata[%d]", i), b.Metadata[i]); err != nil {
				return WriteResult{}, err
			}
		}
	}
	var res WriteResult
	for lo := 0; lo < n; lo += importChunk {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		hi := min(lo+importChunk, n)
		seq, err := e.writeChunk(ctx, dataset, st, points[lo:hi])
		if err != nil {
			return res, fmt.Errorf("rows %d–%d (rows before %d are committed): %w", lo, hi-1, lo, err)
		}
		res.Upserted, res.Seq = hi, seq
		if progress != nil {
			progress(hi, n)
		}
	}
	return res, nil
}

func (e *Engine) writeChunk(ctx context.Context, dataset string, st *datasetState, points []storage.Point) (uint64, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if cur, err := e.dataset(dataset); err != nil || cur != st {
		return 0, fieldErr(ErrNotFound, "dataset", "dataset %q was deleted", dataset)
	}
	seq, err := e.store.Upsert(ctx, dataset, points, true)
	return seq, fromStorage(err)
}

// ScanPoints streams a dataset's points with the named spaces' vectors, in
// id order, from one consistent read transaction.
func (e *Engine) ScanPoints(ctx context.Context, dataset string, spaces []string, fn func(p PointView) error) error {
	if _, err := e.dataset(dataset); err != nil {
		return err
	}
	for i, s := range spaces {
		if _, _, err := e.space(dataset, s); err != nil {
			return fieldErr(ErrNotFound, fmt.Sprintf("spaces[%d]", i), "%v", err)
		}
	}
	return fromStorage(e.store.ScanPoints(ctx, dataset, spaces, func(p *storage.Point) error {
		return fn(pointView(p))
	}))
}
