package vec

// Code kernels work on 8-bit codes. Stored codes are signed bytes (an
// unsigned code minus 128, i.e. XOR 0x80) so that one representation feeds
// both kernels:
//   - L2SqI8: squared L2 of two signed codes (translation does not change
//     L2), for CPUs without VNNI;
//   - DotU8I8: unsigned query code · signed stored code, which AVX-512 VNNI
//     computes 64 bytes per instruction; callers turn it into L2 with the
//     codes' squared norms.

// MaxCodeLen bounds the code length the kernels accept without
// overflowing their 32-bit lane accumulators.
const MaxCodeLen = 1 << 16

// CodeAlign is the length multiple the accelerated code kernels need;
// callers pad codes (see DotU8I8 and L2SqI8 for the pad values).
const CodeAlign = 64

// PadCodeLen rounds a dimension up to a multiple of CodeAlign.
func PadCodeLen(dim int) int { return (dim + CodeAlign - 1) &^ (CodeAlign - 1) }

var (
	l2sqI8Impl  = l2sqI8Go
	dotU8I8Impl = dotU8I8Go
)

// CodeKernel names the L2SqI8 kernel in use; HasVNNI says whether DotU8I8
// is accelerated (when false, L2SqI8 is the faster way to an L2).
var (
	CodeKernel = "go"
	HasVNNI    = hasVNNI
)

func init() {
	switch {
	case hasAVX512BW:
		l2sqI8Impl, CodeKernel = l2sqI8AVX512, "avx512bw"
	case hasAVX2:
		l2sqI8Impl, CodeKernel = l2sqI8AVX2, "avx2"
	}
	if hasVNNI {
		dotU8I8Impl = dotU8I8VNNI
	}
}

// L2SqI8 is the squared Euclidean distance between two signed-byte codes,
// exact. Pad both codes with equal bytes.
func L2SqI8(a, b []byte) uint32 { return l2sqI8Impl(a, b) }

// DotU8I8 is Σ a[i]·int8(b[i]), exact. Pad a with zeros (b's padding then
// adds nothing).
func DotU8I8(a, b []byte) int32 { return dotU8I8Impl(a, b) }

func l2sqI8Go(a, b []byte) uint32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 uint32
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := int32(int8(a[i])) - int32(int8(b[i]))
		d1 := int32(int8(a[i+1])) - int32(int8(b[i+1]))
		d2 := int32(int8(a[i+2])) - int32(int8(b[i+2]))
		d3 := int32(int8(a[i+3])) - int32(int8(b[i+3]))
		s0 += uint32(d0 * d0)
		s1 += uint32(d1 * d1)
		s2 += uint32(d2 * d2)
		s3 += uint32(d3 * d3)
	}
	for ; i < n; i++ {
		d := int32(int8(a[i])) - int32(int8(b[i]))
		s0 += uint32(d * d)
	}
	return s0 + s1 + s2 + s3
}

func dotU8I8Go(a, b []byte) int32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += int32(a[i]) * int32(int8(b[i]))
		s1 += int32(a[i+1]) * int32(int8(b[i+1]))
		s2 += int32(a[i+2]) * int32(int8(b[i+2]))
		s3 += int32(a[i+3]) * int32(int8(b[i+3]))
	}
	for ; i < n; i++ {
		s0 += int32(a[i]) * int32(int8(b[i]))
	}
	return s0 + s1 + s2 + s3
}
