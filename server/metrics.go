package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reef-ml/reef/engine"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

func newMetrics(reg *prometheus.Registry, eng *engine.Engine) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reef_http_requests_total",
			Help: "HTTP requests by route and status code."}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reef_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60}}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency, &datasetCollector{eng: eng},
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	s.metrics.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

func (s *Server) metricsHandler(c *gin.Context) { s.metrics.handler.ServeHTTP(c.Writer, c.Request) }

// datasetCollector reports per-dataset counts at scrape time.
type datasetCollector struct{ eng *engine.Engine }

var (
	descPoints  = prometheus.NewDesc("reef_dataset_points", "Datapoints per dataset.", []string{"dataset"}, nil)
	descObjects = prometheus.NewDesc("reef_dataset_objects", "Objects per dataset.", []string{"dataset"}, nil)
)

func (d *datasetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descPoints; ch <- descObjects }

func (d *datasetCollector) Collect(ch chan<- prometheus.Metric) {
	list, err := d.eng.Datasets(context.Background())
	if err != nil && !errors.Is(err, engine.ErrClosed) {
		return
	}
	for _, ds := range list {
		ch <- prometheus.MustNewConstMetric(descPoints, prometheus.GaugeValue, float64(ds.Points), ds.Name)
		ch <- prometheus.MustNewConstMetric(descObjects, prometheus.GaugeValue, float64(ds.Objects), ds.Name)
	}
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
