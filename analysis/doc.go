// Package analysis holds reef's dataset-understanding algorithms: k-nearest
// neighbour graphs, outlier scores (single- and multi-scale), two-sample
// comparison, clustering, near-duplicate detection, multi-example
// similarity search, evaluation of inferences against labels, label-error
// candidates and failure regions.
//
// The package is pure computation. It never touches reef's storage or engine;
// the only reef package it imports is index (for Metric). Everything that
// needs neighbours works from a Graph, which the engine builds with
// BuildGraph over an approximate (HNSW) search, or tests build with the
// brute-force ExactGraph.
//
// Guarantees:
//   - Determinism: every randomised routine (k-means seeding and batches,
//     permutation tests, samples) takes a seed and returns the same result for
//     the same input and seed, whatever the number of workers.
//   - Cancellation and progress: every computation that is more than linear
//     in the input takes a context.Context, checks it between chunks of work,
//     and reports progress through Options.Progress. Progress is called
//     serially with a non-decreasing done count.
//   - Parallelism: work is split over Options.Workers goroutines (default
//     GOMAXPROCS).
//   - Inputs are never modified, and results never alias inputs.
//   - Distances follow index: L2 is Euclidean, Cosine is 1-cos, Dot is -dot,
//     so smaller is always nearer.
//
// Complexity (n points, k neighbours, d dimensions, W workers):
//   - ExactGraph: O(n² d / W) time, O(n k) memory. Meant for n up to ~10⁵ at
//     low d and for tests; use BuildGraph over an index beyond that.
//   - BuildGraph: n calls of the supplied search, parallel.
//   - Outliers (mean/kth/LOF): O(n k + n log n).
//   - Compare: O(n k) for the statistic and its exact permutation variance,
//     O(P n k / W) for P label permutations.
//   - KMeans: O(n_s K d) seeding on a sample of n_s points, O(I B K d / W)
//     for I mini-batches of size B, then O(n K d / W) for the final labels.
//   - DensityClusters: O(n k log(n k)) (sorting the mutual-reachability
//     edges) plus near-linear union-find and condensed-tree passes.
//   - Duplicates: O(n k α(n)).
//   - Rescore: O(c (p + q) d / W) for c candidates, p positives, q negatives.
//   - MultiScaleOutliers: O(n K) for K the largest scale (≈ 5% of n).
//   - EvaluateDetections: O(Σ L·I) per datapoint with L labels and I
//     inferences, plus O(I log I) per class for AP.
//   - LabelErrors: O(n k). FailureRegions: O(n k) tests plus an O(n log n)
//     Benjamini–Hochberg sort.
//
// Caveats:
//   - Everything downstream of a Graph inherits its recall: with an
//     approximate graph, outlier scores are slightly inflated (a missed true
//     neighbour is replaced by a farther one), and duplicates can be missed.
//   - Graph rows may be shorter than K (an index can return fewer hits);
//     every consumer handles that, but statistics are then approximate.
//   - DensityClusters works on the kNN graph only, so its minimum spanning
//     tree is the MST of the kNN mutual-reachability graph, not of the
//     complete graph; components that the kNN graph leaves disconnected are
//     joined at infinite distance (they can only be separate clusters).
//   - Compare's group test uses the group labels only (shares in A vs B); the
//     kNN coverage per group is reported beside it as a description.
//
// How the engine wires it (every index below is a point's position in the
// slice of vectors the engine gathered, not its storage ID):
//
//   - Graph: BuildGraph(ctx, n, k, search, opts) with search(i, k) running
//     an index search for vector i and mapping hit IDs to positions. Persist
//     it with EncodeGraph; DecodeGraph validates (length, CRC-32, ranges,
//     order, duplicates) before trusting it.
//   - Outliers in one set: Outliers(ctx, g, opts). Outliers of B relative to
//     A: OutliersAgainst(ctx, graphOfA, neighboursOfBInA, opts); the
//     percentiles then rank B's points against A's own leave-one-out scores.
//   - Comparing A and B: one graph over A∪B, isB marking B's points, then
//     Compare; Groups (class or cluster per point) adds a per-group table,
//     Uncovered lists points one set has and the other lacks, and
//     CentroidDistance is a coarse first number.
//   - Clusters: KMeans on the vectors (labels, centroids, inertia),
//     DensityClusters on the graph (labels with -1 noise), Medoids for one
//     representative per cluster; AdjustedRandIndex, Purity and NMI score a
//     clustering against known labels.
//   - Duplicates and leakage: Duplicates on the graph, with IsB for pairs
//     that cross sets.
//   - Masking-resistant outliers: MultiScaleOutliers on a graph whose K
//     reaches the largest scale (5% of n by default).
//   - Evaluation: EvaluateDetections(labels, inferences per datapoint) or
//     EvaluateClassification(label, prediction, confidence per point); each
//     object's Outcome is what the engine writes back. CompareDetections /
//     CompareClassifications contrast two inference sets on one labelling.
//   - Label errors: LabelErrors(graph, labels, opts) with the model's
//     predictions in opts when present; Issues are ranked, Flagged marks
//     the confident-learning estimate.
//   - Failure regions: FailureRegions(graph, failed, opts), failed from an
//     evaluation (Outcome != TruePositive), a correct field, or FailedAbove
//     on a loss; opts.Clusters switches from the graph scan to clusters.
//   - Similar to several: fetch candidates by searching with each positive
//     (and with RocchioVector), union them, and Rescore with Average or
//     BestScore; after the user accepts or rejects results, TrainLogistic on
//     positives+accepted versus negatives+rejected and Rerank.
package analysis
