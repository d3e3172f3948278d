package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// route is one REST endpoint and what it needs.
type route struct {
	method, path string
	access       access
	upload       bool // larger body limit
	long         bool // no request timeout (streams, bulk loads)
	// compute routes run one bounded computation: they get
	// Options.ComputeTimeout instead of the request timeout.
	compute bool
	handler gin.HandlerFunc
}

// routeTable lists every route; docs/openapi.yaml documents the same set.
func (s *Server) routeTable() []route {
	routes := []route{
		{method: http.MethodGet, path: "/v1/health", access: public, handler: s.health},
		{method: http.MethodGet, path: "/metrics", access: readOnly, handler: s.metricsHandler},

		{method: http.MethodPost, path: "/v1/datasets", access: admin, handler: s.createDataset},
		{method: http.MethodGet, path: "/v1/datasets", access: readOnly, handler: s.listDatasets},
		{method: http.MethodGet, path: "/v1/datasets/:ds", access: readOnly, handler: s.getDataset},
		{method: http.MethodDelete, path: "/v1/datasets/:ds", access: admin, handler: s.deleteDataset},
		{method: http.MethodPost, path: "/v1/datasets/:ds/spaces", access: admin, handler: s.createSpace},
		{method: http.MethodPost, path: "/v1/datasets/:ds/spaces/:space/tune", access: readOnly, compute: true, handler: s.tune()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/spaces/:space/bench", access: admin, compute: true, handler: s.benchSpace()},

		{method: http.MethodPost, path: "/v1/datasets/:ds/points", access: admin, handler: s.upsertPoints},
		{method: http.MethodGet, path: "/v1/datasets/:ds/points", access: readOnly, handler: s.scrollPoints},
		{method: http.MethodGet, path: "/v1/datasets/:ds/points/:id", access: readOnly, handler: s.getPoint},
		{method: http.MethodDelete, path: "/v1/datasets/:ds/points/:id", access: admin, handler: s.deletePoint},
		{method: http.MethodPost, path: "/v1/datasets/:ds/points/delete", access: admin, handler: s.deletePoints},
		{method: http.MethodPost, path: "/v1/datasets/:ds/points/missing", access: readOnly, handler: s.missingPoints},
		{method: http.MethodPost, path: "/v1/datasets/:ds/points/metadata", access: admin, handler: s.updateMetadata},
		{method: http.MethodPost, path: "/v1/datasets/:ds/search", access: readOnly, handler: s.search},
		{method: http.MethodPost, path: "/v1/datasets/:ds/search.f32", access: readOnly, handler: s.searchBinary},
		{method: http.MethodPost, path: "/v1/datasets/:ds/images", access: admin, upload: true, long: true, handler: s.ingestImages},
		{method: http.MethodPost, path: "/v1/datasets/:ds/audio", access: admin, upload: true, long: true, handler: s.ingestAudio},
		{method: http.MethodGet, path: "/v1/datasets/:ds/points/:id/audio", access: readOnly, handler: s.getAudio},
		{method: http.MethodGet, path: "/v1/datasets/:ds/points/:id/image", access: readOnly, handler: s.getImage},

		{method: http.MethodPost, path: "/v1/datasets/:ds/outliers", access: readOnly, compute: true, handler: s.outliers()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/clusters", access: readOnly, compute: true, handler: s.clusters()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/duplicates", access: readOnly, compute: true, handler: s.duplicates()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/evaluate", access: admin, compute: true, handler: s.evaluate()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/label_errors", access: readOnly, compute: true, handler: s.labelErrors()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/failure_regions", access: readOnly, compute: true, handler: s.failureRegions()},
		{method: http.MethodPost, path: "/v1/datasets/:ds/issues", access: admin, handler: s.saveIssue()},
		{method: http.MethodGet, path: "/v1/datasets/:ds/issues", access: readOnly, handler: s.listIssues},
		{method: http.MethodGet, path: "/v1/datasets/:ds/issues/:issue", access: readOnly, handler: s.getIssue},
		{method: http.MethodPost, path: "/v1/datasets/:ds/issues/:issue/collect", access: readOnly, compute: true, handler: s.collect()},
		{method: http.MethodGet, path: "/v1/datasets/:ds/issues/:issue/export", access: readOnly, handler: s.exportIssue},
		{method: http.MethodPost, path: "/v1/compare", access: readOnly, compute: true, handler: s.compare()},

		{method: http.MethodGet, path: "/v1/models", access: readOnly, handler: s.listModels},
		{method: http.MethodPost, path: "/v1/models", access: admin, upload: true, long: true, handler: s.registerModel},

		{method: http.MethodPost, path: "/v1/datasets/:ds/import", access: admin, upload: true, long: true, handler: s.importVectors},
		{method: http.MethodGet, path: "/v1/datasets/:ds/export", access: readOnly, long: true, handler: s.export},

		{method: http.MethodPost, path: "/v1/check", access: admin, long: true, handler: s.check},
		{method: http.MethodGet, path: "/v1/backup", access: admin, long: true, handler: s.backup},
	}
	routes = append(routes, s.viewRoutes()...)
	return routes
}
