package storage

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Scroll is one page-sized walk over a dataset's points in id order.
type Scroll struct {
	After  string   // start after this id; empty: from the first point
	Spaces []string // vectors to load for the points kept; none when empty
	// Keep decides on a point before its vectors are read, so a selective
	// filter costs no vector reads; nil keeps every point.
	Keep func(p *Point) (bool, error)
	// Emit receives each kept point with its vectors and says when to stop.
	Emit func(p *Point) (stop bool)
}

// ScrollPoints walks the points after s.After in id order within one read
// transaction. It reports whether the walk reached the last point, so that a
// caller can tell a final page from a stopped one.
func (db *DB) ScrollPoints(dataset string, s Scroll) (end bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		b, err := datasetBucket(tx, dataset)
		if err != nil {
			return err
		}
		c := b.Bucket(bucketPoints).Cursor()
		k, v := c.First()
		if s.After != "" {
			if k, v = c.Seek([]byte(s.After)); k != nil && bytes.Equal(k, []byte(s.After)) {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			var p Point
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%w: point %q: %v", ErrCorrupt, k, err)
			}
			if s.Keep != nil {
				keep, err := s.Keep(&p)
				if err != nil {
					return err
				}
				if !keep {
					continue
				}
			}
			if err := loadVectors(b, &p, s.Spaces); err != nil {
				return err
			}
			if s.Emit(&p) {
				next, _ := c.Next()
				end = next == nil
				return nil
			}
		}
		end = true
		return nil
	})
	return end, err
}
