package vec

import "golang.org/x/sys/cpu"

//go:noescape
func l2sqAVX512(a, b *float32, n int) float32

//go:noescape
func dotAVX512(a, b *float32, n int) float32

// CPU features, fixed at start-up (read-only afterwards).
var (
	hasAVX512   = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
	hasAVX512BW = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
	hasAVX2     = cpu.X86.HasAVX2
	hasVNNI     = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI
)

// l2sq512 and dot512 run the 16-lane kernels on the multiple-of-16 prefix
// and finish the (at most 15) remaining lanes in Go.
func l2sq512(a, b []float32) float32 {
	n := len(a) &^ 15
	b = b[:len(a)]
	var s float32
	if n > 0 {
		s = l2sqAVX512(&a[0], &b[0], n)
	}
	for i := n; i < len(a); i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

func dot512(a, b []float32) float32 {
	n := len(a) &^ 15
	b = b[:len(a)]
	var s float32
	if n > 0 {
		s = dotAVX512(&a[0], &b[0], n)
	}
	for i := n; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}
