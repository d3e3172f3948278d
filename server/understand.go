package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/bench"
	"github.com/reef-ml/reef/understand"
)

// jsonHandler decodes a request of type Req, calls fn and answers 200 with
// its result: the shape every analysis endpoint shares.
func jsonHandler[Req, Res any](fn func(c *gin.Context, req Req) (Res, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req Req
		if err := decode(c, &req); err != nil {
			fail(c, err)
			return
		}
		res, err := fn(c, req)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

func (s *Server) outliers() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.OutliersRequest) (understand.OutliersResult, error) {
		if req.WriteMetadata {
			if err := mayWrite(c); err != nil {
				return understand.OutliersResult{}, err
			}
		}
		return s.und.Outliers(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) clusters() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.ClustersRequest) (understand.ClustersResult, error) {
		if req.WriteMetadata {
			if err := mayWrite(c); err != nil {
				return understand.ClustersResult{}, err
			}
		}
		return s.und.Clusters(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) duplicates() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.DuplicatesRequest) (understand.DuplicatesResult, error) {
		return s.und.Duplicates(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) compare() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.CompareRequest) (understand.CompareResult, error) {
		return s.und.Compare(c.Request.Context(), req)
	})
}

func (s *Server) tune() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.TuneRequest) (understand.TuneResult, error) {
		if req.Save {
			if err := mayWrite(c); err != nil {
				return understand.TuneResult{}, err
			}
		}
		return s.und.Tune(c.Request.Context(), c.Param("ds"), c.Param("space"), req)
	})
}

func (s *Server) benchSpace() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.BenchRequest) (*bench.Report, error) {
		return s.und.Bench(c.Request.Context(), c.Param("ds"), c.Param("space"), req)
	})
}
