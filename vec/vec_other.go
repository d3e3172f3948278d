//go:build !amd64

package vec

const (
	hasAVX512   = false
	hasAVX512BW = false
	hasAVX2     = false
	hasVNNI     = false
)

func l2sq512(a, b []float32) float32  { return l2sqGo(a, b) }
func dot512(a, b []float32) float32   { return dotGo(a, b) }
func l2sqU8AVX2(a, b []byte) uint32   { return l2sqU8Go(a, b) }
func l2sqU8AVX512(a, b []byte) uint32 { return l2sqU8Go(a, b) }

// Prefetch is a no-op without assembly support.
func Prefetch(*byte) {}

// PrefetchRange is a no-op without assembly support.
func PrefetchRange(*byte, int) {}
