package server

import (
	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/understand"
)

// The model-failure routes of issue 15: evaluate inferences against
// labels, rank label-error candidates, find failure regions.

func (s *Server) evaluate() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.EvaluateRequest) (understand.EvaluateResult, error) {
		return s.und.Evaluate(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) labelErrors() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.LabelErrorsRequest) (understand.LabelErrorsResult, error) {
		if req.WriteMetadata {
			if err := mayWrite(c); err != nil {
				return understand.LabelErrorsResult{}, err
			}
		}
		return s.und.LabelErrors(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) failureRegions() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.FailureRegionsRequest) (understand.FailureRegionsResult, error) {
		return s.und.FailureRegions(c.Request.Context(), c.Param("ds"), req)
	})
}
