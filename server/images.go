package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
)

// maxImageFiles bounds the files of one ingest request.
const maxImageFiles = 1024

// ingestImages embeds uploaded images with a model: multipart files under
// "images" (the file name is the point id unless "ids" maps it), and
// optional JSON fields "model", "metadata" ({file: {...}}), "labels"
// ({file: [{"id","class","bbox"}]}) and "uris" ({file: uri}); "detect":
// "false" skips the inference boxes of detector models.
func (s *Server) ingestImages(c *gin.Context) {
	form, err := c.MultipartForm()
	if err != nil {
		fail(c, uploadErr("images", err))
		return
	}
	files := form.File["images"]
	switch {
	case len(files) == 0:
		fail(c, bad("images", "multipart file field images is required (one or more files)"))
		return
	case len(files) > maxImageFiles:
		fail(c, bad("images", fmt.Sprintf("%d files, limit %d per request", len(files), maxImageFiles)))
		return
	}
	var meta map[string]json.RawMessage
	var labels map[string][]engine.LabelBox
	var uris, ids map[string]string
	for field, dst := range map[string]any{"metadata": &meta, "labels": &labels, "uris": &uris, "ids": &ids} {
		if v := c.PostForm(field); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				fail(c, bad(field, "must be a JSON object keyed by file name: "+err.Error()))
				return
			}
		}
	}
	items := make([]engine.ImageItem, 0, len(files))
	for i, fh := range files {
		if fh.Size > extract.DefaultImageLimits().MaxBytes {
			fail(c, bad(fmt.Sprintf("images[%d]", i), fmt.Sprintf("%s is %s, limit %s", fh.Filename, formatBytes(fh.Size), formatBytes(extract.DefaultImageLimits().MaxBytes))))
			return
		}
		f, err := fh.Open()
		if err != nil {
			fail(c, bad(fmt.Sprintf("images[%d]", i), err.Error()))
			return
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			fail(c, bad(fmt.Sprintf("images[%d]", i), err.Error()))
			return
		}
		id := fh.Filename
		if ids[fh.Filename] != "" {
			id = ids[fh.Filename]
		}
		items = append(items, engine.ImageItem{ID: id, Data: data, URI: uris[fh.Filename], Metadata: meta[fh.Filename], Labels: labels[fh.Filename]})
	}
	opts := engine.IngestOptions{Model: c.PostForm("model"), SkipDetection: c.PostForm("detect") == "false"}
	res, err := s.eng.IngestImagesWith(c.Request.Context(), c.Param("ds"), opts, items)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) missingPoints(c *gin.Context) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	missing, err := s.eng.MissingPoints(c.Request.Context(), c.Param("ds"), req.IDs)
	if err != nil {
		fail(c, err)
		return
	}
	if missing == nil {
		missing = []string{}
	}
	c.JSON(http.StatusOK, gin.H{"missing": missing})
}

func (s *Server) listModels(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"models": s.eng.Models(c.Request.Context()), "default": s.eng.DefaultModel()})
}

// registerModel installs a user's ONNX model: multipart "manifest" (JSON,
// see extract.Manifest) and "model" (the .onnx file).
func (s *Server) registerModel(c *gin.Context) {
	m, err := extract.ParseManifest([]byte(c.PostForm("manifest")))
	if err != nil {
		fail(c, bad("manifest", err.Error()))
		return
	}
	fh, err := c.FormFile("model")
	if err != nil {
		fail(c, uploadErr("model", err))
		return
	}
	f, err := fh.Open()
	if err != nil {
		fail(c, bad("model", err.Error()))
		return
	}
	defer f.Close()
	info, err := s.eng.RegisterModel(c.Request.Context(), *m, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, info)
}
