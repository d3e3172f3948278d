package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
)

// scrollPoints answers GET /v1/datasets/{ds}/points: a page of points in id
// order with their metadata, chosen by an optional filter given as JSON in
// the query, and the cursor of the next page.
func (s *Server) scrollPoints(c *gin.Context) {
	req, err := scrollRequest(c)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := s.eng.ScrollPoints(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// scrollRequest reads the query, naming each bad parameter.
func scrollRequest(c *gin.Context) (engine.ScrollRequest, error) {
	req := engine.ScrollRequest{Cursor: c.Query("cursor")}
	if f := c.Query("filter"); f != "" {
		if err := json.Unmarshal([]byte(f), &req.Filter); err != nil || req.Filter == nil {
			return req, bad("filter", "must be a JSON object, e.g. {\"metadata.split\":\"test\"}")
		}
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return req, bad("limit", "must be an integer, got "+strconv.Quote(l))
		}
		if n < 1 {
			return req, bad("limit", "must be at least 1")
		}
		req.Limit = n
	}
	if v := c.Query("vectors"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, bad("vectors", "must be true or false")
		}
		req.Vectors = b
	}
	return req, nil
}
