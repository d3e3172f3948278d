package vecio

import (
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ParquetOptions selects the columns ReadParquet decodes.
type ParquetOptions struct {
	// IDColumn names the top-level id column (string, int32 or int64).
	// Empty means "id", in which case a missing column yields nil ids;
	// an explicitly named column must exist.
	IDColumn string
	// VectorColumn names the list<float> or list<double> column. Empty
	// means: the only such column, else the first of embedding, vector,
	// embeddings, vectors.
	VectorColumn string
	// Metadata, when set, also returns every other top-level scalar or
	// list column per row (lists as []any); a string column named
	// "metadata" holding JSON objects (as WriteParquet writes) is expanded
	// into the row's map. Struct and map columns are not read.
	Metadata bool
	Limits   Limits
}

var vectorColumnNames = []string{"embedding", "vector", "embeddings", "vectors"}

// ReadParquet decodes an embeddings table. Every row must have a non-null
// vector of the same length; the error names the first row that does not.
// Arrow FixedSizeList columns are stored as ordinary Parquet lists and are
// read the same way.
func ReadParquet(r io.ReaderAt, size int64, opts ParquetOptions) (ids []string, m *Matrix, meta []map[string]any, err error) {
	lim := opts.Limits.norm()
	if err := checkParquetFooter(r, size); err != nil {
		return nil, nil, nil, err
	}
	// parquet-go is not hardened against every corrupt encoding: fuzzing
	// finds index-out-of-range panics deep in its page decoders. The
	// sizes that could exhaust memory are validated above and in
	// scanChunkPages; what remains is a library bug on garbage input,
	// which we report as ErrFormat rather than crash the host process.
	defer func() {
		if p := recover(); p != nil {
			ids, m, meta = nil, nil, nil
			err = errorf(ErrFormat, "parquet: corrupt file (decoder panic: %v)", p)
		}
	}()
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, nil, nil, errorf(ErrFormat, "parquet: %v", err)
	}
	pr := &parquetReader{f: f, size: size, lim: lim}
	return pr.read(opts)
}

type parquetReader struct {
	f    *parquet.File
	size int64
	lim  Limits
	rows int
}

// leafOf returns the single leaf under a top-level field, or nil if the
// field is a group with several leaves (a struct column).
func leafOf(c *parquet.Column) *parquet.Column {
	for !c.Leaf() {
		kids := c.Columns()
		if len(kids) != 1 {
			return nil
		}
		c = kids[0]
	}
	return c
}

func (p *parquetReader) read(opts ParquetOptions) ([]string, *Matrix, []map[string]any, error) {
	md := p.f.Metadata()
	if md.NumRows < 0 || md.NumRows > int64(p.lim.MaxRows) {
		return nil, nil, nil, errorf(ErrTooLarge, "parquet: %d rows exceeds limit %d", md.NumRows, p.lim.MaxRows)
	}
	p.rows = int(md.NumRows)
	var vecs, scalars, lists []*parquet.Column
	var nested []nestedColumn
	byName := map[string]*parquet.Column{}
	listName := map[*parquet.Column]string{}
	for _, top := range p.f.Root().Columns() {
		leaf := leafOf(top)
		if leaf == nil {
			if opts.Metadata {
				nc, err := classifyNested(top)
				if err != nil {
					return nil, nil, nil, err
				}
				nested = append(nested, nc)
			}
			continue
		}
		byName[top.Name()] = leaf
		switch leaf.MaxRepetitionLevel() {
		case 0:
			scalars = append(scalars, leaf)
		case 1:
			lists, listName[leaf] = append(lists, leaf), top.Name()
			if k := leaf.Type().Kind(); k == parquet.Float || k == parquet.Double {
				vecs = append(vecs, leaf)
			}
		}
	}
	vec, err := pickVectorColumn(opts.VectorColumn, vecs, byName)
	if err != nil {
		return nil, nil, nil, err
	}
	idName := opts.IDColumn
	if idName == "" {
		idName = "id"
	}
	idCol := byName[idName]
	if idCol == nil && opts.IDColumn != "" {
		return nil, nil, nil, errorf(ErrFormat, "parquet: no id column %q", idName)
	}
	if idCol != nil {
		if idCol.MaxRepetitionLevel() != 0 {
			return nil, nil, nil, errorf(ErrShape, "parquet: id column %q is repeated", idName)
		}
		switch idCol.Type().Kind() {
		case parquet.ByteArray, parquet.Int32, parquet.Int64:
		default:
			return nil, nil, nil, errorf(ErrUnsupportedDType, "parquet: id column %q has type %v; want string, int32 or int64", idName, idCol.Type())
		}
	}
	var metaCols, metaLists []*parquet.Column
	if opts.Metadata {
		for _, c := range scalars {
			if c != idCol {
				metaCols = append(metaCols, c)
			}
		}
		for _, c := range lists {
			if c != vec {
				metaLists = append(metaLists, c)
			}
		}
	}
	// Validate every page we are about to decode before decoding any.
	budget := pageBudget{uncompressed: 2*p.lim.MaxBytes + 64<<20}
	scan := append(append([]*parquet.Column{vec, idCol}, metaCols...), metaLists...)
	for _, nc := range nested {
		scan = append(scan, nc.leaves...)
	}
	for _, c := range scan {
		if c == nil {
			continue
		}
		budget.values = int64(p.lim.MaxRows)
		if c.MaxRepetitionLevel() > 0 {
			budget.values += p.lim.MaxBytes / 4
		}
		if err := p.scanColumn(c, &budget); err != nil {
			return nil, nil, nil, err
		}
	}
	m, err := p.readVectors(vec)
	if err != nil {
		return nil, nil, nil, err
	}
	var ids []string
	if idCol != nil {
		if ids, err = p.readIDs(idCol, m.Rows); err != nil {
			return nil, nil, nil, err
		}
	}
	var meta []map[string]any
	if opts.Metadata {
		if meta, err = p.readMetadata(metaCols, m.Rows); err != nil {
			return nil, nil, nil, err
		}
		for _, c := range metaLists {
			if err := readListMetadata(meta, listName[c], c); err != nil {
				return nil, nil, nil, err
			}
		}
		for _, nc := range nested {
			if err := readNested(meta, nc); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	return ids, m, meta, nil
}

// scanColumn checks the byte ranges and page headers of column c in every
// row group.
func (p *parquetReader) scanColumn(c *parquet.Column, b *pageBudget) error {
	name := strings.Join(c.Path(), ".")
	dataEnd := p.size - 8 // footer follows the column chunks
	for gi, rg := range p.f.Metadata().RowGroups {
		if c.Index() < 0 || c.Index() >= len(rg.Columns) {
			return errorf(ErrFormat, "parquet: row group %d lacks column %q", gi, name)
		}
		cm := rg.Columns[c.Index()].MetaData
		start := cm.DataPageOffset
		if cm.DictionaryPageOffset != 0 {
			start = cm.DictionaryPageOffset
		}
		if start < 4 || cm.TotalCompressedSize < 0 || cm.TotalCompressedSize > dataEnd-start {
			return errorf(ErrFormat, "parquet: column %q row group %d: chunk [%d, +%d) outside file", name, gi, start, cm.TotalCompressedSize)
		}
		what := fmt.Sprintf("parquet column %q row group %d", name, gi)
		if err := scanChunkPages(p.f, start, start+cm.TotalCompressedSize, b, what); err != nil {
			return err
		}
	}
	return nil
}

// eachValue streams the values of leaf column c through fn.
func eachValue(c *parquet.Column, fn func(v parquet.Value) error) error {
	pages := c.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 1024)
	for {
		pg, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errorf(ErrFormat, "parquet column %q: %v", strings.Join(c.Path(), "."), err)
		}
		vr := pg.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if ferr := fn(v); ferr != nil {
					parquet.Release(pg)
					return ferr
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(pg)
				return errorf(ErrFormat, "parquet column %q: %v", strings.Join(c.Path(), "."), err)
			}
		}
		parquet.Release(pg)
	}
}

