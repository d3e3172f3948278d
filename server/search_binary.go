package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/reef-ml/reef/engine"
)

// searchBinary answers a k-NN query whose vector is the raw body: dim
// little-endian float32s (what numpy's `q.astype('<f4').tobytes()` gives),
// with the other parameters in the query string (space, k, ef, level,
// exact, filter as JSON). It skips parsing a vector's decimal text, which
// is most of a JSON search request's decoding at high dimension.
func (s *Server) searchBinary(c *gin.Context) {
	req, err := binaryQuery(c, s.eng.Limits().MaxDim)
	if err != nil {
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

func binaryQuery(c *gin.Context, maxDim int) (engine.SearchRequest, error) {
	req := engine.SearchRequest{Space: c.Query("space"), Level: c.Query("level")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"k", &req.K}, {"ef", &req.Ef}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, bad(p.name, fmt.Sprintf("must be an integer, got %q", v))
			}
			*p.dst = n
		}
	}
	if v := c.Query("exact"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, bad("exact", fmt.Sprintf("must be true or false, got %q", v))
		}
		req.Exact = b
	}
	if v := c.Query("filter"); v != "" {
		if err := json.Unmarshal([]byte(v), &req.Filter); err != nil {
			return req, bad("filter", "must be a JSON object")
		}
	}
	body, err := readBody(c.Request)
	if err != nil {
		return req, err
	}
	switch {
	case len(body) == 0:
		return req, bad("body", "is empty; send the query vector as little-endian float32")
	case len(body)%4 != 0:
		return req, bad("body", fmt.Sprintf("is %d bytes, not a whole number of float32s", len(body)))
	case len(body)/4 > maxDim:
		return req, bad("body", fmt.Sprintf("holds %d floats, limit %d", len(body)/4, maxDim))
	}
	req.Vector = make([]float32, len(body)/4)
	for i := range req.Vector {
		req.Vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return req, nil
}
