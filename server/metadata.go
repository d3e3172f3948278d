package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
)

// updateMetadata edits metadata keys of points chosen by ids or a filter,
// in one transaction, without touching their vectors.
func (s *Server) updateMetadata(c *gin.Context) {
	var req engine.MetadataUpdate
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.eng.UpdateMetadata(c.Request.Context(), c.Param("ds"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
