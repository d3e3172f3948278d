package server

import (
	"encoding/csv"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/understand"
)

// Issues: save a selection with its space definition, collect more like
// it from another dataset, export the chosen ids for labelling.

func (s *Server) saveIssue() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.IssueRequest) (understand.Issue, error) {
		return s.und.SaveIssue(c.Request.Context(), c.Param("ds"), req)
	})
}

func (s *Server) listIssues(c *gin.Context) {
	list, err := s.und.Issues(c.Param("ds"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"issues": list})
}

func (s *Server) getIssue(c *gin.Context) {
	is, err := s.und.GetIssue(c.Param("ds"), c.Param("issue"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, is)
}

func (s *Server) collect() gin.HandlerFunc {
	return jsonHandler(func(c *gin.Context, req understand.CollectRequest) (understand.CollectResult, error) {
		if req.Save {
			if err := mayWrite(c); err != nil {
				return understand.CollectResult{}, err
			}
		}
		return s.und.Collect(c.Request.Context(), c.Param("ds"), c.Param("issue"), req)
	})
}

// exportIssue writes dataset,id,source rows as CSV (default) or JSONL.
func (s *Server) exportIssue(c *gin.Context) {
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "jsonl" {
		fail(c, bad("format", "must be csv or jsonl, got "+format))
		return
	}
	rows, err := s.und.ExportIssue(c.Param("ds"), c.Param("issue"))
	if err != nil {
		fail(c, err)
		return
	}
	name := c.Param("issue") + "." + format
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "jsonl" {
		c.Header("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(c.Writer)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return
			}
		}
		return
	}
	c.Header("Content-Type", "text/csv")
	w := csv.NewWriter(c.Writer)
	w.Write([]string{"dataset", "id", "source"})
	for _, r := range rows {
		w.Write([]string{r.Dataset, r.ID, r.Source})
	}
	w.Flush()
}
