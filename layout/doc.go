// Package layout computes 2-D layouts of embedding datasets for reef's
// embedding view: UMAP from a k-nearest-neighbour graph, PCA from raw
// vectors, stable incremental placement of new points, and label-agreement
// scores for judging a layout.
//
// # UMAP
//
// UMAP follows McInnes, Healy & Melville (2018), written from the paper:
//
//  1. For each point, rho = distance to its nearest neighbour (at positive
//     distance) and sigma found by bisection so that
//     Σ_j exp(-max(0, d_j - rho)/sigma) = log2(k).
//  2. Directed memberships w_ij = exp(-max(0, d_ij - rho_i)/sigma_i) are
//     symmetrised with the fuzzy union w = a + b - a·b.
//  3. Start coordinates come from the caller (e.g. PCA) or from a spectral
//     initialisation (block power iteration on the normalised adjacency),
//     rescaled to [0,10]².
//  4. SGD on the fuzzy cross-entropy: each edge is sampled with frequency
//     proportional to its weight (edges below max/epochs are dropped),
//     attracting along the curve 1/(1+a·d^2b) whose a, b are fitted to
//     MinDist and Spread (FitCurve), and each sample is followed by
//     NegativeSampleRate repulsive moves from uniformly drawn points.
//     Gradients are clipped to ±4 and the step decays linearly to 0.
//
// Complexity: building the graph is O(n·k·log k); spectral initialisation
// is 100·O(n·k); each epoch is O(n·k·(1+NegativeSampleRate)) on average.
// SGD keeps 16 bytes per directed edge of the symmetrised graph (about
// 1.3–2 edges per kNN entry), plus O(n); building the graph temporarily
// needs about 3× that.
//
// # Parallelism and determinism
//
// Epochs run in parallel over vertices. Unlike the reference's lock-free
// "Hogwild" SGD, there are no data races and no atomics: within an epoch
// each vertex is updated by exactly one goroutine, only its own coordinates
// move, and every other point is read from the previous epoch's snapshot
// (double buffering). Random numbers are drawn per (Seed, vertex, epoch).
// Consequently the layout is a pure function of the inputs and Seed, and is
// bit-identical for any Workers value, not only Workers=1. The price is that
// a vertex sees its neighbours' moves one epoch late, and only the head of
// each directed edge is moved (with the attraction doubled to keep the
// reference's balance of attraction and repulsion). Quality is checked by
// the tests (label agreement on blobs and Fashion-MNIST) rather than by
// comparison with the reference. Results may differ across CPU
// architectures (math.Pow/Exp in setup, FMA fusion), not across runs.
//
// PCA, the spectral initialisation and the agreement scores likewise use
// fixed chunkings whose results are combined in a fixed order.
//
// # Caveats
//
//   - UMAP distances should be true distances (e.g. Euclidean, not squared
//     L2); monotone transforms change sigma and the layout.
//   - Disconnected kNN graphs are laid out together, not per component as
//     in the reference; well-separated components still separate, but their
//     relative placement is arbitrary. Global structure in general is only
//     loosely preserved by UMAP; PCA init helps.
//   - Epochs default to 500 for n ≤ 10,000, else 200. Cancellation is
//     checked between epochs (and PCA iterations).
//   - Place is a one-shot weighted average, not an optimisation: new points
//     land among their neighbours but are not pushed apart from them.
//   - Layouts are not comparable across seeds; coordinates are in arbitrary
//     units (use Normalize for rendering).
package layout
