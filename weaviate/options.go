package weaviate

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
)

// Options configure a Client.
type Options struct {
	// HTTP is the base URL of one node's REST API (schema, readiness).
	HTTP string
	// GRPC is host:port of the same node's gRPC API (data).
	GRPC string
	// More are other nodes of the same cluster. gRPC calls are spread over
	// every node that answers (round robin) and REST calls go to the first
	// that does, so the client keeps working while any node is down.
	More []Node
	// WriteConsistency is how many replicas must acknowledge a write
	// before it is reported done: "ONE", "QUORUM" or "ALL".
	WriteConsistency string
	// ReadConsistency is how many replicas must answer a read.
	ReadConsistency string
	// Timeout bounds each call that has no earlier context deadline.
	Timeout time.Duration
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	Logger *slog.Logger
}

// DefaultOptions talks to a local node at the ports
// scripts/weaviate-cluster.sh gives node 1: writes at QUORUM, so with
// replication factor 3 an acknowledged write survives the loss of any one
// node, and reads at QUORUM, so a reader sees every acknowledged write.
func DefaultOptions() Options {
	return Options{
		HTTP:             "http://127.0.0.1:18080",
		GRPC:             "127.0.0.1:18081",
		WriteConsistency: "QUORUM",
		ReadConsistency:  "QUORUM",
		Timeout:          30 * time.Second,
		Logger:           slog.Default(),
	}
}

// Node is one Weaviate node's REST base URL and gRPC host:port.
type Node struct {
	HTTP string
	GRPC string
}

// nodes lists the first node and More.
func (o Options) nodes() []Node { return append([]Node{{HTTP: o.HTTP, GRPC: o.GRPC}}, o.More...) }

var consistencyLevels = map[string]pb.ConsistencyLevel{
	"ONE":    pb.ConsistencyLevel_CONSISTENCY_LEVEL_ONE,
	"QUORUM": pb.ConsistencyLevel_CONSISTENCY_LEVEL_QUORUM,
	"ALL":    pb.ConsistencyLevel_CONSISTENCY_LEVEL_ALL,
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	for i, n := range o.nodes() {
		field := "http"
		if i > 0 {
			field = fmt.Sprintf("more[%d].http", i-1)
		}
		if u, err := url.Parse(n.HTTP); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%w: %s %q is not an http(s) URL", ErrInvalid, field, n.HTTP))
		}
		if _, _, err := net.SplitHostPort(n.GRPC); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s %q is not host:port", ErrInvalid, strings.Replace(field, "http", "grpc", 1), n.GRPC))
		}
	}
	if _, ok := consistencyLevels[o.WriteConsistency]; !ok {
		errs = append(errs, fmt.Errorf("%w: write_consistency %q is not ONE, QUORUM or ALL", ErrInvalid, o.WriteConsistency))
	}
	if _, ok := consistencyLevels[o.ReadConsistency]; !ok {
		errs = append(errs, fmt.Errorf("%w: read_consistency %q is not ONE, QUORUM or ALL", ErrInvalid, o.ReadConsistency))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%w: timeout must be positive", ErrInvalid))
	}
	if o.Logger == nil {
		errs = append(errs, fmt.Errorf("%w: logger is required", ErrInvalid))
	}
	return errors.Join(errs...)
}
