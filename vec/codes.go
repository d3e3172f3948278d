package vec

// MaxCodeLen bounds the code length the integer kernels accept without
// overflowing their 32-bit lane accumulators (each lane sums at most
// MaxCodeLen/16 terms of at most 2·255²).
const MaxCodeLen = 1 << 16

// CodeAlign is the length multiple the accelerated code kernels need;
// callers pad codes with zero bytes (equal padding on both sides adds
// nothing to the distance).
const CodeAlign = 32

// PadCodeLen rounds a dimension up to a multiple of CodeAlign.
func PadCodeLen(dim int) int { return (dim + CodeAlign - 1) &^ (CodeAlign - 1) }

var l2sqU8Impl = l2sqU8Go

// CodeKernel names the code kernel in use.
var CodeKernel = "go"

func init() {
	switch {
	case hasAVX512BW:
		l2sqU8Impl, CodeKernel = l2sqU8AVX512, "avx512bw"
	case hasAVX2:
		l2sqU8Impl, CodeKernel = l2sqU8AVX2, "avx2"
	}
}

// L2SqU8 is the squared Euclidean distance between two 8-bit codes, exact.
// The accelerated kernels handle the multiple-of-CodeAlign prefix and Go
// the rest, so any length works; padded codes are fastest.
func L2SqU8(a, b []byte) uint32 { return l2sqU8Impl(a, b) }

// l2sqU8Go is the reference: four accumulators, as the loop is latency
// bound on the adds.
func l2sqU8Go(a, b []byte) uint32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 uint32
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := int32(a[i]) - int32(b[i])
		d1 := int32(a[i+1]) - int32(b[i+1])
		d2 := int32(a[i+2]) - int32(b[i+2])
		d3 := int32(a[i+3]) - int32(b[i+3])
		s0 += uint32(d0 * d0)
		s1 += uint32(d1 * d1)
		s2 += uint32(d2 * d2)
		s3 += uint32(d3 * d3)
	}
	for ; i < n; i++ {
		d := int32(a[i]) - int32(b[i])
		s0 += uint32(d * d)
	}
	return s0 + s1 + s2 + s3
}
