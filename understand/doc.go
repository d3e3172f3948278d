// Package understand answers questions about a dataset's embeddings:
// outliers (k-NN distance, optionally against a reference dataset),
// clusters (HDBSCAN over the k-NN graph), compare (how two datasets differ,
// per group), duplicates (near-identical points within or across datasets),
// index tuning (the smallest ef reaching a target recall; parameter
// sweeps), and the model-failure loop: evaluate (inferences against labels,
// outcomes written to metadata), label errors, failure regions, and issues
// (saved selections collected from another dataset and exported).
//
// Guarantees: every analysis runs over engine.Rows, one space level read in
// IID order, so row numbers, graphs and results agree; the k-NN graph is
// never stale (engine.KNNGraph recomputes it when the vectors changed).
// Analyses across datasets refuse spaces of different provenance
// (engine.SameSpace). Requests are validated before any work, with errors
// naming the field.
//
// Caveats: results describe the vectors as read at the start; writes that
// land meanwhile are not reflected, and a paging cursor from before a
// vector change is refused. Issues are files under the data directory,
// not part of /v1/backup. write_metadata (outliers, clusters, label
// errors; evaluate unless dry_run)
// sets its fields in one engine.UpdateMetadata transaction (all rows or
// none; other keys are kept). Tune and Bench use
// CPU in proportion to the space's size (Bench is bounded to 50,000 vectors).
package understand
