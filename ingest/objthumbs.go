package ingest

// Object crops: at object level the view shows the crop of each object's
// box, not the whole image. A crop comes from one of two places:
//
//   - stored: cut from the original image when it was available in full —
//     on ingest (storeIngestObjectThumbnails), on PUT .../thumbnail with
//     the original image, or StoreObjectThumbnails — and shrunk to ≤128 px;
//   - thumbnail: cut on the fly from the point's ≤128 px thumbnail, with the
//     box scaled by thumbnail size / original size (lower resolution, but it
//     works for points stored before crops were). The original size is
//     known when it was recorded with the thumbnail (the record names the
//     thumbnail by checksum, so a thumbnail replaced since is not scaled by
//     a stale size) or when the thumbnail is smaller than 128 px on both
//     sides (thumbnails are never enlarged, so it is the original size).
//
// A stored crop is only served while its object still has the box it was
// cut from and the point still has the thumbnail made from the same image.
// When no crop can be had honestly there is none, and the view says so
// rather than show the whole image as if it were the object.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	imdraw "image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/extract"
	"github.com/reef-ml/reef/storage"
)

// Where an object's crop comes from (the X-Reef-Crop header).
const (
	CropStored    = "stored"
	CropThumbnail = "thumbnail"
)

// cropRect maps a box [x, y, w, h] in original pixels onto an image whose
// pixels are sx × sy original pixels, clipped to its bounds; false when
// nothing of the box is inside. A box thinner than a pixel still gets one.
func cropRect(b image.Rectangle, bbox [4]float32, sx, sy float64) (image.Rectangle, bool) {
	for _, v := range bbox {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return image.Rectangle{}, false
		}
	}
	x0 := math.Floor(float64(bbox[0]) / sx)
	y0 := math.Floor(float64(bbox[1]) / sy)
	x1 := max(math.Ceil(float64(bbox[0]+bbox[2])/sx), x0+1)
	y1 := max(math.Ceil(float64(bbox[1]+bbox[3])/sy), y0+1)
	lim := float64(1 << 24)
	clamp := func(v float64) int { return int(max(-lim, min(lim, v))) }
	r := image.Rect(clamp(x0), clamp(y0), clamp(x1), clamp(y1)).Add(b.Min).Intersect(b)
	return r, !r.Empty()
}

func subImage(src image.Image, r image.Rectangle) image.Image {
	if s, ok := src.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	imdraw.Draw(dst, dst.Bounds(), src, r.Min, imdraw.Src)
	return dst
}

// encodeThumb is PNG for grey images, JPEG otherwise.
func encodeThumb(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	var err error
	if isGray(img) {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, img)
	} else {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: 85})
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("encode crop: %w", err)
	}
	return buf.Bytes(), nil
}

// cutObjectCrops cuts every object's box out of the original image; boxes
// entirely outside it get no crop.
func cutObjectCrops(src image.Image, objs []storage.Object) ([]storage.ObjectCrop, error) {
	var out []storage.ObjectCrop
	for _, o := range objs {
		r, ok := cropRect(src.Bounds(), o.BBox, 1, 1)
		if !ok {
			continue
		}
		data, err := encodeThumb(shrink(subImage(src, r), maxThumbnailSide))
		if err != nil {
			return nil, err
		}
		out = append(out, storage.ObjectCrop{ObjectID: o.ID, BBox: o.BBox, Data: data})
	}
	return out, nil
}

