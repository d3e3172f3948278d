// Package vec holds reef's distance kernels: float32 squared L2, dot
// product and cosine distance, normalisation, squared L2 on 8-bit codes, and
// the heaps that keep the best candidates of a search.
//
// Guarantees and caveats:
//   - Kernels are chosen once at start-up from the CPU's features: AVX-512
//     assembly when present, AVX2 (vek32 for floats, Go assembly for codes)
//     otherwise, and pure Go everywhere else. Every accelerated kernel is
//     tested against its pure Go reference.
//   - Float kernels sum in a different order than a naive loop, so results
//     agree with it to rounding (about 1e-6 relative), not bit for bit.
//   - Code kernels are exact (integer arithmetic) for any length up to
//     MaxCodeLen bytes.
//   - Both arguments of a kernel must have the same length; the kernels read
//     len(a) elements of b.
package vec
