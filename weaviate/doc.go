// Package weaviate is reef's client for a Weaviate cluster: the few
// operations a reef store needs, over Weaviate's gRPC API for data and its
// REST API for the schema.
//
//   - A collection holds one reef dataset level; each reef space is a named
//     vector with its own HNSW (metric, M, ef_construction, ef).
//   - Objects are keyed by a UUID derived from the collection and reef's
//     point id (ObjectUUID), so a retried write is an upsert of the same
//     object, never a duplicate.
//   - Upsert reports a result per object at the configured consistency level
//     (QUORUM by default). A transport error or timeout is reported as
//     ErrUnknownOutcome: the write may or may not have been applied and the
//     caller retries it with the same ids.
//   - Scan streams every object with its vectors through the cursor (after),
//     so no caller holds a collection in memory.
//
// Caveats: Weaviate's ef is a collection setting, not a per-query one
// (SetEf changes it); below flatSearchCutoff a filtered search is exhaustive;
// object counts in /v1/nodes lag writes (Count uses an exact aggregate).
// Weaviate 1.35.2 binds gRPC on all interfaces: reef connects to loopback in
// tests and never assumes otherwise.
package weaviate
