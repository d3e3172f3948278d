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
	"sync/atomic"
	"time"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
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
	restNode  atomic.Int32 // index in opts.nodes() of the last node that answered

	mu          sync.Mutex
	collections map[string]*collection // schema cache by name; guarded by mu
}

// Open validates o, connects and waits until the node answers ready.
func Open(ctx context.Context, o Options) (*Client, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	// A resolver of its own holding every node: round robin skips nodes
	// whose connection failed, so a dead node costs only the calls in flight.
	r := manual.NewBuilderWithScheme("reef-weaviate")
	var addrs []resolver.Address
	for _, n := range o.nodes() {
		addrs = append(addrs, resolver.Address{Addr: n.GRPC})
	}
	r.InitialState(resolver.State{Addresses: addrs})
	conn, err := grpc.NewClient(r.Scheme()+":///cluster", grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
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
		return fmt.Errorf("%w: no node ready: %v", ErrUnavailable, err)
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

// rest sends in as JSON to the first node that answers and decodes a 2xx
// answer into out (when non-nil). Only a node that cannot be reached is
// skipped: an answer, even an error, ends the call.
func (c *Client) rest(ctx context.Context, method, path string, in, out any) error {
	var b []byte
	if in != nil {
		var err error
		if b, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	nodes := c.opts.nodes()
	start := int(c.restNode.Load())
	var err error
	for i := range nodes {
		j := (start + i) % len(nodes)
		var reached bool
		if reached, err = c.restTo(ctx, nodes[j].HTTP, method, path, b, out); reached {
			c.restNode.Store(int32(j))
			return err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return err
}

// restTo makes one REST call to base; reached is false when no answer came.
func (c *Client) restTo(ctx context.Context, base, method, path string, in []byte, out any) (reached bool, err error) {
	ctx, cancel := c.callCtx(ctx)
	defer cancel()
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return true, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return true, fmt.Errorf("%w: reading %s: %v", ErrUnavailable, path, err)
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(b))}
		if resp.StatusCode == http.StatusNotFound {
			return true, fmt.Errorf("%w: %s", ErrNotFound, se)
		}
		return true, se
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return true, fmt.Errorf("%w: decoding %s: %v", ErrUnavailable, path, err)
		}
	}
	return true, nil
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
