package weaviate

import (
	"context"
	"fmt"
)

// Find returns up to limit objects that match f (every object for an empty
// f), without vector search: a filtered read served by one replica per
// shard at ReadConsistency, like GetMany. vectors asks for all vectors.
func (c *Client) Find(ctx context.Context, name string, f Filter, limit int, vectors bool) ([]Object, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxBatch {
		return nil, fmt.Errorf("%w: limit %d must be in 1..%d", ErrInvalid, limit, maxBatch)
	}
	req := c.searchRequest(name)
	req.Limit = uint32(limit)
	if len(f) > 0 {
		if req.Filters, err = f.proto(); err != nil {
			return nil, err
		}
	}
	if vectors {
		req.Metadata.Vectors = k.vectorNames()
	}
	reply, err := c.search(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(reply.GetResults()))
	for _, r := range reply.GetResults() {
		out = append(out, object(r))
	}
	return out, nil
}

// Properties returns the declared properties of a collection and their
// types ("text", "number", "int", "boolean"), from the client's schema.
func (c *Client) Properties(ctx context.Context, name string) (map[string]string, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(k.props))
	for p, t := range k.props {
		out[p] = t
	}
	return out, nil
}
