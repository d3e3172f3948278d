package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/vecio"
)

// importVectors loads a space's vectors from an uploaded file:
// multipart fields "space", "vectors" (.npy, .npz or .parquet), for .npy
// "ids" (JSON array, .npy of strings/ints, or text, one id a line), and
// optionally "metadata" (CSV or JSON lines, keyed by an id column or by
// row). The .npz's extra arrays and the Parquet file's other columns are
// metadata too; the "metadata" part wins where both name a field.
func (s *Server) importVectors(c *gin.Context) {
	// A declared length over the limit is refused before a byte of the
	// body is read (the MaxBytesReader catches bodies that lie or stream).
	if n := c.Request.ContentLength; n > s.opts.MaxUploadBytes {
		fail(c, &http.MaxBytesError{Limit: s.opts.MaxUploadBytes})
		return
	}
	// Parse here rather than through c.PostForm, which drops the error: a
	// body cut off at the limit must be a 413, not "space is required".
	if err := c.Request.ParseMultipartForm(multipartMemory); err != nil {
		fail(c, uploadErr("body", err))
		return
	}
	space := c.PostForm("space")
	if space == "" {
		fail(c, bad("space", "multipart field space is required"))
		return
	}
	fh, err := c.FormFile("vectors")
	if err != nil {
		fail(c, uploadErr("vectors", err))
		return
	}
	ids, m, meta, err := s.readVectors(c, fh)
	if err == nil {
		meta, err = s.mergeMetaPart(c, ids, meta)
	}
	if err != nil {
		fail(c, err)
		return
	}
	batch := engine.ImportBatch{Space: space, IDs: ids, Data: m.Data, Dim: m.Cols}
	if meta != nil {
		batch.Metadata = make([]json.RawMessage, len(meta))
		for i, row := range meta {
			if len(row) == 0 {
				continue
			}
			if batch.Metadata[i], err = json.Marshal(row); err != nil {
				fail(c, bad(fmt.Sprintf("metadata[%d]", i), err.Error()))
				return
			}
		}
	}
	res, err := s.eng.Import(c.Request.Context(), c.Param("ds"), batch, nil)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// multipartMemory is how much of a multipart body is kept in memory; larger
// parts go to temporary files. The Python client's batches fit.
const multipartMemory = 64 << 20

func uploadErr(field string, err error) error {
	var mbe *http.MaxBytesError
	if ok := asMaxBytes(err, &mbe); ok {
		return mbe
	}
	return bad(field, "multipart file field "+field+" is required ("+err.Error()+")")
}

func (s *Server) readVectors(c *gin.Context, fh *multipart.FileHeader) ([]string, *vecio.Matrix, []map[string]any, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, nil, nil, bad("vectors", err.Error())
	}
	defer f.Close()
	var magic [6]byte
	n, _ := f.ReadAt(magic[:], 0)
	lim := vecio.DefaultLimits()
	lim.MaxBytes = s.opts.MaxUploadBytes
	switch {
	case n >= 4 && string(magic[:4]) == "PAR1":
		ids, m, meta, err := vecio.ReadParquet(f, fh.Size, vecio.ParquetOptions{IDColumn: c.PostForm("id_column"),
			VectorColumn: c.PostForm("vector_column"), Metadata: true, Limits: lim})
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		return ids, m, meta, nil
	case n >= 4 && string(magic[:4]) == "PK\x03\x04":
		z, err := vecio.ReadNPZ(f, fh.Size, lim)
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		t, err := vecio.ReadNPZTable(z)
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		if t.IDs == nil {
			if t.IDs, err = s.readIDs(c, lim); err != nil {
				return nil, nil, nil, err
			}
		}
		return t.IDs, t.Matrix, t.Metadata, nil
	case n == 6 && string(magic[:]) == "\x93NUMPY":
		m, err := vecio.ReadNPY(io.NewSectionReader(f, 0, fh.Size), lim)
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		ids, err := s.readIDs(c, lim)
		if err != nil {
			return nil, nil, nil, err
		}
		return ids, m, nil, nil
	}
	return nil, nil, nil, bad("vectors", "is not .npy, .npz or Parquet (unrecognised magic bytes)")
}

