package weaviate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Client talks to one Weaviate node; the cluster routes each request to
// the replicas that hold its shard. Safe for concurrent use.
type Client struct {
	opts  Options
	http  *http.Client
	conn  *grpc.ClientConn
	rpc   pb.WeaviateClient
	write pb.ConsistencyLevel
	read  pb.ConsistencyLevel

	closeOnce sync.Once
	closeErr  error

	mu          sync.Mutex
	collections map[string]*collection // schema cache by name; guarded by mu
}

// Open validates o, connects and waits until the node answers ready.
func Open(ctx context.Context, o Options) (*Client, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(o.GRPC,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20), grpc.MaxCallSendMsgSize(256<<20)))
	if err != nil {
		return nil, fmt.Errorf("%w: grpc %s: %v", ErrInvalid, o.GRPC, err)
	}
	c := &Client{
		opts: o, http: &http.Client{}, conn: conn, rpc: pb.NewWeaviateClient(conn),
		write: consistencyLevels[o.WriteConsistency], read: consistencyLevels[o.ReadConsistency],
		collections: map[string]*collection{},
	}
	if err := c.ready(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

// Close releases the connection; a second Close returns the first's result.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.conn.Close() })
	return c.closeErr
}

func (c *Client) ready(ctx context.Context) error {
	err := c.rest(ctx, http.MethodGet, "/v1/.well-known/ready", nil, nil)
	if err != nil {
		return fmt.Errorf("%w: %s not ready: %v", ErrUnavailable, c.opts.HTTP, err)
	}
	return nil
}

// callCtx bounds a call by the configured timeout and adds credentials.
func (c *Client) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	if c.opts.APIKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.opts.APIKey)
	}
	return ctx, cancel
}

// statusError is a REST answer other than 2xx.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("http %d: %s", e.code, e.body) }

// rest sends in as JSON and decodes a 2xx answer into out (when non-nil).
func (c *Client) rest(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.opts.HTTP, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrUnavailable, path, err)
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(b))}
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %s", ErrNotFound, se)
		}
		return se
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%w: decoding %s: %v", ErrUnavailable, path, err)
		}
	}
	return nil
}

// readErr maps a gRPC error of a read to a sentinel.
func readErr(op string, err error) error {
	st, _ := status.FromError(err)
	switch {
	case errors.Is(err, context.Canceled) || st.Code() == codes.Canceled:
		return fmt.Errorf("%s: %w", op, context.Canceled)
	case notFoundMessage(st.Message()):
		return fmt.Errorf("%w: %s: %s", ErrNotFound, op, st.Message())
	case st.Code() == codes.InvalidArgument:
		return fmt.Errorf("%w: %s: %s", ErrInvalid, op, st.Message())
	}
	return fmt.Errorf("%w: %s: %s: %s", ErrUnavailable, op, st.Code(), st.Message())
}

// writeErr maps a gRPC error of a write: anything but a clear refusal is
// an unknown outcome, since the write may have reached some replicas.
func writeErr(op string, err error) error {
	st, _ := status.FromError(err)
	switch {
	case notFoundMessage(st.Message()):
		return fmt.Errorf("%w: %s: %s", ErrNotFound, op, st.Message())
	case st.Code() == codes.InvalidArgument || st.Code() == codes.PermissionDenied || st.Code() == codes.Unauthenticated:
		return fmt.Errorf("%w: %s: %s", ErrRejected, op, st.Message())
	}
	return fmt.Errorf("%w: %s: %s: %s", ErrUnknownOutcome, op, st.Code(), st.Message())
}

// A property declared through one node reaches the others' applied schema
// a moment later (Raft); until then they refuse it with "no such prop".
// Such refusals are retried schemaLagTries times, schemaLagWait apart.
const (
	schemaLagTries = 15
	schemaLagWait  = 200 * time.Millisecond
)

func schemaLag(msg string) bool { return strings.Contains(strings.ToLower(msg), "no such prop") }

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func notFoundMessage(m string) bool {
	m = strings.ToLower(m)
	return strings.Contains(m, "could not find class") || strings.Contains(m, "class not found") ||
		strings.Contains(m, "no such class") || (strings.Contains(m, "collection") && strings.Contains(m, "not found"))
}
