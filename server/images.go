package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/ingest"
)

// maxImageFiles bounds the files of one ingest request.
const maxImageFiles = 1024

// ingestImages embeds uploaded images with a model: multipart files under
// "images" (the file name is the point id unless "ids" maps it), and
// optional JSON fields "model", "metadata" ({file: {...}}), "labels"
// ({file: [{"id","class","bbox"}]}) and "uris" ({file: uri}); "detect":
// "true" adds the inference boxes of detector models. Boxes are opt-in: they
// cost about 10× the embedding and their COCO classes fit few datasets.
func (s *Server) ingestImages(c *gin.Context) {
	var meta map[string]json.RawMessage
	var labels map[string][]ingest.LabelBox
	var uris map[string]string
	files, err := readUploads(c, "images", maxImageFiles, extract.DefaultImageLimits().MaxBytes, "one or more files",
		map[string]any{"metadata": &meta, "labels": &labels, "uris": &uris})
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]ingest.ImageItem, 0, len(files))
	for _, f := range files {
		items = append(items, ingest.ImageItem{ID: f.id, Data: f.data, URI: uris[f.name], Metadata: meta[f.name], Labels: labels[f.name]})
	}
	opts := ingest.IngestOptions{Model: c.PostForm("model"), SkipDetection: c.PostForm("detect") != "true"}
	res, err := s.ing.IngestImagesWith(c.Request.Context(), c.Param("ds"), opts, items)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// getImage serves a point's preview: its image at up to 1024 px, stored
// with its thumbnail; 404 when it has none (small images: the thumbnail is
// the image). Same access and caching as the thumbnail.
func (s *Server) getImage(c *gin.Context) {
	data, err := s.ing.Preview(c.Request.Context(), c.Param("ds"), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/jpeg", data)
}

func (s *Server) missingPoints(c *gin.Context) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	missing, err := s.ing.MissingPoints(c.Request.Context(), c.Param("ds"), req.IDs)
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
	c.JSON(http.StatusOK, gin.H{"models": s.ing.Models(c.Request.Context()), "default": s.ing.DefaultModel()})
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
	info, err := s.ing.RegisterModel(c.Request.Context(), *m, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, info)
}
