// Package server is reef's REST API over package engine, built on gin.
//
// Guarantees:
//   - Every error is JSON {"error":{"code","message","field"}} with a 4xx
//     status for the caller's mistakes and 5xx for reef's; the mapping from
//     engine errors to statuses lives in errors.go alone.
//   - Request bodies are size-limited before they are read; requests have
//     timeouts; a concurrency limit answers 429 when full.
//   - When API keys are configured, every route but /v1/health needs one,
//     checked (in constant time) before the body is read. Read keys may only
//     call routes marked read-only.
package server
