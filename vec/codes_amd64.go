package vec

//go:noescape
func l2sqU8AVX2asm(a, b *byte, n int) uint32

//go:noescape
func l2sqU8AVX512asm(a, b *byte, n int) uint32

// Prefetch asks the CPU to pull the cache line at p into all cache levels;
// a search issues it for the next candidates' records while it computes the
// current distance.
//
//go:noescape
func Prefetch(p *byte)

func l2sqU8AVX2(a, b []byte) uint32 {
	n := len(a) &^ (CodeAlign - 1)
	b = b[:len(a)]
	var s uint32
	if n > 0 {
		s = l2sqU8AVX2asm(&a[0], &b[0], n)
	}
	return s + l2sqU8Go(a[n:], b[n:])
}

func l2sqU8AVX512(a, b []byte) uint32 {
	n := len(a) &^ (CodeAlign - 1)
	b = b[:len(a)]
	var s uint32
	if n > 0 {
		s = l2sqU8AVX512asm(&a[0], &b[0], n)
	}
	return s + l2sqU8Go(a[n:], b[n:])
}
