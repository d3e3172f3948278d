package weaviate

import "errors"

var (
	// ErrInvalid marks options or arguments that cannot work.
	ErrInvalid = errors.New("weaviate: invalid argument")
	// ErrNotFound marks a collection or object that does not exist.
	ErrNotFound = errors.New("weaviate: not found")
	// ErrUnavailable marks a cluster that did not answer.
	ErrUnavailable = errors.New("weaviate: unavailable")
	// ErrUnknownOutcome marks a write whose result was lost in transit (a
	// timeout or broken connection): it may have been applied. Retry it with
	// the same ids; batch writes are upserts.
	ErrUnknownOutcome = errors.New("weaviate: write outcome unknown")
	// ErrRejected marks an object the cluster refused (see the message).
	ErrRejected = errors.New("weaviate: object rejected")
)

// ErrConflict marks a collection that exists with a different shape
// (vector names, dimensions or metrics) than the one asked for.
var ErrConflict = errors.New("weaviate: conflicting collection")
