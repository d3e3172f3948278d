//go:build !amd64

package index

const hasAVX512 = false

func l2sq512(a, b []float32) float32 { return l2sqGo(a, b) }
func dot512(a, b []float32) float32  { return dotGo(a, b) }
