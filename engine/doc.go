// Package engine is reef's core: datasets, embedding spaces, datapoints
// and objects, validation, metadata updates, indexes, search and the
// consistency check. The feature packages (ingest, understand, view) build
// on it through the extension API in extend.go; the engine owns no models,
// graph cache or view cache.
//
// Where points live is behind the Store interface (store.go). The default
// store is embedded (embedded.go: bbolt plus reef's indexes); the guarantees
// below are its own. Another store is passed in Options.Store.
//
// Guarantees:
//   - Storage (package storage, bbolt) is the source of truth. Every write is
//     validated whole before it reaches storage; a rejected batch writes
//     nothing. A write is acknowledged only after its transaction committed.
//   - Indexes (package index) are caches. They are updated right after each
//     commit, in commit order, and persisted as snapshot files tagged with the
//     last sequence they contain. On Open a snapshot is loaded and the change
//     log replayed from its sequence; a missing, corrupt or stale snapshot is
//     rebuilt from storage, and the log says so.
//   - An index that fails to take a committed write is never snapshotted
//     again and is rebuilt from storage on the next open.
//   - Check compares every index with storage and reports each disagreement.
//
// Caveats:
//   - Writes are serialised (one writer at a time); searches run concurrently
//     with each other and with writes.
//   - Filtered searches compute the matching set by scanning point metadata
//     once per dataset version and filter; very selective filters fall back to
//     exact search over that set.
package engine
