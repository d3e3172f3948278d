package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
)

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors that name the problem.
//
// The body is read whole (it is bounded by the body limit) and scanned
// against jsonLimits before any Go value is built, so a refused request
// holds about its body size, not its decoded size.
func decode(c *gin.Context, v any) error {
	body, err := readBody(c.Request)
	if err != nil {
		return err
	}
	if s, ok := c.Get(ctxServer); ok {
		top, err := scanJSONCounts(body, s.(*Server).jsonLimits(c.FullPath()))
		if err != nil {
			return err
		}
		if strings.HasSuffix(c.FullPath(), "/coords") {
			if err := s.(*Server).checkCoordCounts(c, top); err != nil {
				return err
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return bad("body", "is empty; expected a JSON object")
		case errors.As(err, &ute):
			return bad(ute.Field, fmt.Sprintf("must be %s, got JSON %s", ute.Type, ute.Value))
		}
		return bad("body", "invalid JSON: "+err.Error())
	}
	if dec.More() {
		return bad("body", "has data after the JSON object")
	}
	return nil
}

// checkCoordCounts refuses, before decoding, coordinates that cannot match:
// one [x, y] per id, and no more rows than the dataset holds. Decoded
// coordinates take ~7× their text, so this is what bounds a refused body.
func (s *Server) checkCoordCounts(c *gin.Context, top map[string]int) error {
	n, ids := top["coords"], top["ids"]
	if n != ids {
		return bad("coords", fmt.Sprintf("has %d rows for %d ids", n, ids))
	}
	if d, err := s.eng.Dataset(c.Request.Context(), c.Param("ds")); err == nil && n > d.Points+d.Objects {
		return bad("coords", fmt.Sprintf("has %d rows; the dataset has %d points and %d objects", n, d.Points, d.Objects))
	}
	return nil
}

// readBody reads a request body into one buffer sized from Content-Length
// when it is given, so that reading does not double the memory by growth.
func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n < 1<<31 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}

func (s *Server) health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.opts.Version})
}

func (s *Server) createDataset(c *gin.Context) {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	d, err := s.eng.CreateDataset(c.Request.Context(), req.Name)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

func (s *Server) listDatasets(c *gin.Context) {
	list, err := s.eng.Datasets(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"datasets": list})
}

func (s *Server) getDataset(c *gin.Context) {
	d, err := s.eng.Dataset(c.Request.Context(), c.Param("ds"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (s *Server) deleteDataset(c *gin.Context) {
	if err := s.eng.DeleteDataset(c.Request.Context(), c.Param("ds")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) createSpace(c *gin.Context) {
	var spec engine.SpaceSpec
	if err := decode(c, &spec); err != nil {
		fail(c, err)
		return
	}
	sp, err := s.eng.CreateSpace(c.Request.Context(), c.Param("ds"), spec)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sp)
}

func (s *Server) upsertPoints(c *gin.Context) {
	var req struct {
		Points []engine.PointInput `json:"points"`
		Mode   string              `json:"mode"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.eng.UpsertMode(c.Request.Context(), c.Param("ds"), req.Points, req.Mode)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) getPoint(c *gin.Context) {
	p, err := s.eng.Point(c.Request.Context(), c.Param("ds"), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) deletePoint(c *gin.Context) {
	if _, err := s.eng.DeletePoints(c.Request.Context(), c.Param("ds"), []string{c.Param("id")}); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) deletePoints(c *gin.Context) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.eng.DeletePoints(c.Request.Context(), c.Param("ds"), req.IDs)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) search(c *gin.Context) {
	var req engine.SearchRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.eng.Search(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) check(c *gin.Context) {
	rep, err := s.eng.Check(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if !rep.OK() {
		status = http.StatusConflict
	}
	c.JSON(status, rep)
}

func (s *Server) backup(c *gin.Context) {
	c.Header("Content-Type", "application/octet-stream")
	c.Header("Content-Disposition", `attachment; filename="reef-backup.db"`)
	if _, err := s.eng.DB().Backup(c.Writer); err != nil {
		// Headers are gone; all we can do is cut the stream and log.
		s.log.Error("backup stream failed", "err", err)
		panic(http.ErrAbortHandler)
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
