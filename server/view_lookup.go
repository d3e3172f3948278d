package server

import (
	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/view"
)

// viewLookup maps ids (a failure region's, an issue's) to the view's rows,
// so the page can select what an analysis route answered.
func (s *Server) viewLookup() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req view.ViewLookupRequest) (view.ViewLookupResult, error) {
		return s.view.ViewLookup(c.Request.Context(), c.Param("ds"), req)
	})
}
