package server

import (
	"bytes"
	"encoding/json"
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
// multipart fields "space", "vectors" (.npy, .npz or .parquet) and, for
// .npy, "ids" (JSON array, .npy of strings/ints, or text, one id a line).
func (s *Server) importVectors(c *gin.Context) {
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
			VectorColumn: c.PostForm("vector_column"), Limits: lim})
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		return ids, m, meta, nil
	case n >= 4 && string(magic[:4]) == "PK\x03\x04":
		z, err := vecio.ReadNPZ(f, fh.Size, lim)
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		ids, m, err := vecio.EmbeddingsFromNPZ(z)
		if err != nil {
			return nil, nil, nil, bad("vectors", err.Error())
		}
		if ids == nil {
			if ids, err = s.readIDs(c, lim); err != nil {
				return nil, nil, nil, err
			}
		}
		return ids, m, nil, nil
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

// export returns one space's vectors: format=parquet (id, embedding,
// metadata) or npy (embeddings only, in id order; the ids come from
// format=parquet or GET points).
func (s *Server) export(c *gin.Context) {
	space, format := c.Query("space"), c.DefaultQuery("format", "parquet")
	if space == "" {
		fail(c, bad("space", "query parameter space is required"))
		return
	}
	var (
		ids  []string
		data []float32
		meta []map[string]any
		dim  int
	)
	err := s.eng.ScanPoints(c.Request.Context(), c.Param("ds"), []string{space}, func(p engine.PointView) error {
		v, ok := p.Vectors[space]
		if !ok {
			return nil
		}
		dim = len(v)
		ids, data = append(ids, p.ID), append(data, v...)
		if format == "parquet" {
			var m map[string]any
			if len(p.Metadata) > 0 {
				if err := json.Unmarshal(p.Metadata, &m); err != nil {
					return err
				}
			}
			meta = append(meta, m)
		}
		return nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	m := &vecio.Matrix{Rows: len(ids), Cols: dim, Data: data}
	name := c.Param("ds") + "-" + space
	var buf bytes.Buffer
	switch strings.ToLower(format) {
	case "parquet":
		err = vecio.WriteParquet(&buf, ids, m, meta)
		name += ".parquet"
	case "npy":
		err = vecio.WriteNPY(&buf, m)
		name += ".npy"
	default:
		fail(c, bad("format", "must be parquet or npy"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, "application/octet-stream", buf.Bytes())
}
