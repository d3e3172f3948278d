package ingest

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/storage"
)

// Previews are the images the view's detail panel draws large: a JPEG of
// the image shrunk (never enlarged) to at most 1024 px on its longer side,
// stored as a storage.BlobPreview next to the thumbnail and in the same
// transaction. An image no bigger than its thumbnail gets none: the
// thumbnail is the image. The original size (the pixels boxes refer to) is
// recorded with the object crops (objthumbs.go), so boxes are placed on a
// preview by the scale preview width / original width.

// maxPreviewSide bounds the longer side of a preview.
const maxPreviewSide = 1024

// makePreview returns the preview of a decoded image, or nil when the
// image fits its thumbnail or its JPEG would exceed the stored bound.
func makePreview(src image.Image) ([]byte, error) {
	b := src.Bounds()
	if max(b.Dx(), b.Dy()) <= maxThumbnailSide {
		return nil, nil
	}
	p, err := extract.ThumbnailJPEG(src, maxPreviewSide)
	if err != nil || len(p) > storage.MaxPreviewBytes {
		return nil, err
	}
	return p, nil
}

// Preview returns a point's stored preview (JPEG), or engine.ErrNotFound
// naming the point when it has none.
func (e *Ingester) Preview(ctx context.Context, dataset, id string) ([]byte, error) {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := e.eng.DB().Blob(storage.BlobPreview, dataset, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: point %q has no stored preview", engine.ErrNotFound, id)
	}
	if err != nil {
		return nil, engine.FromStorage(err)
	}
	return b, nil
}

// storeIngestThumbnails keeps a small JPEG of each ingested image and its
// preview for the embedding view. The thumbnails come from the extract
// pipeline (made from the pixels it decoded for the model, so EXIF
// orientation, WebP and pixel limits apply as for ingest); the previews are
// made from the image decoded again the same way. Both are best effort:
// the points are stored whether or not they could be made or stored.
func (e *Ingester) storeIngestThumbnails(ctx context.Context, dataset string, items []ImageItem, points []engine.PointInput, made map[string][]byte) {
	byID := make(map[string]*ImageItem, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	var ids []string
	var thumbs, previews [][]byte
	for _, p := range points {
		t := made[p.ID]
		if t == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		var pv []byte
		// The header says whether the image fits its thumbnail (no preview)
		// without decoding it again.
		if it := byID[p.ID]; it != nil && !fitsThumbnail(it) {
			img, err := decodeItem(it)
			if err == nil {
				pv, err = makePreview(img)
			}
			if err != nil {
				e.log.Warn("preview not made", "dataset", dataset, "id", p.ID, "err", err)
			}
		}
		ids, thumbs, previews = append(ids, p.ID), append(thumbs, t), append(previews, pv)
	}
	if len(ids) == 0 || ctx.Err() != nil {
		return
	}
	err := e.eng.DB().PutBlobSets(dataset, ids,
		storage.BlobValues{Kind: storage.BlobThumbnail, Data: thumbs},
		storage.BlobValues{Kind: storage.BlobPreview, Data: previews, Optional: true})
	if err != nil {
		e.log.Warn("thumbnails and previews not stored", "dataset", dataset, "images", len(ids), "err", err)
	}
}

// fitsThumbnail reports whether an item's header says it is no bigger than
// its thumbnail; an unreadable header says no, and decoding decides.
func fitsThumbnail(it *ImageItem) bool {
	w, h, err := itemSize(it)
	return err == nil && max(w, h) <= maxThumbnailSide
}
