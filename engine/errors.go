package engine

import (
	"errors"
	"fmt"

	"github.com/reef-ml/reef/storage"
)

// Sentinel errors. The REST layer maps them to HTTP statuses in one place.
var (
	ErrNotFound          = errors.New("not found")
	ErrExists            = errors.New("already exists")
	ErrInvalid           = errors.New("invalid request")
	ErrDimensionMismatch = errors.New("dimension mismatch")
	ErrTooLarge          = errors.New("too large")
	ErrFull              = errors.New("storage full")
	ErrClosed            = errors.New("engine closed")
	ErrIncompatible      = errors.New("incompatible spaces")
	ErrUnavailable       = errors.New("unavailable")
)

// FieldError is a validation error that names the offending request field,
// e.g. "points[3].vectors.clip".
type FieldError struct {
	Field string
	Err   error // one of the sentinels
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%v: %s", e.Err, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(sentinel error, field, format string, args ...any) error {
	return &FieldError{Field: field, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

// fromStorage maps storage's sentinels onto the engine's.
func fromStorage(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.Is(err, storage.ErrExists):
		return fmt.Errorf("%w: %v", ErrExists, err)
	case errors.Is(err, storage.ErrDimensionMismatch):
		return fmt.Errorf("%w: %v", ErrDimensionMismatch, err)
	case errors.Is(err, storage.ErrInvalid):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	case errors.Is(err, storage.ErrFull):
		return fmt.Errorf("%w: %v", ErrFull, err)
	case errors.Is(err, storage.ErrClosed):
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return err
}
