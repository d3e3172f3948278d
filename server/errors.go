package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/reef-ml/reef/engine"
)

// apiError is the body of every error response.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// statusOf maps an error to an HTTP status and a stable code. This is the
// one place that knows the mapping.
func statusOf(err error) (int, string) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "body_too_large"
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, engine.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, engine.ErrExists):
		return http.StatusConflict, "exists"
	case errors.Is(err, engine.ErrDimensionMismatch):
		return http.StatusBadRequest, "dimension_mismatch"
	case errors.Is(err, engine.ErrIncompatible):
		return http.StatusBadRequest, "incompatible"
	case errors.Is(err, engine.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, engine.ErrInvalid), errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "invalid"
	case errors.Is(err, engine.ErrFull), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// storage maps ENOSPC to ErrFull; a full disk met elsewhere (blob
		// or side files) gets the same answer rather than a 500.
		return http.StatusInsufficientStorage, "storage_full"
	case errors.Is(err, errShuttingDown):
		return http.StatusServiceUnavailable, "shutting_down"
	case errors.Is(err, engine.ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, engine.ErrClosed):
		return http.StatusServiceUnavailable, "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, context.Canceled):
		return 499, "canceled"
	}
	return http.StatusInternalServerError, "internal"
}

// errShuttingDown cancels requests still running when a stop's grace ends.
var errShuttingDown = errors.New("server shutting down")

// errBadRequest marks request-shape errors found by the server itself.
var errBadRequest = errors.New("bad request")

// errForbidden: a read-only key asked for a write.
var errForbidden = errors.New("a read-only key cannot write; write_metadata needs the admin key")

type badRequest struct {
	field, msg string
}

func (b *badRequest) Error() string { return b.field + ": " + b.msg }
func (b *badRequest) Unwrap() error { return errBadRequest }

func bad(field, msg string) error { return &badRequest{field: field, msg: msg} }

func fail(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(c.Request.Context()), errShuttingDown) {
		c.Header("Retry-After", "5")
		err = fmt.Errorf("%w: the request was cancelled (%v); retry on the next server", errShuttingDown, err)
	}
	status, code := statusOf(err)
	body := apiError{Code: code, Message: plainMessage(err.Error())}
	var fe *engine.FieldError
	var br *badRequest
	switch {
	case errors.As(err, &fe):
		body.Field = fe.Field
	case errors.As(err, &br):
		body.Field = br.field
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		body.Field = "body"
		body.Message = "request body exceeds the limit of " + formatBytes(mbe.Limit)
	}
	if status >= 500 {
		if s, ok := c.Get(ctxServer); ok {
			s.(*Server).log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		}
		if status == http.StatusInternalServerError {
			body.Message = "internal error (see the server log)"
		}
	}
	c.AbortWithStatusJSON(status, gin.H{"error": body})
}
