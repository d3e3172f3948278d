// Package bench measures reef's vector indexes so users can choose index
// settings with numbers rather than folklore.
//
// What is measured, and how:
//
//   - Recall@k: for every query the index's k results are compared with the
//     exact k nearest neighbours (Workload.Truth, computed by brute force over
//     all train vectors on all cores). Recall is |returned ∩ true| / k,
//     averaged over queries. Ties at the k-th distance are not special-cased,
//     so exact search can score marginally below 1 on data with duplicates.
//   - Build time: wall-clock time to insert every train vector, in parallel
//     (AddBatch when the index offers it, otherwise concurrent Add calls,
//     which every Index allows) and optionally single-threaded.
//   - Memory: runtime.MemStats.HeapAlloc after a forced GC, before and after
//     the build, divided by the number of vectors. It counts everything the
//     index keeps on the Go heap (vector copies, graph, maps) and nothing off
//     it (mmap, cgo); it is a per-process figure, so anything else allocating
//     concurrently skews it.
//   - Throughput and latency: for every ef and thread count, all queries
//     are searched in Grid.Repeats timed passes after a short warm-up, with
//     the queries shared among the threads; the fastest pass is reported
//     (best-of-N damps interference from other processes). QPS is queries /
//     wall time of that pass and p50/p95/p99 come from its per-query timings
//     (so at >1 thread they include contention).
//
// Numbers are only comparable within one machine and one run; other load on
// the machine shows up directly in QPS and latency (recall is unaffected).
// Peer libraries (hnswlib, see bench/peers) are run on identical vectors and
// truth files and their rows merged into the same Report, so ratio tables come
// from one run.
//
// The package also holds Tune (the smallest ef reaching a target recall) and
// Load (an HTTP load generator restricted to loopback servers).
package bench
