package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/bench"
	"github.com/reef-ml/reef/engine"
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
	return jsonHandler(func(c *gin.Context, req engine.OutliersRequest) (engine.OutliersResult, error) {
		if req.WriteMetadata {
			if err := mayWrite(c); err != nil {
				return engine.OutliersResult{}, err
			}
		}
		return s.eng.Outliers(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) clusters() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req engine.ClustersRequest) (engine.ClustersResult, error) {
		if req.WriteMetadata {
			if err := mayWrite(c); err != nil {
				return engine.ClustersResult{}, err
			}
		}
		return s.eng.Clusters(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) duplicates() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req engine.DuplicatesRequest) (engine.DuplicatesResult, error) {
		return s.eng.Duplicates(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) compare() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req engine.CompareRequest) (engine.CompareResult, error) {
		return s.eng.Compare(c.Request.Context(), req)
	})
}

func (s *Server) tune() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req engine.TuneRequest) (engine.TuneResult, error) {
		if req.Save {
			if err := mayWrite(c); err != nil {
				return engine.TuneResult{}, err
			}
		}
		return s.eng.Tune(c.Request.Context(), c.Param("ds"), c.Param("space"), req)
	})
}

func (s *Server) benchSpace() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req engine.BenchRequest) (*bench.Report, error) {
		return s.eng.Bench(c.Request.Context(), c.Param("ds"), c.Param("space"), req)
	})
}
