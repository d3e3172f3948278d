// Package view is the embedding view's backend: 2-D layouts of a space
// level (PCA at once, UMAP in the background, or coordinates the user
// sets), their cache and files, colours by metadata field, overlays of a
// second dataset placed on the first one's map, row queries (hits,
// neighbours, similar) and tags.
//
// Guarantees: a layout is never shown for vectors it was not made from:
// each row's vector hash is kept with the layout (in memory and in its
// file, written atomically by safefile), and rows whose vectors changed
// are placed again. Tags go through engine.UpdateMetadata, in the single
// writer transaction, so a concurrent tag or metadata update on the same
// point is never lost. Background layouts stop when the engine closes.
//
// Hits carry the original image size (the pixels their boxes are in) only
// when it is known for the thumbnail stored (imagesize.go); rows are read
// MaxRowsBatch at a time (ViewRows); ViewSimilar with a maximum distance
// widens its search until it passes it, capped by k.
//
// Caveats: UMAP needs a k-NN graph source (Options.Graphs, the understand
// package); without one only PCA and user layouts exist. Above 100,000 rows
// PCA fits its axes on a 20,000-row sample. Hits name thumbnails, crops and
// audio only when Options.Media (the ingest package) says they exist. One
// Viewer per engine: two would compute and write the same layout files
// independently.
package view
