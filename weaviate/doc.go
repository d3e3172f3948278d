// Package weaviate is reef's client for a Weaviate cluster: the few
// operations a reef store needs, over Weaviate's gRPC API for data and its
// REST API for the schema.
//
//   - A collection holds one reef dataset level (CollectionName); each reef
//     space is a named vector with its own HNSW (metric, M, ef_construction,
//     ef), and the collection's description keeps dimensions and provenance.
//   - Objects are keyed by a UUID derived from the collection and reef's
//     point id (ObjectUUID), so a retried write is an upsert of the same
//     object, never a duplicate. The reef id is kept in property reef_id.
//   - Upsert validates a whole batch before sending any of it, then reports
//     a Result per object at the configured write consistency (QUORUM by
//     default). A transport error, timeout or unreachable replica is
//     ErrUnknownOutcome: the write may or may not have been applied, and the
//     caller retries it with the same ids. Batch writes replace objects;
//     Merge changes some properties and keeps the vectors.
//   - Properties are typed and filterable (text is matched whole); one the
//     collection lacks is declared on first write, and its type is fixed.
//   - Scan streams every object with its vectors through the cursor, a page
//     at a time, so no caller holds a collection in memory.
//
// Caveats: Weaviate's ef is a collection setting, not a per-query one
// (SetEf changes it for every client); below flatSearchCutoff a filtered
// search is exhaustive; object counts in /v1/nodes lag writes (Count uses
// an exact aggregate); a new collection's shards appear on the nodes after
// the schema is agreed (EnsureCollection waits for them); replicas commit
// to each other with a fixed 10 s header timeout, so large batches on busy
// nodes come back as unknown outcomes; a node that restarted serves
// searches from replicas still catching up (Get, a read by id, does not).
// A client given several nodes (Options.More) spreads gRPC calls over the
// live ones and resends reads whose connection broke. Weaviate 1.35.2 binds gRPC on all interfaces: tests connect to loopback
// only.
package weaviate
