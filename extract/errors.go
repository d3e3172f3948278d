package extract

import "errors"

// Sentinel errors. Every error returned by this package that falls into one of
// these categories wraps the matching sentinel, so callers can test with
// errors.Is and still get a descriptive message.
var (
	// ErrRuntimeUnavailable: the ONNX Runtime shared library could not be
	// found or initialised, or the Runtime has been closed.
	ErrRuntimeUnavailable = errors.New("extract: ONNX Runtime unavailable")
	// ErrBadImage: the image could not be decoded, is of an unsupported
	// format, or exceeds the configured ImageLimits.
	ErrBadImage = errors.New("extract: bad image")
	// ErrUnsafeModel: the model file references data outside its directory
	// (absolute or escaping external-data locations) or is malformed in a
	// way that makes it unsafe to load.
	ErrUnsafeModel = errors.New("extract: unsafe model")
	// ErrBadManifest: a model manifest failed to parse or validate.
	ErrBadManifest = errors.New("extract: bad manifest")
	// ErrBadModel: the ONNX model could not be parsed or run.
	ErrBadModel = errors.New("extract: bad model")
	// ErrTensorNotFound: a tensor named in a manifest or request does not
	// exist in the model graph.
	ErrTensorNotFound = errors.New("extract: tensor not found")
	// ErrBadInput: caller-supplied arguments (boxes, batch sizes, …) are
	// invalid.
	ErrBadInput = errors.New("extract: bad input")
	// ErrClosed: the Embedder has been closed.
	ErrClosed = errors.New("extract: embedder closed")
)
