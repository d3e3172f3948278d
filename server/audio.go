package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/extract/audio"
	"github.com/reef-ml/reef/ingest"
)

// maxAudioFiles bounds the files of one audio ingest request.
const maxAudioFiles = 256

// ingestAudio embeds uploaded audio files (WAV, FLAC, MP3) with an audio
// model (default the built-in one; "model" names a registered one):
// multipart files under "files" (the file name is the point id unless
// "ids" maps it), and optional JSON fields "metadata" ({file: {...}}),
// "uris" ({file: uri}) and "ids" ({file: id}).
func (s *Server) ingestAudio(c *gin.Context) {
	var meta map[string]json.RawMessage
	var uris map[string]string
	files, err := readUploads(c, "files", maxAudioFiles, audio.DefaultLimits().MaxBytes, "one or more WAV, FLAC or MP3 files",
		map[string]any{"metadata": &meta, "uris": &uris})
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]ingest.AudioItem, 0, len(files))
	for _, f := range files {
		items = append(items, ingest.AudioItem{ID: f.id, Data: f.data, URI: uris[f.name], Metadata: meta[f.name]})
	}
	res, err := s.ing.IngestAudioWith(c.Request.Context(), c.Param("ds"), ingest.AudioOptions{Model: c.PostForm("model")}, items)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// getAudio serves a point's playable copy (16 kHz mono 16-bit WAV).
func (s *Server) getAudio(c *gin.Context) {
	data, err := s.ing.Audio(c.Request.Context(), c.Param("ds"), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "audio/wav", data)
}
