package storage

// Thumbnails are BlobThumbnail side blobs (blobs.go); these helpers keep the
// names callers use.

// MaxThumbnailBytes bounds one stored thumbnail.
const MaxThumbnailBytes = 256 << 10

// MaxAudioBytes bounds one stored playable clip: 30 s of 16 kHz 16-bit mono
// PCM plus its WAV header.
const MaxAudioBytes = 30*16000*2 + 44

// PutThumbnail stores (or replaces) the thumbnail of a point. The point must
// exist.
func (db *DB) PutThumbnail(dataset, id string, data []byte) error {
	return db.PutBlobs(BlobThumbnail, dataset, []string{id}, [][]byte{data})
}

// PutThumbnails stores many thumbnails in one transaction (all or nothing);
// every point must exist.
func (db *DB) PutThumbnails(dataset string, ids []string, data [][]byte) error {
	return db.PutBlobs(BlobThumbnail, dataset, ids, data)
}

// Thumbnail returns a point's thumbnail, or ErrNotFound.
func (db *DB) Thumbnail(dataset, id string) ([]byte, error) {
	return db.Blob(BlobThumbnail, dataset, id)
}

// HasThumbnails reports, for each id, whether a thumbnail is stored.
func (db *DB) HasThumbnails(dataset string, ids []string) ([]bool, error) {
	return db.HasBlobs(BlobThumbnail, dataset, ids)
}

// ThumbnailCount returns how many thumbnails a dataset holds.
func (db *DB) ThumbnailCount(dataset string) (int, error) {
	return db.BlobCount(BlobThumbnail, dataset)
}

// DeleteThumbnails removes the thumbnails of the given points; ids without
// one are skipped.
func (db *DB) DeleteThumbnails(dataset string, ids []string) error {
	return db.DeleteBlobs(BlobThumbnail, dataset, ids)
}
