package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/ingest"
	"github.com/reef-ml/reef/vecio"
	"github.com/reef-ml/reef/view"
	"github.com/reef-ml/reef/web"
)

// viewRoutes are the embedding view: the page (/ and /assets/*, public:
// they hold no data; the page sends the key it is given as a Bearer token
// on every call) and the view API under /v1/datasets/{ds}/view.
func (s *Server) viewRoutes() []route {
	const v = "/v1/datasets/:ds/view"
	return []route{
		{method: http.MethodGet, path: "/", access: public, handler: s.page},
		{method: http.MethodGet, path: "/assets/:file", access: public, handler: s.asset},

		{method: http.MethodGet, path: v, access: readOnly, long: true, handler: s.viewSummary},
		{method: http.MethodGet, path: v + "/points.bin", access: readOnly, long: true, handler: s.viewPoints},
		{method: http.MethodGet, path: v + "/color.bin", access: readOnly, long: true, handler: s.viewColor},
		{method: http.MethodGet, path: v + "/row/:row", access: readOnly, handler: s.viewRow},
		{method: http.MethodPost, path: v + "/rows", access: readOnly, handler: s.viewRows},
		{method: http.MethodPost, path: v + "/lookup", access: readOnly, handler: s.viewLookup()},
		{method: http.MethodPost, path: v + "/neighbors", access: readOnly, handler: s.viewNeighbors},
		{method: http.MethodPost, path: v + "/similar", access: readOnly, handler: s.viewSimilar},
		{method: http.MethodPost, path: v + "/layout", access: admin, long: true, handler: s.viewLayout},
		{method: http.MethodPut, path: v + "/coords", access: admin, upload: true, long: true, handler: s.viewCoords},
		{method: http.MethodPost, path: v + "/tag", access: admin, handler: s.viewTag},

		{method: http.MethodGet, path: "/v1/datasets/:ds/points/:id/thumbnail", access: readOnly, handler: s.getThumbnail},
		{method: http.MethodPut, path: "/v1/datasets/:ds/points/:id/thumbnail", access: admin, handler: s.putThumbnail},
		{method: http.MethodGet, path: "/v1/datasets/:ds/points/:id/objects/:oid/thumbnail", access: readOnly, handler: s.getObjectThumbnail},
	}
}

// --- the page ---

func (s *Server) page(c *gin.Context) { s.serveAsset(c, "index.html", "no-cache") }

func (s *Server) asset(c *gin.Context) {
	// Vite names assets by content hash, so they never change.
	s.serveAsset(c, path.Join("assets", c.Param("file")), "public, max-age=31536000, immutable")
}

