package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/ingest"
	"github.com/reef-ml/reef/understand"
	"github.com/reef-ml/reef/view"
)

// Options configure a Server.
type Options struct {
	Addr string
	// AdminKey and ReadKey enable authentication when either is set.
	AdminKey, ReadKey string
	MaxBodyBytes      int64 // JSON bodies
	MaxUploadBytes    int64 // multipart imports and images
	RequestTimeout    time.Duration
	// ComputeTimeout bounds the analyses (outliers, clusters, duplicates,
	// compare, tune, bench): they stop within about a second of it and
	// answer 504.
	ComputeTimeout time.Duration
	// ShutdownGrace is how long a stop waits for in-flight requests to
	// finish; then they are cancelled and answer 503 shutting_down.
	ShutdownGrace time.Duration
	MaxConcurrent int // requests in flight before 429
	// MemoryBudget bounds the estimated memory of heavy requests in
	// flight (bodies ≥ 1 MiB, uploads, analyses); past it they wait up to
	// a second, then answer 503 with Retry-After.
	MemoryBudget      int64
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	Logger            *slog.Logger
	// Registerer receives reef's metrics; nil means a private registry.
	Registry *prometheus.Registry
	// Version is reported by /v1/health.
	Version string
	// Ingest configures the image and audio ingest (models) that New
	// builds over the engine.
	Ingest ingest.Options
	// View configures the embedding view; New wires its Graphs and Media.
	View view.Options
}

// DefaultOptions returns the options `reef serve` uses.
func DefaultOptions() Options {
	return Options{Addr: "127.0.0.1:7370", MaxBodyBytes: 64 << 20, MaxUploadBytes: 2 << 30,
		RequestTimeout: 60 * time.Second, ComputeTimeout: 5 * time.Minute, ShutdownGrace: 10 * time.Second, MemoryBudget: 4 << 30, MaxConcurrent: 256, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 120 * time.Second, Version: "dev", Ingest: ingest.DefaultOptions(), View: view.DefaultOptions()}
}

func (o *Options) validate() error {
	var errs []error
	if o.MaxBodyBytes <= 0 || o.MaxUploadBytes <= 0 {
		errs = append(errs, fmt.Errorf("body limits must be positive"))
	}
	if o.RequestTimeout <= 0 || o.ComputeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("request and compute timeouts must be positive"))
	}
	if o.MemoryBudget <= 0 {
		errs = append(errs, fmt.Errorf("memory budget must be positive"))
	}
	if o.ShutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("shutdown grace must not be negative"))
	}
	if o.MaxConcurrent <= 0 {
		errs = append(errs, fmt.Errorf("max concurrent requests must be positive"))
	}
	if o.AdminKey != "" && o.AdminKey == o.ReadKey {
		errs = append(errs, fmt.Errorf("admin and read keys must differ"))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	return errors.Join(errs...)
}

// Server serves the REST API.
type Server struct {
	eng     *engine.Engine
	ing     *ingest.Ingester
	und     *understand.Analyzer
	view    *view.Viewer
	opts    Options
	log     *slog.Logger
	router  *gin.Engine
	metrics *metrics
	slots   chan struct{}
	budget  *budget
	routes  []route
	// extra holds handlers mounted by other packages (the embedding view).
}

const ctxServer = "reef.server"

// New builds a server over an open engine.
func New(eng *engine.Engine, opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ing, err := ingest.New(eng, opts.Ingest)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	und := understand.New(eng)
	vo := opts.View
	vo.Graphs, vo.Media = und, ing
	s := &Server{eng: eng, ing: ing, und: und, view: view.New(eng, vo), opts: opts, log: opts.Logger, slots: make(chan struct{}, opts.MaxConcurrent), budget: newBudget(opts.MemoryBudget)}
	s.metrics = newMetrics(opts.Registry, eng)
	r := gin.New()
	r.UseRawPath = true // ids may hold escaped slashes
	r.UnescapePathValues = true
	r.HandleMethodNotAllowed = true
	r.Use(s.recoverer, s.observe)
	r.NoRoute(func(c *gin.Context) {
		fail(c, fmt.Errorf("%w: no route %s %s", engine.ErrNotFound, c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": apiError{Code: "method_not_allowed", Message: "method not allowed"}})
	})
	s.router = r
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		r.Handle(rt.method, rt.path, s.guard(rt), rt.handler)
	}
	return s, nil
}

// Handler returns the HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.router }

// Serve listens on Options.Addr until ctx is done, then shuts down
// gracefully. ready, when non-nil, receives the bound address.
func (s *Server) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	if !isLoopback(ln.Addr()) && s.opts.AdminKey == "" && s.opts.ReadKey == "" {
		s.log.Warn("!!! reef is listening on a non-loopback address WITHOUT API keys: anyone who can reach it can read and delete your data; set --admin-key/--read-key", "addr", ln.Addr().String())
	}
	// Requests derive from base: a stop past its grace cancels them with
	// errShuttingDown, so that they answer 503 instead of being cut.
	base, cancelBase := context.WithCancelCause(context.Background())
	defer cancelBase(nil)
	srv := &http.Server{
		Handler:           s.router,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		// Bodies can be large uploads; the per-request timeout bounds the
		// handler, and these bound a slow client.
		ReadTimeout:  max(s.opts.RequestTimeout, s.opts.ComputeTimeout) + 5*time.Minute,
		WriteTimeout: max(s.opts.RequestTimeout, s.opts.ComputeTimeout) + 5*time.Minute,
		IdleTimeout:  s.opts.IdleTimeout,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return s.shutdown(srv, errc, cancelBase)
}

// shutdown stops accepting, lets in-flight requests finish within the
// grace, then cancels the rest (they answer 503) and waits for them: a
// stop always ends with every handler returned, and a nil error.
func (s *Server) shutdown(srv *http.Server, errc <-chan error, cancel context.CancelCauseFunc) error {
	start := time.Now()
	graceCtx, stop := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer stop()
	err := srv.Shutdown(graceCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("requests still running after the shutdown grace: cancelling them", "grace", s.opts.ShutdownGrace)
		cancel(errShuttingDown)
		// Cancelled handlers return within about a second (every
		// computation watches its context); bound the wait anyway.
		drainCtx, stopDrain := context.WithTimeout(context.Background(), 10*time.Second)
		defer stopDrain()
		err = srv.Shutdown(drainCtx)
	}
	if err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("server stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "path", c.FullPath(), "panic", v)
			fail(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Set(ctxServer, s)
	c.Next()
}