// readIDs reads the "ids" upload: a JSON array, an .npy array, or text.
func (s *Server) readIDs(c *gin.Context, lim vecio.Limits) ([]string, error) {
	fh, err := c.FormFile("ids")
	if err != nil {
		return nil, uploadErr("ids", err)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, bad("ids", err.Error())
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxBytes))
	if err != nil {
		return nil, bad("ids", err.Error())
	}
	var ids []string
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(data, []byte("\x93NUMPY")):
		ids, err = vecio.ReadNPYStrings(bytes.NewReader(data), lim)
	case bytes.HasPrefix(trimmed, []byte("[")):
		ids, err = vecio.ReadIDsJSON(bytes.NewReader(data), lim)
	default:
		ids, err = vecio.ReadIDsText(bytes.NewReader(data), lim)
	}
	if err != nil {
		return nil, bad("ids", err.Error())
	}
	return ids, nil
}

// mergeMetaPart reads the optional "metadata" part and lays it over the
// metadata the vectors file carried. The format comes from the file name
// (.csv, .jsonl/.ndjson) or, failing that, from the first byte ('{' means
// JSON lines).
func (s *Server) mergeMetaPart(c *gin.Context, ids []string, meta []map[string]any) ([]map[string]any, error) {
	fh, err := c.FormFile("metadata")
	if errors.Is(err, http.ErrMissingFile) {
		return meta, nil
	}
	if err != nil {
		return nil, uploadErr("metadata", err)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, bad("metadata", err.Error())
	}
	defer f.Close()
	lim := vecio.DefaultLimits()
	lim.MaxBytes = s.opts.MaxUploadBytes
	br := bufio.NewReader(f)
	head, _ := br.Peek(64)
	name := strings.ToLower(fh.Filename)
	var t *vecio.MetaTable
	switch {
	case strings.HasSuffix(name, ".csv"):
		t, err = vecio.ReadMetaCSV(br, lim)
	case strings.HasSuffix(name, ".jsonl"), strings.HasSuffix(name, ".ndjson"),
		bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("{")):
		t, err = vecio.ReadMetaJSONL(br, lim)
	default:
		t, err = vecio.ReadMetaCSV(br, lim)
	}
	if err != nil {
		return nil, bad("metadata", err.Error())
	}
	rows, err := t.Align(ids)
	if err != nil {
		return nil, bad("metadata", err.Error())
	}
	if meta == nil {
		return rows, nil
	}
	for i, row := range rows {
		if meta[i] == nil {
			meta[i] = map[string]any{}
		}
		for k, v := range row {
			meta[i][k] = v
		}
	}
	return meta, nil
}

// export returns one space's vectors: format=parquet (id, embedding,
// metadata), npz (ids, embeddings, metadata as JSON strings; numpy reads it
// with np.load) or npy (embeddings only, in id order). Numbers in metadata
// are passed through as stored, so export → import round-trips exactly.
func (s *Server) export(c *gin.Context) {
	space, format := c.Query("space"), strings.ToLower(c.DefaultQuery("format", "parquet"))
	if space == "" {
		fail(c, bad("space", "query parameter space is required"))
		return
	}
	if format != "parquet" && format != "npz" && format != "npy" {
		fail(c, bad("format", "must be parquet, npz or npy"))
		return
	}
	var (
		ids  []string
		data []float32
		meta []map[string]any
		raw  []string
		dim  int
	)
	err := s.eng.ScanPoints(c.Request.Context(), c.Param("ds"), []string{space}, func(p engine.PointView) error {
		v, ok := p.Vectors[space]
		if !ok {
			return nil
		}
		dim = len(v)
		ids, data = append(ids, p.ID), append(data, v...)
		switch format {
		case "parquet":
			var m map[string]any
			if len(p.Metadata) > 0 {
				dec := json.NewDecoder(bytes.NewReader(p.Metadata))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					return err
				}
			}
			meta = append(meta, m)
		case "npz":
			js := "{}"
			if len(p.Metadata) > 0 {
				js = string(p.Metadata)
			}
			raw = append(raw, js)
		}
		return nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	m := &vecio.Matrix{Rows: len(ids), Cols: dim, Data: data}
	name := c.Param("ds") + "-" + space + "." + format
	var buf bytes.Buffer
	switch format {
	case "parquet":
		err = vecio.WriteParquet(&buf, ids, m, meta)
	case "npz":
		err = vecio.WriteNPZ(&buf, ids, m, raw)
	default:
		err = vecio.WriteNPY(&buf, m)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, "application/octet-stream", buf.Bytes())
}
