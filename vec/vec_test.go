package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/viterin/vek/vek32"
)

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

var dims = []int{1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 128, 256, 784}

func TestFloatKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kernels := []struct {
		name     string
		l2, dot  Func
		required bool
	}{
		{"go", l2sqGo, dotGo, true},
		{"avx512", l2sq512, dot512, hasAVX512},
		{"selected", L2Sq, Dot, true},
	}
	for _, dim := range dims {
		a, b := randVec(r, dim), randVec(r, dim)
		var dot, l2 float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			d := float64(a[i]) - float64(b[i])
			l2 += d * d
		}
		tol := 1e-5 * float64(dim)
		for _, k := range kernels {
			if !k.required {
				continue
			}
			if got := float64(k.dot(a, b)); math.Abs(got-dot) > tol {
				t.Errorf("dim %d %s dot = %v, want %v", dim, k.name, got, dot)
			}
			if got := float64(k.l2(a, b)); math.Abs(got-l2) > tol {
				t.Errorf("dim %d %s l2sq = %v, want %v", dim, k.name, got, l2)
			}
		}
	}
}

func TestCosineAndNormalize(t *testing.T) {
	tests := []struct {
		a, b []float32
		want float32
	}{
		{[]float32{1, 0}, []float32{2, 0}, 0},
		{[]float32{1, 0}, []float32{0, 3}, 1},
		{[]float32{1, 0}, []float32{-1, 0}, 2},
		{[]float32{0, 0}, []float32{1, 0}, 1},
	}
	for _, tc := range tests {
		if got := CosineDistance(tc.a, tc.b); math.Abs(float64(got-tc.want)) > 1e-6 {
			t.Errorf("CosineDistance(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	v := []float32{3, 4}
	if !Normalize(v, v) || math.Abs(float64(v[0])-0.6) > 1e-6 || math.Abs(float64(v[1])-0.8) > 1e-6 {
		t.Errorf("Normalize(3,4) = %v", v)
	}
	z := []float32{0, 0}
	if Normalize(z, z) {
		t.Error("Normalize of a zero vector reported success")
	}
}

func randCode(r *rand.Rand, n int) []byte {
	c := make([]byte, n)
	for i := range c {
		c[i] = byte(r.IntN(256))
	}
	return c
}

func TestCodeKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	l2s := []struct {
		name     string
		fn       func(a, b []byte) uint32
		required bool
	}{
		{"avx2", l2sqI8AVX2, hasAVX2},
		{"avx512bw", l2sqI8AVX512, hasAVX512BW},
		{"selected", L2SqI8, true},
	}
	dots := []struct {
		name     string
		fn       func(a, b []byte) int32
		required bool
	}{
		{"vnni", dotU8I8VNNI, hasVNNI},
		{"selected", DotU8I8, true},
	}
	fill := func(n int, v byte) []byte {
		c := make([]byte, n)
		for i := range c {
			c[i] = v
		}
		return c
	}
	for _, n := range append(slices.Clone(dims), 96, 128, 800, 4096) {
		cases := [][2][]byte{
			{randCode(r, n), randCode(r, n)},
			{fill(n, 0x7f), fill(n, 0x80)}, // +127 vs -128: the largest difference
			{fill(n, 0xff), fill(n, 0x80)}, // u8 255 · s8 -128: the most negative product
			{fill(n, 0xff), fill(n, 0x7f)},
		}
		for _, c := range cases {
			var wantL2 uint32
			var wantDot int32
			for i := range c[0] {
				d := int(int8(c[0][i])) - int(int8(c[1][i]))
				wantL2 += uint32(d * d)
				wantDot += int32(c[0][i]) * int32(int8(c[1][i]))
			}
			if got := l2sqI8Go(c[0], c[1]); got != wantL2 {
				t.Fatalf("n %d go l2 = %d, want %d", n, got, wantL2)
			}
			if got := dotU8I8Go(c[0], c[1]); got != wantDot {
				t.Fatalf("n %d go dot = %d, want %d", n, got, wantDot)
			}
			for _, k := range l2s {
				if got := k.fn(c[0], c[1]); k.required && got != wantL2 {
					t.Errorf("n %d %s l2 = %d, want %d", n, k.name, got, wantL2)
				}
			}
			for _, k := range dots {
				if got := k.fn(c[0], c[1]); k.required && got != wantDot {
					t.Errorf("n %d %s dot = %d, want %d", n, k.name, got, wantDot)
				}
			}
		}
	}
	t.Logf("float kernel %s, code kernel %s, vnni %v", Kernel, CodeKernel, HasVNNI)
}

func TestCodeKernelMaxLen(t *testing.T) {
	a, b := make([]byte, MaxCodeLen), make([]byte, MaxCodeLen)
	for i := range a {
		a[i], b[i] = 0x7f, 0x80
	}
	if got, want := L2SqI8(a, b), uint32(MaxCodeLen)*255*255; got != want {
		t.Errorf("L2SqI8 at MaxCodeLen = %d, want %d", got, want)
	}
	for i := range a {
		a[i] = 0xff
	}
	if got, want := DotU8I8(a, b), int32(-MaxCodeLen*255*128); got != want {
		t.Errorf("DotU8I8 at MaxCodeLen = %d, want %d", got, want)
	}
}

func TestHeaps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var mn MinHeap
	var mx MaxHeap
	var ds []float32
	for i := range 200 {
		d := r.Float32()
		ds = append(ds, d)
		mn.Push(Item{d, uint32(i)})
		mx.Push(Item{d, uint32(i)})
	}
	slices.Sort(ds)
	for i := range ds {
		if got := mn.Pop().Dist; got != ds[i] {
			t.Fatalf("MinHeap pop %d = %v, want %v", i, got, ds[i])
		}
	}
	asc := mx.SortedAsc(nil)
	for i := range ds {
		if asc[i].Dist != ds[i] {
			t.Fatalf("MaxHeap.SortedAsc[%d] = %v, want %v", i, asc[i].Dist, ds[i])
		}
	}
}

func TestTopK(t *testing.T) {
	tk := NewTopK(3)
	for _, p := range []Scored{{5, 1}, {1, 3}, {2, 0.5}, {9, 1}, {4, 1}, {7, 0.1}} {
		tk.Push(p.ID, p.Dist)
	}
	got := tk.Sorted()
	want := []Scored{{7, 0.1}, {2, 0.5}, {4, 1}} // ties at 1 keep the lower ID
	if !slices.Equal(got, want) {
		t.Errorf("TopK = %v, want %v", got, want)
	}
}

var (
	sinkF32 float32
	sinkInt int
)

// BenchmarkKernels compares the candidate kernels; init selects the fastest.
func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{128, 256, 784} {
		x, y := randVec(r, dim), randVec(r, dim)
		for _, k := range []struct {
			name string
			fn   Func
			ok   bool
		}{
			{"dot/go", dotGo, true},
			{"dot/vek", vek32.Dot, true},
			{"dot/avx512", dot512, hasAVX512},
			{"l2sq/go", l2sqGo, true},
			{"l2/vek", vek32.Distance, true},
			{"l2sq/avx512", l2sq512, hasAVX512},
		} {
			if !k.ok {
				continue
			}
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += k.fn(x, y)
				}
				sinkF32 = s
			})
		}
		cx, cy := randCode(r, PadCodeLen(dim)), randCode(r, PadCodeLen(dim))
		for _, k := range []struct {
			name string
			fn   func(a, b []byte) int
			ok   bool
		}{
			{"i8l2/go", func(a, b []byte) int { return int(l2sqI8Go(a, b)) }, true},
			{"i8l2/avx2", func(a, b []byte) int { return int(l2sqI8AVX2(a, b)) }, hasAVX2},
			{"i8l2/avx512bw", func(a, b []byte) int { return int(l2sqI8AVX512(a, b)) }, hasAVX512BW},
			{"u8i8dot/go", func(a, b []byte) int { return int(dotU8I8Go(a, b)) }, true},
			{"u8i8dot/vnni", func(a, b []byte) int { return int(dotU8I8VNNI(a, b)) }, hasVNNI},
		} {
			if !k.ok {
				continue
			}
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				var s int
				for b.Loop() {
					s += k.fn(cx, cy)
				}
				sinkInt = s
			})
		}
	}
}
