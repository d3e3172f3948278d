// Package storage is reef's source of truth: datasets, embedding spaces,
// datapoints, objects and their vectors, kept in one bbolt file.
//
// Guarantees:
//   - Every write method runs in exactly one bbolt read-write transaction and
//     returns only after it committed (fsync'd, unless Options.NoSync). A batch
//     is therefore written whole or not at all.
//   - Every committed write gets the next value of a global sequence number;
//     records carry the sequence of the write that last changed them, and a
//     change log keyed by sequence lets index caches replay what they missed.
//   - Points and objects get internal ids (IIDs) from a per-dataset counter.
//     A point keeps its IID across upserts; objects get fresh IIDs when their
//     point is rewritten. IIDs are never reused within a dataset.
//
// Caveats:
//   - storage validates structure (unknown dataset or space, dimensions) but
//     not meaning: NaN checks, duplicate ids in a batch and metric rules are
//     the engine's job, done before a write reaches this package.
//   - The change log grows until TrimLog is called; callers trim it after
//     their caches have persisted what it describes.
package storage