// StoreObjectThumbnails cuts the box of each of the stored point's objects
// out of img, its original image decoded (pixel coordinates as the boxes
// use them), shrinks each crop to at most 128 px and stores them with the
// image's size, replacing the point's earlier crops. The point must exist.
func (e *Ingester) StoreObjectThumbnails(ctx context.Context, dataset, pointID string, img image.Image) error {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return err
	}
	if err := e.eng.CheckID("id", pointID); err != nil {
		return err
	}
	b := img.Bounds()
	if b.Empty() {
		return engine.FieldErr(engine.ErrInvalid, "image", "is empty")
	}
	objs, err := e.eng.DB().PointObjects(dataset, pointID)
	if err != nil {
		return engine.FromStorage(err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := storage.ObjectThumbs{PointID: pointID, Width: b.Dx(), Height: b.Dy()}
	if rec.Crops, err = cutObjectCrops(img, objs); err != nil {
		return err
	}
	// The point thumbnail made from the same image (if any) is named by
	// checksum so that crops of it scale by this size.
	if t, err := e.eng.DB().Thumbnail(dataset, pointID); err == nil {
		rec.ThumbCRC = thumbCRC(t)
	}
	return engine.FromStorage(e.eng.DB().PutObjectThumbs(dataset, []storage.ObjectThumbs{rec}))
}

// storeIngestObjectThumbnails is image ingest's hook, called once the
// batch's points and thumbnails are stored: crops already cut in the
// detector's pass (cut, by point id) are stored as they are; any other
// image whose point has objects (label or inference boxes) is decoded
// again and its boxes are cut out (StoreObjectThumbnails); for the rest
// only the original size is recorded, from the image header, so that boxes
// added later can be cropped from the thumbnail. The crops of the detector
// pass and the sizes go in one transaction. Best effort, like thumbnails:
// a failure is logged and the points stay stored.
func (e *Ingester) storeIngestObjectThumbnails(ctx context.Context, dataset string, items []ImageItem, points []engine.PointInput, cut map[string]*storage.ObjectThumbs) {
	byID := make(map[string]*ImageItem, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	var sizes []storage.ObjectThumbs
	for _, p := range points {
		if ctx.Err() != nil {
			return
		}
		it := byID[p.ID]
		if it == nil {
			continue
		}
		if rec := cut[p.ID]; rec != nil && len(p.Objects) > 0 {
			if t, err := e.eng.DB().Thumbnail(dataset, p.ID); err == nil {
				rec.ThumbCRC = thumbCRC(t)
			}
			sizes = append(sizes, *rec)
			continue
		}
		if len(p.Objects) > 0 {
			img, err := decodeItem(it)
			if err == nil {
				err = e.StoreObjectThumbnails(ctx, dataset, p.ID, img)
			}
			if err != nil {
				e.log.Warn("object crops not stored", "dataset", dataset, "id", p.ID, "err", err)
			}
			continue
		}
		w, h, err := itemSize(it)
		if err != nil || max(w, h) < maxThumbnailSide {
			continue // the thumbnail's own size is used when it is small
		}
		rec := storage.ObjectThumbs{PointID: p.ID, Width: w, Height: h}
		if t, err := e.eng.DB().Thumbnail(dataset, p.ID); err == nil {
			rec.ThumbCRC = thumbCRC(t)
		}
		sizes = append(sizes, rec)
	}
	if len(sizes) > 0 {
		if err := e.eng.DB().PutObjectThumbs(dataset, sizes); err != nil {
			e.log.Warn("object crops and image sizes not stored", "dataset", dataset, "images", len(sizes), "err", err)
		}
	}
}

// decodeItem decodes an ingested image as the extract pipeline does (EXIF
// orientation applied), so boxes and pixels agree.
func decodeItem(it *ImageItem) (image.Image, error) {
	if it.Data != nil {
		return extract.DecodeImage(it.Data, extract.DefaultImageLimits())
	}
	return extract.DecodeImageFile(it.Path, extract.DefaultImageLimits())
}

// itemSize reads an ingested image's size from its header (PNG, JPEG, GIF;
// JPEG EXIF rotations by 90° swap the sides, as decoding does).
func itemSize(it *ImageItem) (int, int, error) {
	data := it.Data
	if data == nil {
		f, err := os.Open(it.Path)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		head := make([]byte, 256<<10) // JPEG headers with EXIF fit
		n, err := f.Read(head)
		if n == 0 {
			return 0, 0, err
		}
		data = head[:n]
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, err
	}
	if format == "jpeg" && extract.EXIFOrientation(data) >= 5 {
		cfg.Width, cfg.Height = cfg.Height, cfg.Width
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return 0, 0, errors.New("empty image")
	}
	return cfg.Width, cfg.Height, nil
}

// objectCrop finds an object's crop: the stored one, or (with cut) a crop of
// the point thumbnail. It returns the source ("" when there is none), the
// bytes when asked for, and why there is none.
func (e *Ingester) objectCrop(dataset, id string, obj *storage.Object, cut bool) (string, []byte, error) {
	rec, err := e.eng.DB().ObjectThumbsOf(dataset, id, obj.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", nil, engine.FromStorage(err)
	}
	thumb, err := e.eng.DB().Thumbnail(dataset, id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", nil, engine.FromStorage(err)
	}
	// A stored crop holds while its object keeps the box it was cut from
	// and the point keeps the thumbnail made from the same image.
	sameImage := rec != nil && (rec.ThumbCRC == 0 || thumb == nil || rec.ThumbCRC == thumbCRC(thumb))
	if sameImage && len(rec.Crops) == 1 && rec.Crops[0].BBox == obj.BBox {
		return CropStored, rec.Crops[0].Data, nil
	}
	if thumb == nil {
		return "", nil, fmt.Errorf("%w: point %q has no thumbnail to crop object %q from", engine.ErrNotFound, id, obj.ID)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 {
		return "", nil, fmt.Errorf("%w: the thumbnail of point %q cannot be read", engine.ErrNotFound, id)
	}
	var sx, sy float64
	switch {
	case rec != nil && rec.ThumbCRC != 0 && rec.ThumbCRC == thumbCRC(thumb):
		sx, sy = float64(rec.Width)/float64(cfg.Width), float64(rec.Height)/float64(cfg.Height)
	case cfg.Width < maxThumbnailSide && cfg.Height < maxThumbnailSide:
		sx, sy = 1, 1 // thumbnails are never enlarged: this is the original
	default:
		return "", nil, fmt.Errorf("%w: no crop of object %q: the thumbnail of point %q is %d×%d and the size of the original image is unknown; PUT the original image as the point's thumbnail (or ingest it) to store crops",
			engine.ErrNotFound, obj.ID, id, cfg.Width, cfg.Height)
	}
	r, ok := cropRect(image.Rect(0, 0, cfg.Width, cfg.Height), obj.BBox, sx, sy)
	if !ok {
		return "", nil, fmt.Errorf("%w: the box of object %q lies outside the image of point %q", engine.ErrNotFound, obj.ID, id)
	}
	if !cut {
		return CropThumbnail, nil, nil
	}
	src, _, err := image.Decode(bytes.NewReader(thumb))
	if err != nil {
		return "", nil, fmt.Errorf("%w: the thumbnail of point %q cannot be decoded: %v", engine.ErrNotFound, id, err)
	}
	r = r.Add(src.Bounds().Min)
	var buf bytes.Buffer
	// PNG: the crop is small and already went through JPEG once.
	if err := png.Encode(&buf, copyImage(subImage(src, r))); err != nil {
		return "", nil, fmt.Errorf("encode crop: %w", err)
	}
	return CropThumbnail, buf.Bytes(), nil
}

// CropSource implements view.Media: where the object's crop comes from
// (CropStored, CropThumbnail), or "" when it has none.
func (e *Ingester) CropSource(dataset, pointID string, obj *storage.Object) string {
	src, _, err := e.objectCrop(dataset, pointID, obj, false)
	if err != nil {
		return ""
	}
	return src
}

// copyImage gives a crop its own pixels (and a zero origin).
func copyImage(src image.Image) image.Image {
	b := src.Bounds()
	if isGray(src) {
		dst := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		imdraw.Draw(dst, dst.Bounds(), src, b.Min, imdraw.Src)
		return dst
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	imdraw.Draw(dst, dst.Bounds(), src, b.Min, imdraw.Src)
	return dst
}

// ObjectThumbnail returns the crop of an object's box (PNG or JPEG, at most
// 128 px), its content type and where it came from (CropStored or
// CropThumbnail). engine.ErrNotFound says why there is none.
func (e *Ingester) ObjectThumbnail(ctx context.Context, dataset, id, oid string) ([]byte, string, string, error) {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return nil, "", "", err
	}
	objs, err := e.eng.DB().PointObjects(dataset, id)
	if err != nil {
		return nil, "", "", engine.FromStorage(err)
	}
	var obj *storage.Object
	for i := range objs {
		if objs[i].ID == oid {
			obj = &objs[i]
		}
	}
	if obj == nil {
		return nil, "", "", fmt.Errorf("%w: point %q has no object %q", engine.ErrNotFound, id, oid)
	}
	src, data, err := e.objectCrop(dataset, id, obj, true)
	if err != nil {
		return nil, "", "", err
	}
	return data, imageType(data), src, nil
}

func imageType(b []byte) string {
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		return "image/png"
	}
	return "image/jpeg"
}
