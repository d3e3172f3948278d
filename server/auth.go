package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// access is what a route needs.
type access uint8

const (
	public access = iota // no key, even when keys are on (health only)
	readOnly
	admin
)

// guard runs before the handler: authentication, the concurrency slot, the
// body limit and the request timeout. Permission is settled before a single
// body byte is read.
func (s *Server) guard(rt route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if rt.access != public && (s.opts.AdminKey != "" || s.opts.ReadKey != "") {
			key, ok := bearer(c.GetHeader("Authorization"))
			switch {
			case !ok:
				c.Header("WWW-Authenticate", `Bearer realm="reef"`)
				c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": apiError{Code: "unauthorized", Message: "this route needs an API key: Authorization: Bearer KEY"}})
				return
			case keyEqual(key, s.opts.AdminKey):
			case keyEqual(key, s.opts.ReadKey):
				c.Set(ctxReadOnly, true)
				if rt.access == admin {
					c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": apiError{Code: "forbidden", Message: "a read-only key cannot call this route"}})
					return
				}
			default:
				c.Header("WWW-Authenticate", `Bearer realm="reef", error="invalid_token"`)
				c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": apiError{Code: "unauthorized", Message: "unknown API key"}})
				return
			}
		}
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		default:
			c.Header("Retry-After", "1")
			c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": apiError{Code: "too_many_requests", Message: "server busy; retry shortly"}})
			return
		}
		limit := s.opts.MaxBodyBytes
		if rt.upload {
			limit = s.opts.MaxUploadBytes
		}
		if c.Request.ContentLength > limit {
			// Refused before a byte is read; readBody may then size its
			// buffer from the declared length.
			fail(c, &http.MaxBytesError{Limit: limit})
			return
		}
		if w := s.weightOf(rt, c.Request.ContentLength); w > 0 {
			if !s.budget.acquire(c.Request.Context(), w, budgetWait) {
				c.Header("Retry-After", "1")
				c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": apiError{Code: "overloaded",
					Message: "heavy requests in flight hold the memory budget; retry shortly"}})
				return
			}
			defer s.budget.release(w)
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		if timeout := s.timeoutOf(rt); timeout > 0 {
			ctx, cancel := context.WithTimeout(c.Request.Context(), timeout)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
		}
		c.Next()
	}
}

// timeoutOf is a route's time limit; 0 means none (streams, bulk loads).
func (s *Server) timeoutOf(rt route) time.Duration {
	switch {
	case rt.compute:
		return s.opts.ComputeTimeout
	case rt.long:
		return 0
	}
	return s.opts.RequestTimeout
}

// ctxReadOnly marks a request authenticated with the read-only key.
const ctxReadOnly = "reef.readonly"

// mayWrite reports whether the request may change data; read routes that
// can optionally write (e.g. scores into metadata) check it.
func mayWrite(c *gin.Context) error {
	if c.GetBool(ctxReadOnly) {
		return errForbidden
	}
	return nil
}

func bearer(h string) (string, bool) {
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// keyEqual compares in constant time; an unset key never matches.
func keyEqual(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
