package server

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/gin-gonic/gin"
)

// uploadedFile is one file of a multipart ingest request.
type uploadedFile struct {
	name string // the multipart file name
	id   string // the point id: ids[name], or name
	data []byte
}

// readUploads reads the files under field (1..maxFiles, each ≤ maxBytes)
// and decodes the optional form fields in jsonFields, each a JSON object
// keyed by file name; "ids" (file name → point id) is always read. Errors
// name the offending field.
func readUploads(c *gin.Context, field string, maxFiles int, maxBytes int64, hint string, jsonFields map[string]any) ([]uploadedFile, error) {
	form, err := c.MultipartForm()
	if err != nil {
		return nil, uploadErr(field, err)
	}
	files := form.File[field]
	switch {
	case len(files) == 0:
		return nil, bad(field, fmt.Sprintf("multipart file field %s is required (%s)", field, hint))
	case len(files) > maxFiles:
		return nil, bad(field, fmt.Sprintf("%d files, limit %d per request", len(files), maxFiles))
	}
	var ids map[string]string
	fields := map[string]any{"ids": &ids}
	for k, v := range jsonFields {
		fields[k] = v
	}
	for name, dst := range fields {
		if v := c.PostForm(name); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				return nil, bad(name, "must be a JSON object keyed by file name: "+err.Error())
			}
		}
	}
	out := make([]uploadedFile, 0, len(files))
	for i, fh := range files {
		f := fmt.Sprintf("%s[%d]", field, i)
		if fh.Size > maxBytes {
			return nil, bad(f, fmt.Sprintf("%s is %s, limit %s", fh.Filename, formatBytes(fh.Size), formatBytes(maxBytes)))
		}
		r, err := fh.Open()
		if err != nil {
			return nil, bad(f, err.Error())
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, bad(f, err.Error())
		}
		id := fh.Filename
		if ids[fh.Filename] != "" {
			id = ids[fh.Filename]
		}
		out = append(out, uploadedFile{name: fh.Filename, id: id, data: data})
	}
	return out, nil
}