func (s *Server) serveAsset(c *gin.Context, name, cache string) {
	if strings.Contains(name, "..") {
		fail(c, fmt.Errorf("%w: no asset %s", engine.ErrNotFound, name))
		return
	}
	data, err := fs.ReadFile(web.Assets(), name)
	if err != nil {
		fail(c, fmt.Errorf("%w: no asset %s", engine.ErrNotFound, name))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Header("Cache-Control", cache)
	c.Header("X-Content-Type-Options", "nosniff")
	if name == "index.html" {
		c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'")
		c.Header("Referrer-Policy", "no-referrer") // the URL may carry ?key=
	}
	c.Data(http.StatusOK, ct, data)
}

// --- view API ---

func viewRef(c *gin.Context) view.ViewRef {
	return view.ViewRef{Space: c.Query("space"), Level: c.Query("level"), With: c.Query("with")}
}

func (s *Server) viewSummary(c *gin.Context) {
	sum, err := s.view.View(c.Request.Context(), c.Param("ds"), viewRef(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}

func (s *Server) viewPoints(c *gin.Context) {
	coords, li, err := s.view.ViewPoints(c.Request.Context(), c.Param("ds"), viewRef(c))
	if err != nil {
		fail(c, err)
		return
	}
	etag := fmt.Sprintf(`"%x-%d"`, li.Version, len(coords))
	c.Header("ETag", etag)
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Reef-Layout-Method", li.Method)
	c.Header("X-Reef-Layout-Version", strconv.FormatUint(li.Version, 10))
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/octet-stream", view.EncodeViewPoints(coords))
}

func (s *Server) viewColor(c *gin.Context) {
	col, err := s.view.ViewColor(c.Request.Context(), c.Param("ds"), viewRef(c), c.Query("field"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Reef-Field-Kind", col.Field.Kind)
	c.Data(http.StatusOK, "application/octet-stream", view.EncodeColor(col))
}

func (s *Server) viewRow(c *gin.Context) {
	row, err := strconv.Atoi(c.Param("row"))
	if err != nil {
		fail(c, bad("row", fmt.Sprintf("must be a row number, got %q", c.Param("row"))))
		return
	}
	h, err := s.view.ViewRow(c.Request.Context(), c.Param("ds"), viewRef(c), row)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

// viewRows reads many rows at once ({"space","level","with","rows":[...]},
// at most view.MaxRowsBatch): the grid and exports use it.
func (s *Server) viewRows(c *gin.Context) {
	var req view.ViewRowsRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.view.ViewRows(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) viewNeighbors(c *gin.Context) {
	var req struct {
		view.ViewRef
		Row *int `json:"row"`
		K   int  `json:"k"`
	}
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	if req.Row == nil {
		fail(c, bad("row", "is required"))
		return
	}
	res, err := s.view.ViewNeighbors(c.Request.Context(), c.Param("ds"), req.ViewRef, *req.Row, req.K)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) viewSimilar(c *gin.Context) {
	var req view.ViewSimilarRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.view.ViewSimilar(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) viewLayout(c *gin.Context) {
	var req view.ViewLayoutRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	sum, err := s.view.ViewRelayout(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if sum.Layout.State == view.LayoutComputing {
		status = http.StatusAccepted
	}
	c.JSON(status, sum)
}

// viewCoords takes user coordinates as JSON {"space","level","ids",
// "object_ids","coords":[[x,y],...]} or multipart: fields space, level,
// coords (.npy of n×2 numbers), ids (JSON array file or field) and
// object_ids (JSON array, object level).
func (s *Server) viewCoords(c *gin.Context) {
	var in view.ViewCoordsInput
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		var err error
		if in, err = s.coordsUpload(c); err != nil {
			fail(c, err)
			return
		}
	} else if err := decode(c, &in); err != nil {
		fail(c, err)
		return
	}
	sum, err := s.view.ViewSetCoords(c.Request.Context(), c.Param("ds"), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}

func (s *Server) coordsUpload(c *gin.Context) (view.ViewCoordsInput, error) {
	in := view.ViewCoordsInput{ViewRef: view.ViewRef{Space: c.PostForm("space"), Level: c.PostForm("level")}}
	fh, err := c.FormFile("coords")
	if err != nil {
		return in, uploadErr("coords", err)
	}
	f, err := fh.Open()
	if err != nil {
		return in, bad("coords", err.Error())
	}
	defer f.Close()
	lim := vecio.DefaultLimits()
	lim.MaxBytes = s.opts.MaxUploadBytes
	m, err := vecio.ReadNPY(f, lim)
	if err != nil {
		return in, bad("coords", err.Error())
	}
	if m.Cols != 2 {
		return in, bad("coords", fmt.Sprintf("must be an n×2 array, got %d×%d", m.Rows, m.Cols))
	}
	in.Coords = make([][]float32, m.Rows)
	for i := range in.Coords {
		in.Coords[i] = m.Data[2*i : 2*i+2 : 2*i+2]
	}
	readIDs := func(field string) ([]string, error) {
		var r io.Reader
		if v, ok := c.GetPostForm(field); ok {
			r = strings.NewReader(v)
		} else if fh, err := c.FormFile(field); err == nil {
			f, err := fh.Open()
			if err != nil {
				return nil, bad(field, err.Error())
			}
			defer f.Close()
			r = f
		} else {
			return nil, nil
		}
		ids, err := vecio.ReadIDsJSON(r, lim)
		if err != nil {
			return nil, bad(field, err.Error())
		}
		return ids, nil
	}
	if in.IDs, err = readIDs("ids"); err != nil {
		return in, err
	}
	if in.IDs == nil {
		return in, bad("ids", "multipart field ids (a JSON array of point ids, one per row of coords) is required")
	}
	in.ObjectIDs, err = readIDs("object_ids")
	return in, err
}

func (s *Server) viewTag(c *gin.Context) {
	var req view.ViewTagRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.view.ViewTag(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// --- thumbnails ---

func (s *Server) getThumbnail(c *gin.Context) {
	data, ct, err := s.ing.Thumbnail(c.Request.Context(), c.Param("ds"), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ct, data)
}

// getObjectThumbnail serves the crop of an object's box; X-Reef-Crop says
// whether it was cut from the original image ("stored") or from the point's
// thumbnail ("thumbnail").
func (s *Server) getObjectThumbnail(c *gin.Context) {
	data, ct, src, err := s.ing.ObjectThumbnail(c.Request.Context(), c.Param("ds"), c.Param("id"), c.Param("oid"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("X-Reef-Crop", src)
	c.Data(http.StatusOK, ct, data)
}

func (s *Server) putThumbnail(c *gin.Context) {
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, ingest.MaxThumbnailInput+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(c, err)
			return
		}
		fail(c, bad("body", err.Error()))
		return
	}
	if len(data) > ingest.MaxThumbnailInput {
		fail(c, fmt.Errorf("%w", &engine.FieldError{Field: "body", Err: engine.ErrTooLarge,
			Msg: fmt.Sprintf("image exceeds %d bytes", ingest.MaxThumbnailInput)}))
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		fail(c, bad("body", "is empty; send the image bytes (PNG, JPEG or GIF)"))
		return
	}
	if err := s.ing.StoreThumbnail(c.Request.Context(), c.Param("ds"), c.Param("id"), data); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
