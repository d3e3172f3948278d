package vecio

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors. Every error a decoder returns because of the input's
// content wraps exactly one of these (test with errors.Is); the message says
// which field, array, row or line was at fault. Errors from the underlying
// reader itself (other than an early EOF, which is ErrFormat) are returned
// wrapped but not mapped, so a failing disk is not mistaken for a bad file.
var (
	// ErrFormat reports input that is not a well-formed file of the
	// expected kind: bad magic, unparsable header, truncated data, corrupt
	// archive, invalid id.
	ErrFormat = errors.New("vecio: malformed input")
	// ErrUnsupportedDType reports a well-formed array whose element type
	// this package refuses (object, structured, complex, wrong kind).
	ErrUnsupportedDType = errors.New("vecio: unsupported dtype")
	// ErrTooLarge reports input whose declared or actual size exceeds the
	// Limits in force.
	ErrTooLarge = errors.New("vecio: input exceeds limits")
	// ErrShape reports arrays of the wrong rank, ragged rows, or id and
	// vector counts that disagree.
	ErrShape = errors.New("vecio: shape mismatch")
)

// errorf formats a message and wraps sentinel so errors.Is works.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// wrapIO turns an I/O error met while reading a body into ErrFormat when it
// means the input ended early, and keeps other (genuine I/O) errors as they
// are so callers can still see, e.g., a network failure.
func wrapIO(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrFormat) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrShape) || errors.Is(err, ErrUnsupportedDType) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(ErrFormat, "%s: truncated input", what)
	}
	return fmt.Errorf("vecio: %s: %w", what, err)
}
