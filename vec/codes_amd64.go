package vec

//go:noescape
func l2sqI8AVX2asm(a, b *byte, n int) uint32

//go:noescape
func l2sqI8AVX512asm(a, b *byte, n int) uint32

//go:noescape
func dotU8I8VNNIasm(a, b *byte, n int) int32

// Prefetch asks the CPU to pull the cache line at p into all cache levels;
// a search issues it for the next candidates' records while it computes the
// current distance.
//
//go:noescape
func Prefetch(p *byte)

// PrefetchRange prefetches every cache line of the n bytes at p.
//
//go:noescape
func PrefetchRange(p *byte, n int)

// The accelerated kernels take the multiple-of-32 (VNNI: 64) prefix; Go
// finishes the rest.

func l2sqI8AVX2(a, b []byte) uint32 {
	n := len(a) &^ 31
	b = b[:len(a)]
	var s uint32
	if n > 0 {
		s = l2sqI8AVX2asm(&a[0], &b[0], n)
	}
	return s + l2sqI8Go(a[n:], b[n:])
}

func l2sqI8AVX512(a, b []byte) uint32 {
	n := len(a) &^ 31
	b = b[:len(a)]
	var s uint32
	if n > 0 {
		s = l2sqI8AVX512asm(&a[0], &b[0], n)
	}
	return s + l2sqI8Go(a[n:], b[n:])
}

func dotU8I8VNNI(a, b []byte) int32 {
	n := len(a) &^ 63
	b = b[:len(a)]
	var s int32
	if n > 0 {
		s = dotU8I8VNNIasm(&a[0], &b[0], n)
	}
	return s + dotU8I8Go(a[n:], b[n:])
}
