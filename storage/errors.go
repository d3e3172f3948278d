package storage

import "errors"

// Sentinel errors. Callers test them with errors.Is.
var (
	ErrNotFound          = errors.New("not found")
	ErrExists            = errors.New("already exists")
	ErrDimensionMismatch = errors.New("dimension mismatch")
	ErrInvalid           = errors.New("invalid argument")
	ErrClosed            = errors.New("storage closed")
	ErrCorrupt           = errors.New("corrupt record")
	ErrFull              = errors.New("storage full")
)

// errUnchanged rolls back a batch that turned out to change nothing, so that
// it takes no sequence number. It never leaves the package.
var errUnchanged = errors.New("nothing changed")