// readVectors decodes the list column into a Matrix. A value with
// repetition level 0 starts a new row; a definition level below the
// maximum is a null/empty list or a null element, none of which can be a
// vector component.
func (p *parquetReader) readVectors(c *parquet.Column) (*Matrix, error) {
	name := strings.Join(c.Path(), ".")
	maxDef := c.MaxDefinitionLevel()
	double := c.Type().Kind() == parquet.Double
	m := &Matrix{}
	// Capacity is a hint bounded by the file size (plain floats take four
	// bytes each), never by counts the file merely declares.
	m.Data = make([]float32, 0, min(p.size/4, p.lim.MaxBytes/4))
	cur, started := 0, false
	endRow := func() error {
		if m.Rows == 0 {
			m.Cols = cur
		} else if cur != m.Cols {
			return errorf(ErrShape, "parquet column %q row %d: %d values, want %d like row 0", name, m.Rows, cur, m.Cols)
		}
		m.Rows++
		return nil
	}
	maxData := p.lim.MaxBytes / 4
	err := eachValue(c, func(v parquet.Value) error {
		if v.RepetitionLevel() == 0 {
			if started {
				if err := endRow(); err != nil {
					return err
				}
			}
			if m.Rows >= p.lim.MaxRows {
				return errorf(ErrTooLarge, "parquet column %q: more than %d rows", name, p.lim.MaxRows)
			}
			started, cur = true, 0
		} else if !started {
			return errorf(ErrFormat, "parquet column %q: first value continues a row", name)
		}
		if v.DefinitionLevel() < maxDef {
			return errorf(ErrShape, "parquet column %q row %d: null or empty vector, or null element", name, m.Rows)
		}
		if cur >= p.lim.MaxCols {
			return errorf(ErrTooLarge, "parquet column %q row %d: more than %d values", name, m.Rows, p.lim.MaxCols)
		}
		if int64(len(m.Data)) >= maxData {
			return errorf(ErrTooLarge, "parquet column %q: data exceeds %d bytes", name, p.lim.MaxBytes)
		}
		if double {
			m.Data = append(m.Data, float32(v.Double()))
		} else {
			m.Data = append(m.Data, v.Float())
		}
		cur++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if started {
		if err := endRow(); err != nil {
			return nil, err
		}
	}
	if m.Rows != p.rows {
		return nil, errorf(ErrShape, "parquet column %q: %d rows but file metadata says %d", name, m.Rows, p.rows)
	}
	return m, nil
}
