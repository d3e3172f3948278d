package weaviate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Hit is one search result: the reef id, the distance in the vector's
// metric (squared for l2) and the object's properties.
type Hit struct {
	ID         string
	Distance   float32
	Properties map[string]any
}

// Get returns one object with all its vectors, or ErrNotFound. It is a
// replicated read by id at ReadConsistency (REST): the replicas are asked
// and repaired, unlike searches, which read one replica per shard.
func (c *Client) Get(ctx context.Context, name, id string) (Object, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return Object{}, err
	}
	var got struct {
		Properties map[string]any       `json:"properties"`
		Vectors    map[string][]float32 `json:"vectors"`
	}
	path := fmt.Sprintf("/v1/objects/%s/%s?include=vector&consistency_level=%s", url.PathEscape(name), ObjectUUID(name, id), c.opts.ReadConsistency)
	if err := c.rest(ctx, http.MethodGet, path, nil, &got); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Object{}, fmt.Errorf("%w: %s has no object %q", ErrNotFound, name, id)
		}
		return Object{}, err
	}
	o := Object{ID: id, Properties: map[string]any{}, Vectors: got.Vectors}
	for p, v := range got.Properties {
		if p == IDProperty {
			continue
		}
		if f, ok := v.(float64); ok && k.props[p] == "int" {
			v = int64(f) // JSON has one number type; the schema says which
		}
		o.Properties[p] = v
	}
	return o, nil
}

// Search returns the k objects nearest to query in one named vector that
// match f. Weaviate searches with the collection's ef (SetEf), and below
// its flat-search cutoff a filtered search is exhaustive.
func (c *Client) Search(ctx context.Context, name, vector string, query []float32, k int, f Filter) ([]Hit, error) {
	sc, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	if dim, ok := sc.dims[vector]; !ok {
		return nil, fmt.Errorf("%w: %s has no vector %q", ErrInvalid, name, vector)
	} else if len(query) != dim || !finite(query) {
		return nil, fmt.Errorf("%w: query has %d values, want %d finite ones", ErrInvalid, len(query), dim)
	}
	if k <= 0 || k > 10000 {
		return nil, fmt.Errorf("%w: k %d must be in 1..10000", ErrInvalid, k)
	}
	req := c.searchRequest(name)
	req.Limit = uint32(k)
	if req.Filters, err = f.proto(); err != nil {
		return nil, err
	}
	req.Metadata.Distance = true
	req.NearVector = &pb.NearVector{
		Vectors: []*pb.Vectors{{VectorBytes: vectorBytes(query), Type: pb.Vectors_VECTOR_TYPE_SINGLE_FP32}},
		Targets: &pb.Targets{TargetVectors: []string{vector}},
	}
	reply, err := c.search(ctx, req)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(reply.GetResults()))
	for _, r := range reply.GetResults() {
		o := object(r)
		hits = append(hits, Hit{ID: o.ID, Distance: r.GetMetadata().GetDistance(), Properties: o.Properties})
	}
	return hits, nil
}

// Count returns the exact number of objects that match f (an aggregate,
// unlike the lagging counts of /v1/nodes).
func (c *Client) Count(ctx context.Context, name string, f Filter) (int64, error) {
	if !collectionName.MatchString(name) {
		return 0, fmt.Errorf("%w: collection name %q", ErrInvalid, name)
	}
	filters, err := f.proto()
	if err != nil {
		return 0, err
	}
	for try := 1; ; try++ {
		cctx, cancel := c.callCtx(ctx)
		reply, err := c.rpc.Aggregate(cctx, &pb.AggregateRequest{Collection: name, ObjectsCount: true, Filters: filters})
		cancel()
		if err == nil {
			return reply.GetSingleResult().GetObjectsCount(), nil
		}
		if !readRetry(err) || try == schemaLagTries {
			return 0, readErr("count", err)
		}
		if err := sleepCtx(ctx, schemaLagWait); err != nil {
			return 0, err
		}
	}
}

// ScanOptions choose what Scan returns.
type ScanOptions struct {
	// Vectors to return; nil returns all, an empty non-nil slice none.
	Vectors []string
	// Batch is the page size (default 1000).
	Batch int
}

