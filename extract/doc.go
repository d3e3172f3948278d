// Package extract turns images, and object boxes inside them, into embedding
// vectors with ONNX models run by ONNX Runtime (ORT).
//
// # Pieces
//
//   - Runtime (OpenRuntime): loads the ORT shared library (opts.LibraryPath,
//     $REEF_ORT_LIB, ./third_party/onnxruntime/, then beside the executable)
//     and owns the ORT environment.
//   - DecodeImage / DecodeImageFile: JPEG, PNG, GIF (first frame) and WebP,
//     with EXIF orientation applied to JPEGs.
//   - Manifest (ParseManifest, LoadManifest): how to preprocess, which tensor
//     to embed from, pooling, normalisation, optional object layer. Reef's
//     built-in model ships as just another manifest + ONNX file.
//   - Inspect: runs a model once with every intermediate tensor exposed and
//     suggests an embedding layer (classification pre-logits, detection
//     backbone output, segmentation bottleneck).
//   - Pooling (global average, GeM, adaptive to ≤ MaxDim) and ROIAlign.
//   - Embedder: session pool + batching; EmbedImages, EmbedWithBoxes,
//     the streaming EmbedFiles pipeline and RunBatch for raw access.
//   - Detector (manifest "detection" section): CenterNet-style decoding of
//     heatmap/box heads into classed boxes, each with a ROI-aligned vector
//     from the same run; own session pool, batched Detect / DetectItems.
//
// # Guarantees
//
//   - No panics on hostile input: images, EXIF blocks, manifests and ONNX
//     protobufs are parsed with bounds checks; failures return errors that
//     wrap the sentinels in errors.go (ErrBadImage, ErrBadManifest,
//     ErrUnsafeModel, ErrTensorNotFound, ErrRuntimeUnavailable, …).
//   - Images are size-checked from their header (ImageLimits, default
//     64 MiB / 50 megapixels) before pixel data is decoded, so decompression
//     bombs are refused cheaply.
//   - ONNX models whose external-data locations are absolute or escape the
//     model's directory are refused (ErrUnsafeModel) before ORT sees them;
//     manifest file names must be relative and non-escaping too.
//   - Runtime, Embedder and Inspect are safe for concurrent use. Each ORT
//     session is used by one goroutine at a time (session pool); cancelling
//     a context terminates an in-flight ORT run.
//
// # Caveats
//
//   - The ORT environment is process-global. Only one Runtime may be open
//     at a time; a second OpenRuntime fails with ErrRuntimeUnavailable until
//     the first is closed. Initialisation is guarded by a sync.Once inside
//     the Runtime; the package keeps no other mutable global state.
//   - Close Embedders before their Runtime. After Runtime.Close, calls fail
//     with ErrRuntimeUnavailable; sessions not closed by then are leaked
//     rather than freed against an unloaded library.
//   - Embedding length is capped by Manifest.MaxDim: feature maps are pooled
//     to the largest grid with C·h·w ≤ MaxDim; when C alone exceeds MaxDim,
//     adjacent channels are averaged as well (see PoolToMaxDim).
//   - Inspect loads the whole model, plus a rewritten copy, into memory and
//     keeps every intermediate tensor of one inference alive at once.
package extract
