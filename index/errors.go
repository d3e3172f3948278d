package index

import "errors"

// Sentinel errors. Every error the package returns wraps one of these (or a
// context / I/O error), so callers can test with errors.Is.
var (
	ErrUnknownMetric     = errors.New("index: unknown metric")
	ErrUnknownBackend    = errors.New("index: unknown backend")
	ErrInvalidConfig     = errors.New("index: invalid config")
	ErrDimensionMismatch = errors.New("index: dimension mismatch")
	// ErrInvalidVector reports NaN or Inf components, or a zero vector under
	// Cosine (which has no direction to normalise).
	ErrInvalidVector   = errors.New("index: invalid vector")
	ErrInvalidArgument = errors.New("index: invalid argument")
	ErrNotSerializable = errors.New("index: backend is not serializable")
	ErrCorruptSnapshot = errors.New("index: corrupt snapshot")
	// ErrSnapshotVersion reports a snapshot in a format this build does
	// not read (always wrapped together with ErrCorruptSnapshot): rebuild
	// the index from storage.
	ErrSnapshotVersion = errors.New("index: snapshot format from another reef version")
	ErrIndexFull       = errors.New("index: capacity exhausted")
)