// Scan calls fn for every object of the collection in UUID order, one
// page at a time, so memory stays one page whatever the collection's size.
// It stops at fn's first error and returns it. Objects written during a
// scan may or may not be seen.
func (c *Client) Scan(ctx context.Context, name string, o ScanOptions, fn func(Object) error) error {
	k, err := c.schema(ctx, name)
	if err != nil {
		return err
	}
	vectors := o.Vectors
	if vectors == nil {
		vectors = k.vectorNames()
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 1000
	}
	after := ""
	for pages := 0; pages < math.MaxInt32; pages++ {
		req := c.searchRequest(name)
		req.Limit, req.After = uint32(batch), after
		req.Metadata.Vectors = vectors
		reply, err := c.search(ctx, req)
		if err != nil {
			return err
		}
		for _, r := range reply.GetResults() {
			if err := fn(object(r)); err != nil {
				return err
			}
			after = r.GetMetadata().GetId()
		}
		if len(reply.GetResults()) < batch {
			return nil
		}
	}
	return nil
}

func (c *Client) searchRequest(name string) *pb.SearchRequest {
	return &pb.SearchRequest{
		Collection: name, ConsistencyLevel: &c.read, Uses_127Api: true,
		Metadata:   &pb.MetadataRequest{Uuid: true},
		Properties: &pb.PropertiesRequest{ReturnAllNonrefProperties: true},
	}
}

func (c *Client) search(ctx context.Context, req *pb.SearchRequest) (*pb.SearchReply, error) {
	for try := 1; ; try++ {
		cctx, cancel := c.callCtx(ctx)
		reply, err := c.rpc.Search(cctx, req)
		cancel()
		if err == nil {
			return reply, nil
		}
		if !readRetry(err) || try == schemaLagTries {
			return nil, readErr("search", err)
		}
		if err := sleepCtx(ctx, schemaLagWait); err != nil {
			return nil, err
		}
	}
}

// object converts a search result; reef_id becomes ID.
func object(r *pb.SearchResult) Object {
	o := Object{Properties: map[string]any{}}
	for name, v := range r.GetProperties().GetNonRefProps().GetFields() {
		if name == IDProperty {
			o.ID = v.GetTextValue()
			continue
		}
		if x := plainValue(v); x != nil {
			o.Properties[name] = x
		}
	}
	for _, v := range r.GetMetadata().GetVectors() {
		if o.Vectors == nil {
			o.Vectors = map[string][]float32{}
		}
		o.Vectors[v.GetName()] = vectorFromBytes(v.GetVectorBytes())
	}
	return o
}

func plainValue(v *pb.Value) any {
	switch x := v.GetKind().(type) {
	case *pb.Value_TextValue:
		return x.TextValue
	case *pb.Value_NumberValue:
		return x.NumberValue
	case *pb.Value_IntValue:
		return x.IntValue
	case *pb.Value_BoolValue:
		return x.BoolValue
	}
	return nil
}

// GetMany returns the objects with the given ids that one replica per
// shard holds (a filtered search at ReadConsistency): fast for batches, but
// a replica that is catching up after a restart can miss recent writes,
// which Get would find.
func (c *Client) GetMany(ctx context.Context, name string, ids []string, vectors bool) (map[string]Object, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Object, len(ids))
	for lo := 0; lo < len(ids); lo += 1000 {
		chunk := ids[lo:min(lo+1000, len(ids))]
		uuids := make([]string, len(chunk))
		for i, id := range chunk {
			uuids[i] = ObjectUUID(name, id)
		}
		req := c.searchRequest(name)
		req.Limit, req.Filters = uint32(len(chunk)), idFilter(uuids)
		if vectors {
			req.Metadata.Vectors = k.vectorNames()
		}
		reply, err := c.search(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, r := range reply.GetResults() {
			o := object(r)
			out[o.ID] = o
		}
	}
	return out, nil
}

// readRetry says whether a failed read is worth sending again: the node's
// schema lagged, or its connection broke (round robin then picks another
// node; reads are idempotent).
func readRetry(err error) bool {
	return schemaLag(err.Error()) || status.Code(err) == codes.Unavailable
}
