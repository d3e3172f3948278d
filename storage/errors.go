package storage

import (
	"errors"
	"syscall"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	ErrNotFound          = errors.New("not found")
	ErrExists            = errors.New("already exists")
	ErrDimensionMismatch = errors.New("dimension mismatch")
	ErrInvalid           = errors.New("invalid argument")
	ErrClosed            = errors.New("storage closed")
	ErrCorrupt           = errors.New("corrupt record")
	// ErrFull: a write found no room, because the data file reached
	// Options.MaxSize or the file system answered ENOSPC or EDQUOT. The
	// write was rolled back whole; reads go on.
	ErrFull = errors.New("storage full")
)

// isNoSpace reports whether err is the file system saying it is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// errUnchanged rolls back a batch that turned out to change nothing, so that
// it takes no sequence number. It never leaves the package.
var errUnchanged = errors.New("nothing changed")
