package view

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	_ "image/gif" // thumbnails are PNG or JPEG; GIF for completeness
	_ "image/jpeg"
	_ "image/png"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/storage"
)

// The original image size of a point is what its boxes' pixels refer to;
// the page scales them onto whatever image it draws (the thumbnail today).
// It is known from the point's object-crop record (storage.ObjectThumbs,
// written by ingest with the image) while that record names the stored
// thumbnail, or from the thumbnail itself when it is smaller than
// thumbSide on both sides (thumbnails are never enlarged, so it is the
// original). Otherwise it is unknown and ViewHit.ImageSize stays unset:
// never a guessed size that would misplace the boxes.

// thumbSide is ingest's longest thumbnail side.
const thumbSide = 128

// thumbCRCTable must match the fingerprint ingest stores in
// ObjectThumbs.ThumbCRC: CRC-32C with the low bit set (0 means unknown).
// server/view_test.go checks a size recorded by ingest is reported.
var thumbCRCTable = crc32.MakeTable(crc32.Castagnoli)

func thumbFingerprint(b []byte) uint32 { return crc32.Checksum(b, thumbCRCTable) | 1 }

// imageSize returns the original [width, height] of a point's image, or
// nil when it is not known; hasThumb says whether the point has a stored
// thumbnail (saves a read when not).
func (e *Viewer) imageSize(dataset, pointID string, hasThumb bool) (*[2]int, error) {
	db := e.eng.DB()
	rec, err := db.ObjectThumbsOf(dataset, pointID, "")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, engine.FromStorage(err)
	}
	var thumb []byte
	if hasThumb {
		if thumb, err = db.Thumbnail(dataset, pointID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, engine.FromStorage(err)
		}
	}
	if rec != nil && (thumb == nil || (rec.ThumbCRC != 0 && rec.ThumbCRC == thumbFingerprint(thumb))) {
		return &[2]int{rec.Width, rec.Height}, nil
	}
	if thumb == nil {
		return nil, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width >= thumbSide || cfg.Height >= thumbSide {
		return nil, nil
	}
	return &[2]int{cfg.Width, cfg.Height}, nil
}
