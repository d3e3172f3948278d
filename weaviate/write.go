package weaviate

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// Object is one reef point (or box) in a collection: its reef id, its
// properties (string, float64, int, bool; nil means absent) and one vector
// per named vector it has.
type Object struct {
	ID         string
	Properties map[string]any
	Vectors    map[string][]float32
}

// Result is the outcome of one object of a batch write: Err is nil when
// the write was acknowledged at the configured consistency, ErrRejected
// when the cluster refused it, ErrUnknownOutcome when it may or may not
// have been applied (retry it: writes are upserts).
type Result struct {
	ID  string
	Err error
}

// Upsert writes objects, replacing whole objects with the same ids. Every
// object is validated first; if any is invalid nothing is sent and the
// error names each problem. Otherwise there is one Result per object, in
// order, and the error is nil only when every object was acknowledged.
func (c *Client) Upsert(ctx context.Context, name string, objs []Object) ([]Result, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	newProps, err := validateObjects(k, objs)
	if err != nil {
		return nil, err
	}
	if len(newProps) > 0 {
		if err := c.ensureProperties(ctx, name, newProps); err != nil {
			return nil, err
		}
	}
	req := &pb.BatchObjectsRequest{ConsistencyLevel: &c.write}
	for _, o := range objs {
		req.Objects = append(req.Objects, batchObject(name, o))
	}
	res := make([]Result, len(objs))
	for i, o := range objs {
		res[i].ID = o.ID
	}
	reply, err := c.batch(ctx, req)
	if err != nil {
		err = writeErr("batch", err)
		c.opts.Logger.WarnContext(ctx, "weaviate batch failed", "collection", name, "objects", len(objs), "err", err)
		for i := range res {
			res[i].Err = err
		}
		return res, err
	}
	failed, first := 0, -1
	for _, e := range reply.GetErrors() {
		i := int(e.GetIndex())
		if i < 0 || i >= len(res) || res[i].Err != nil {
			continue
		}
		res[i].Err = batchErr(e.GetError())
		if failed++; first < 0 {
			first = i
		}
	}
	if failed == 0 {
		return res, nil
	}
	c.opts.Logger.WarnContext(ctx, "weaviate batch objects failed", "collection", name, "failed", failed, "objects", len(objs), "first", res[first].Err)
	return res, fmt.Errorf("%d of %d objects failed, first %s: %w", failed, len(objs), objs[first].ID, res[first].Err)
}

// batch sends req, resending the objects a node refused only because it
// has not applied a just-declared property yet (bounded: schemaLagTries).
func (c *Client) batch(ctx context.Context, req *pb.BatchObjectsRequest) (*pb.BatchObjectsReply, error) {
	out := &pb.BatchObjectsReply{}
	index := make([]int32, len(req.Objects)) // position in the first request
	for i := range index {
		index[i] = int32(i)
	}
	for try := 1; ; try++ {
		cctx, cancel := c.callCtx(ctx)
		reply, err := c.rpc.BatchObjects(cctx, req)
		cancel()
		if err != nil {
			return nil, err
		}
		var again []*pb.BatchObject
		var againIndex []int32
		for _, e := range reply.GetErrors() {
			i := e.GetIndex()
			if i < 0 || int(i) >= len(index) {
				continue
			}
			if schemaLag(e.GetError()) && try < schemaLagTries {
				again, againIndex = append(again, req.Objects[i]), append(againIndex, index[i])
				continue
			}
			out.Errors = append(out.Errors, &pb.BatchObjectsReply_BatchError{Index: index[i], Error: e.GetError()})
		}
		if len(again) == 0 {
			return out, nil
		}
		if err := sleepCtx(ctx, schemaLagWait); err != nil {
			return nil, err
		}
		req = &pb.BatchObjectsRequest{Objects: again, ConsistencyLevel: req.ConsistencyLevel}
		index = againIndex
	}
}

// batchErr classes a per-object error: a replica that did not answer
// leaves the outcome unknown (others may have applied it).
func batchErr(msg string) error {
	m := strings.ToLower(msg)
	for _, s := range []string{"consistency level", "replica", "timeout", "deadline", "connection", "unavailable", "broadcast", "context canceled"} {
		if strings.Contains(m, s) {
			return fmt.Errorf("%w: %s", ErrUnknownOutcome, msg)
		}
	}
	return fmt.Errorf("%w: %s", ErrRejected, msg)
}

func batchObject(name string, o Object) *pb.BatchObject {
	fields := map[string]*structpb.Value{IDProperty: structpb.NewStringValue(o.ID)}
	for p, v := range o.Properties {
		if sv := structValue(v); sv != nil {
			fields[p] = sv
		}
	}
	bo := &pb.BatchObject{
		Uuid: ObjectUUID(name, o.ID), Collection: name,
		Properties: &pb.BatchObject_Properties{NonRefProperties: &structpb.Struct{Fields: fields}},
	}
	for vn, v := range o.Vectors {
		bo.Vectors = append(bo.Vectors, &pb.Vectors{Name: vn, VectorBytes: vectorBytes(v), Type: pb.Vectors_VECTOR_TYPE_SINGLE_FP32})
	}
	return bo
}

func structValue(v any) *structpb.Value {
	switch v := v.(type) {
	case string:
		return structpb.NewStringValue(v)
	case float64:
		return structpb.NewNumberValue(v)
	case int:
		return structpb.NewNumberValue(float64(v))
	case int64:
		return structpb.NewNumberValue(float64(v))
	case bool:
		return structpb.NewBoolValue(v)
	}
	return nil
}

func vectorBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func vectorFromBytes(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// Delete removes the objects with the given reef ids (absent ones are not
// an error) and returns how many existed. A transport failure is
// ErrUnknownOutcome: retry, deletes are idempotent.
func (c *Client) Delete(ctx context.Context, name string, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if !collectionName.MatchString(name) {
		return 0, fmt.Errorf("%w: collection name %q", ErrInvalid, name)
	}
	uuids := make([]string, len(ids))
	for i, id := range ids {
		uuids[i] = ObjectUUID(name, id)
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel()
	reply, err := c.rpc.BatchDelete(cctx, &pb.BatchDeleteRequest{Collection: name, Filters: idFilter(uuids), ConsistencyLevel: &c.write})
	if err != nil {
		return 0, writeErr("delete", err)
	}
	if reply.GetFailed() > 0 {
		return reply.GetSuccessful(), fmt.Errorf("%w: delete: %d of %d failed", ErrUnknownOutcome, reply.GetFailed(), reply.GetMatches())
	}
	return reply.GetSuccessful(), nil
}
