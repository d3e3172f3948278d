// Package ingest turns files into points: it owns the model registry
// (built-in manifests and user-registered ONNX models), image and audio
// ingest (embedding, detection boxes), the side data ingest leaves for the
// view (thumbnails, object crops, playable audio) and the ingest
// measurement against bare ONNX Runtime.
//
// Guarantees: a bad file (undecodable image or audio, or an image whose
// metadata or label boxes Upsert would refuse: checked before any
// inference) is reported per file in IngestResult.Failed and never stops
// the batch; the good files' points
// are written in one engine transaction (engine.Upsert), so a batch's
// points are all stored or none. Replacing a registered model swaps its
// directory in atomically (safefile.Replace). Models are loaded on first
// use, so reef serves vectors without ONNX Runtime.
//
// Caveats: thumbnails, crops and playable audio are side data written after
// the points commit, best effort: a crash or failure in between leaves
// points without them (logged), never media without points; points,
// thumbnails and crops are three transactions. With a detector model each
// image is decoded twice (the detector's full-resolution decode, which also
// cuts the crops, and the embedder's scaled one); without one, images with
// label boxes are decoded a second time, after the embedder, for crops.
package ingest
