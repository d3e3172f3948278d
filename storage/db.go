package storage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process.
	Timeout time.Duration
	// NoSync skips fsync on commit. Only for tests and benchmarks: a crash
	// may then lose acknowledged writes.
	NoSync bool
	// MaxSize caps the data file in bytes (0 = unlimited). A write that
	// would grow past it fails with ErrFull; reads keep working.
	MaxSize int
	// InitialMmapSize is the address space mapped up front (not memory
	// used). A write that grows the file past the mapping must remap, which
	// waits for every open read transaction — a backup streaming for
	// minutes would stall writes — so the default maps 1 GiB at once;
	// larger stores still remap as they grow.
	InitialMmapSize int
	// Logger receives open/recovery messages; nil means slog.Default().
	Logger *slog.Logger
	// Faults injects write failures; tests only, nil in production.
	Faults *FaultInjector
}

// DefaultOptions returns the options reef uses.
func DefaultOptions() Options {
	return Options{Timeout: 2 * time.Second, InitialMmapSize: 1 << 30}
}

func (o Options) validate() error {
	var errs []error
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%w: timeout %v is negative", ErrInvalid, o.Timeout))
	}
	if o.InitialMmapSize < 0 {
		errs = append(errs, fmt.Errorf("%w: initial mmap size %d is negative", ErrInvalid, o.InitialMmapSize))
	}
	if o.MaxSize < 0 {
		errs = append(errs, fmt.Errorf("%w: max size %d is negative", ErrInvalid, o.MaxSize))
	}
	return errors.Join(errs...)
}

// DB is an open store. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	log  *slog.Logger
	path string
	// faults is nil in production (see faults.go).
	faults atomic.Pointer[FaultInjector]

	closeOnce sync.Once
	closeErr  error
}

// Open opens or creates the store at path.
func Open(path string, opts Options) (*DB, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	// bbolt maps the file and trusts its meta page's page count: a
	// truncated file would fault (SIGBUS) instead of failing. Check first.
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		if err := checkBoltSize(path, st.Size()); err != nil {
			return nil, fmt.Errorf("storage: open %s: %w (restore from a backup with `reef restore`)", path, err)
		}
	}
	if opts.MaxSize > 0 && opts.InitialMmapSize > opts.MaxSize {
		// bbolt grows a file mapped past its AllocSize in AllocSize steps,
		// which would overshoot the cap; mapped within it, it grows to fit.
		opts.InitialMmapSize = opts.MaxSize
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         opts.Timeout,
		NoSync:          opts.NoSync,
		MaxSize:         opts.MaxSize,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: opts.InitialMmapSize,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	db := &DB{bolt: b, log: opts.Logger, path: path}
	db.faults.Store(opts.Faults) // init below uses bolt directly: not counted
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketDatasets, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyFormat); v != nil && string(v) != formatVersion {
			return fmt.Errorf("%w: storage format %q, this reef reads %q", ErrCorrupt, v, formatVersion)
		}
		return meta.Put(keyFormat, []byte(formatVersion))
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("storage: init %s: %w", path, mapBoltErr(err))
	}
	return db, nil
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.path }

// Close closes the store. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.bolt.Close() })
	return db.closeErr
}

// Seq returns the sequence number of the last committed write.
func (db *DB) Seq() (uint64, error) {
	var seq uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		seq = readU64(tx.Bucket(bucketMeta), keySeq)
		return nil
	})
	return seq, mapBoltErr(err)
}

// nextSeqLocked advances the global sequence inside a write tx.
func nextSeqLocked(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	seq := readU64(meta, keySeq) + 1
	return seq, meta.Put(keySeq, u64key(seq))
}

func readU64(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return uint64(v[0])<<56 | uint64(v[1])<<48 | uint64(v[2])<<40 | uint64(v[3])<<32 |
		uint64(v[4])<<24 | uint64(v[5])<<16 | uint64(v[6])<<8 | uint64(v[7])
}

// mapBoltErr turns bbolt's errors into this package's sentinels.
func mapBoltErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterr.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %v", ErrClosed, err)
	case errors.Is(err, bolterr.ErrMaxSizeReached):
		return fmt.Errorf("%w: %v", ErrFull, err)
	case isNoSpace(err):
		// The file system itself is full (or the quota is spent): bbolt
		// failed the write or its commit and rolled back, so nothing of
		// the transaction is stored. Same answer as the capped file.
		return fmt.Errorf("%w: %w", ErrFull, err)
	}
	return err
}

// update runs fn in a write transaction and maps errors.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	beginErr, commitErr := db.faults.Load().begin()
	if beginErr != nil {
		return mapBoltErr(beginErr)
	}
	return mapBoltErr(db.bolt.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return commitErr // non-nil only under test: bbolt rolls back
	}))
}

// view runs fn in a read transaction and maps errors.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	return mapBoltErr(db.bolt.View(fn))
}

// Check runs bbolt's own consistency check and reports every problem found.
func (db *DB) Check() error {
	return db.view(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Backup streams a consistent copy of the whole store to w. Writers are not
// blocked while it runs (it is a read transaction).
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
