package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/gif" // thumbnail sources
	"image/jpeg"
	"image/png"
	"math"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

const (
	maxThumbnailSide = 128
	maxImageSide     = 16_384
	// MaxThumbnailInput bounds the image given to StoreThumbnail.
	MaxThumbnailInput = 1 << 20
)

// crcTable fingerprints thumbnails; it must stay Castagnoli, as stored
// object-crop records name their thumbnail by this checksum.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// StoreThumbnail decodes an image (PNG, JPEG or GIF, ≤ 1 MiB), shrinks it
// to at most 128 px on its longer side and stores it as the point's
// thumbnail (PNG for PNG/GIF sources, JPEG otherwise). The point must
// exist. Send the original image (the pixels the boxes of its objects
// refer to): the crops of its objects are cut from it and stored too, and
// its size is kept so boxes added later can be cut from the thumbnail
// (view_objthumbs.go). A preview of at most 1024 px is stored with the
// thumbnail (previews.go).
func (e *Ingester) StoreThumbnail(ctx context.Context, dataset, id string, img []byte) error {
	return e.StoreThumbnails(ctx, dataset, []string{id}, [][]byte{img})
}

// StoreThumbnails is StoreThumbnail for many points in one transaction
// (all or nothing): image ingest should call it once per batch. Errors
// name the offending entry as images[i].
func (e *Ingester) StoreThumbnails(ctx context.Context, dataset string, ids []string, images [][]byte) error {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return err
	}
	if len(ids) != len(images) {
		return engine.FieldErr(engine.ErrInvalid, "images", "%d ids for %d images", len(ids), len(images))
	}
	if len(ids) > e.eng.Limits().MaxBatch {
		return engine.FieldErr(engine.ErrTooLarge, "images", "%d images, limit %d per call", len(ids), e.eng.Limits().MaxBatch)
	}
	single := len(ids) == 1
	name := func(i int, f string) string {
		if single {
			return f
		}
		return fmt.Sprintf("images[%d].%s", i, f)
	}
	out, previews := make([][]byte, len(ids)), make([][]byte, len(ids))
	var recs []storage.ObjectThumbs
	for i, id := range ids {
		if err := e.eng.CheckID(name(i, "id"), id); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t, src, err := makeThumbnail(name(i, "image"), images[i])
		if err != nil {
			return err
		}
		out[i] = t
		if previews[i], err = makePreview(src); err != nil {
			return fmt.Errorf("encode preview: %w", err)
		}
		// The full image is at hand: cut its objects' crops now (a point
		// that does not exist is reported by PutThumbnails below), and
		// keep its size for boxes added later, unless the thumbnail is the
		// image itself (smaller than 128 px: never enlarged, so its size).
		b := src.Bounds()
		rec := storage.ObjectThumbs{PointID: id, Width: b.Dx(), Height: b.Dy(), ThumbCRC: thumbCRC(t)}
		objs, err := e.eng.DB().PointObjects(dataset, id)
		if err == nil {
			if rec.Crops, err = cutObjectCrops(src, objs); err != nil {
				return err
			}
		}
		if len(objs) > 0 || max(b.Dx(), b.Dy()) >= maxThumbnailSide {
			recs = append(recs, rec)
		}
	}
	// The preview goes with the thumbnail; a nil one removes the preview
	// of an image this one replaces.
	err := e.eng.DB().PutBlobSets(dataset, ids,
		storage.BlobValues{Kind: storage.BlobThumbnail, Data: out},
		storage.BlobValues{Kind: storage.BlobPreview, Data: previews, Optional: true})
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return engine.FieldErr(engine.ErrNotFound, name(0, "id"), "%v", engine.FromStorage(err))
		}
		return engine.FromStorage(err)
	}
	// The image sizes and crops, in a transaction of their own: they are
	// side data, checked against the thumbnail and boxes when read.
	if len(recs) > 0 {
		if err := e.eng.DB().PutObjectThumbs(dataset, recs); err != nil {
			return engine.FromStorage(err)
		}
	}
	return nil
}

// thumbCRC fingerprints a stored point thumbnail (never 0, which means
// "unknown" in an object-crop record).
func thumbCRC(b []byte) uint32 { return crc32.Checksum(b, crcTable) | 1 }

func makeThumbnail(field string, img []byte) ([]byte, image.Image, error) {
	if len(img) == 0 {
		return nil, nil, engine.FieldErr(engine.ErrInvalid, field, "is empty")
	}
	if len(img) > MaxThumbnailInput {
		return nil, nil, engine.FieldErr(engine.ErrTooLarge, field, "is %d bytes, limit %d", len(img), MaxThumbnailInput)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, nil, engine.FieldErr(engine.ErrInvalid, field, "is not a PNG, JPEG or GIF image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width*cfg.Height > 64<<20 {
		return nil, nil, engine.FieldErr(engine.ErrInvalid, field, "is %d×%d pixels, limit %d per side", cfg.Width, cfg.Height, maxImageSide)
	}
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, nil, engine.FieldErr(engine.ErrInvalid, field, "cannot be decoded: %v", err)
	}
	thumb := shrink(src, maxThumbnailSide)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if format == "png" || format == "gif" {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, thumb)
	} else {
		err = jpeg.Encode(w, thumb, &jpeg.Options{Quality: 85})
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return buf.Bytes(), src, nil
}

// Thumbnail returns a point's stored thumbnail and its content type.
func (e *Ingester) Thumbnail(ctx context.Context, dataset, id string) ([]byte, string, error) {
	if err := e.eng.CheckDataset(dataset); err != nil {
		return nil, "", err
	}
	b, err := e.eng.DB().Thumbnail(dataset, id)
	if err != nil {
		return nil, "", engine.FromStorage(err)
	}
	ct := "image/jpeg"
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		ct = "image/png"
	}
	return b, ct, nil
}

// shrink box-filters an image so its longer side is at most side pixels
// (smaller images are copied as they are).
func shrink(src image.Image, side int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := max(float64(w), float64(h)) / float64(side)
	if scale < 1 {
		scale = 1
	}
	tw, th := max(1, int(math.Round(float64(w)/scale))), max(1, int(math.Round(float64(h)/scale)))
	gray := isGray(src)
	var dst draw
	if gray {
		dst = image.NewGray(image.Rect(0, 0, tw, th))
	} else {
		dst = image.NewNRGBA(image.Rect(0, 0, tw, th))
	}
	for ty := range th {
		y0, y1 := b.Min.Y+ty*h/th, b.Min.Y+max((ty+1)*h/th, ty*h/th+1)
		for tx := range tw {
			x0, x1 := b.Min.X+tx*w/tw, b.Min.X+max((tx+1)*w/tw, tx*w/tw+1)
			var r, g, bl, a, n uint64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					c := color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
					r, g, bl, a, n = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A), n+1
				}
			}
			dst.Set(tx, ty, color.NRGBA64{R: uint16(r / n), G: uint16(g / n), B: uint16(bl / n), A: uint16(a / n)})
		}
	}
	return dst
}

type draw interface {
	image.Image
	Set(x, y int, c color.Color)
}

func isGray(img image.Image) bool {
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	}
	return false
}
