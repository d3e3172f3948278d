package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract/audio"
)

// maxAudioFiles bounds the files of one audio ingest request.
const maxAudioFiles = 256

// ingestAudio embeds uploaded audio files (WAV, FLAC, MP3) with an audio
// model (default the built-in one; "model" names a registered one):
// multipart files under "files" (the file name is the point id unless
// "ids" maps it), and optional JSON fields "metadata" ({file: {...}}),
// "uris" ({file: uri}) and "ids" ({file: id}).
func (s *Server) ingestAudio(c *gin.Context) {
	form, err := c.MultipartForm()
	if err != nil {
		fail(c, uploadErr("files", err))
		return
	}
	files := form.File["files"]
	switch {
	case len(files) == 0:
		fail(c, bad("files", "multipart file field files is required (one or more WAV, FLAC or MP3 files)"))
		return
	case len(files) > maxAudioFiles:
		fail(c, bad("files", fmt.Sprintf("%d files, limit %d per request", len(files), maxAudioFiles)))
		return
	}
	var meta map[string]json.RawMessage
	var uris, ids map[string]string
	for field, dst := range map[string]any{"metadata": &meta, "uris": &uris, "ids": &ids} {
		if v := c.PostForm(field); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				fail(c, bad(field, "must be a JSON object keyed by file name: "+err.Error()))
				return
			}
		}
	}
	maxBytes := audio.DefaultLimits().MaxBytes
	items := make([]engine.AudioItem, 0, len(files))
	for i, fh := range files {
		field := fmt.Sprintf("files[%d]", i)
		if fh.Size > maxBytes {
			fail(c, bad(field, fmt.Sprintf("%s is %s, limit %s", fh.Filename, formatBytes(fh.Size), formatBytes(maxBytes))))
			return
		}
		f, err := fh.Open()
		if err != nil {
			fail(c, bad(field, err.Error()))
			return
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			fail(c, bad(field, err.Error()))
			return
		}
		id := fh.Filename
		if ids[fh.Filename] != "" {
			id = ids[fh.Filename]
		}
		items = append(items, engine.AudioItem{ID: id, Data: data, URI: uris[fh.Filename], Metadata: meta[fh.Filename]})
	}
	res, err := s.eng.IngestAudioWith(c.Request.Context(), c.Param("ds"), engine.AudioOptions{Model: c.PostForm("model")}, items)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// getAudio serves a point's playable copy (16 kHz mono 16-bit WAV).
func (s *Server) getAudio(c *gin.Context) {
	data, err := s.eng.Audio(c.Request.Context(), c.Param("ds"), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "audio/wav", data)
}
