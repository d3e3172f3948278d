package extract

/*
#cgo CFLAGS: -O3
#include <stdint.h>
#include <stddef.h>

// These loops are resampleCatmullRom's and PreprocessImage's, in C so the
// compiler vectorises them (Go does not): the same fixed-point arithmetic,
// so the pixels are bit-identical to the Go reference (resample.go), at a
// fraction of the cost. AVX2 clones are picked at load time where the CPU
// has it.
// p·scale + bias rounds like Go's (no fused multiply-add), so the inputs
// match the Go code this replaced bit for bit.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define REEF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define REEF_CLONES
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define REEF_X86 1
#endif

// Horizontal pass: rows [ylo, yhi) of src (RGBA, stride bytes, already
// offset to the source rectangle) into tmp (dw·4 int32 per row, value·256).
static void reef_resample_h_scalar(const uint8_t *src, int stride, int ylo, int yhi, int dw,
		const int32_t *start, const int32_t *count, const int32_t *w, int n, int32_t *tmp) {
	const int half = 1 << (14 - 8 - 1);
	for (int y = ylo; y < yhi; y++) {
		const uint8_t *row = src + (size_t)y * stride;
		int32_t *out = tmp + (size_t)y * dw * 4;
		for (int x = 0; x < dw; x++) {
			const int32_t *ws = w + (size_t)x * n;
			const uint8_t *px = row + (size_t)start[x] * 4;
			int32_t acc[4] = {0, 0, 0, 0};
			for (int k = 0; k < count[x]; k++) {
				int32_t wk = ws[k];
				for (int c = 0; c < 4; c++) acc[c] += wk * (int32_t)px[k * 4 + c];
			}
			for (int c = 0; c < 4; c++) out[x * 4 + c] = (acc[c] + half) >> (14 - 8);
		}
	}
}

#ifdef REEF_X86
// Two taps per step: the channels of two neighbouring pixels are
// interleaved as int16 (r0 r1 g0 g1 …) and multiplied by (w0 w1) pairs with
// pmaddwd, giving the four int32 channel sums the scalar loop computes
// (weights fit int16: |w| ≤ 1<<14).
__attribute__((target("sse4.1")))
static void reef_resample_h_sse41(const uint8_t *src, int stride, int ylo, int yhi, int dw,
		const int32_t *start, const int32_t *count, const int32_t *w, int n, int32_t *tmp) {
	const __m128i shuf = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, -1, -1, -1, -1, -1, -1, -1, -1);
	const __m128i half = _mm_set1_epi32(1 << (14 - 8 - 1));
	for (int y = ylo; y < yhi; y++) {
		const uint8_t *row = src + (size_t)y * stride;
		int32_t *out = tmp + (size_t)y * dw * 4;
		for (int x = 0; x < dw; x++) {
			const int32_t *ws = w + (size_t)x * n;
			const uint8_t *px = row + (size_t)start[x] * 4;
			int cnt = count[x], k = 0;
			__m128i acc = _mm_setzero_si128();
			for (; k + 1 < cnt; k += 2) {
				__m128i p = _mm_loadl_epi64((const __m128i *)(px + k * 4));
				p = _mm_cvtepu8_epi16(_mm_shuffle_epi8(p, shuf));
				__m128i wp = _mm_set1_epi32((int32_t)(((uint32_t)(uint16_t)ws[k + 1] << 16) | (uint16_t)ws[k]));
				acc = _mm_add_epi32(acc, _mm_madd_epi16(p, wp));
			}
			if (k < cnt) {
				int32_t v;
				__builtin_memcpy(&v, px + k * 4, 4);
				__m128i p = _mm_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi32_si128(v), shuf));
				__m128i wp = _mm_set1_epi32((int32_t)(uint16_t)ws[k]);
				acc = _mm_add_epi32(acc, _mm_madd_epi16(p, wp));
			}
			acc = _mm_srai_epi32(_mm_add_epi32(acc, half), 14 - 8);
			_mm_storeu_si128((__m128i *)(out + x * 4), acc);
		}
	}
}
#endif

static void reef_resample_h(const uint8_t *src, int stride, int ylo, int yhi, int dw,
		const int32_t *start, const int32_t *count, const int32_t *w, int n, int32_t *tmp) {
#ifdef REEF_X86
	if (__builtin_cpu_supports("sse4.1")) {
		reef_resample_h_sse41(src, stride, ylo, yhi, dw, start, count, w, n, tmp);
		return;
	}
#endif
	reef_resample_h_scalar(src, stride, ylo, yhi, dw, start, count, w, n, tmp);
}

// Vertical pass: dh output rows from tmp (rowLen int32 per row) into dst
// (RGBA, dstStride bytes, already offset to the destination rectangle).
// Sums are int32: the Go side only takes this path when the weights bound
// them (plus the 2^21 rounding term) below 2^31 (see resampleNative).
//
// x/image's conversion is: round to 16 bits, clamp, >>8, i.e.
// clamp((s·257 + 2^21) >> 22, 0, 0xffff) >> 8, which equals
// clamp((s + ((s + 2^21) >> 8)) >> 22, 0, 255) and stays in int32. It is
// monotonic, so the premultiplied clamp min(c, a) can follow it on the 8-bit
// values.
static inline uint8_t reef_to8(int32_t s) {
	int32_t v = (s + ((s + (1 << 21)) >> 8)) >> 22;
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void reef_resample_v_scalar_cols(const int32_t *tmp, int rowLen, int dh, const int32_t *start,
		const int32_t *count, const int32_t *w, int n, uint8_t *dst, int dstStride, int i0) {
	for (int y = 0; y < dh; y++) {
		const int32_t *ws = w + (size_t)y * n;
		const int32_t *base = tmp + (size_t)start[y] * rowLen;
		uint8_t *d = dst + (size_t)y * dstStride;
		for (int i = i0; i + 3 < rowLen; i += 4) {
			int32_t acc[4] = {0, 0, 0, 0};
			for (int k = 0; k < count[y]; k++)
				for (int c = 0; c < 4; c++) acc[c] += ws[k] * base[(size_t)k * rowLen + i + c];
			uint8_t a = reef_to8(acc[3]);
			for (int c = 0; c < 3; c++) {
				uint8_t v = reef_to8(acc[c]);
				d[i + c] = v < a ? v : a;
			}
			d[i + 3] = a;
		}
	}
}

#ifdef REEF_X86
// Four pixels (16 int32 sums) per step, kept in registers across the taps;
// saturating packs do the [0, 255] clamp.
__attribute__((target("sse4.1")))
static void reef_resample_v_sse41(const int32_t *tmp, int rowLen, int dh, const int32_t *start,
		const int32_t *count, const int32_t *w, int n, uint8_t *dst, int dstStride) {
	const __m128i round = _mm_set1_epi32(1 << 21);
	const __m128i alpha = _mm_setr_epi8(3, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15, 15);
	int full = rowLen / 16 * 16;
	for (int y = 0; y < dh; y++) {
		const int32_t *ws = w + (size_t)y * n;
		const int32_t *base = tmp + (size_t)start[y] * rowLen;
		uint8_t *d = dst + (size_t)y * dstStride;
		int cnt = count[y];
		for (int i = 0; i < full; i += 16) {
			__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
			for (int k = 0; k < cnt; k++) {
				__m128i wk = _mm_set1_epi32(ws[k]);
				const int32_t *t = base + (size_t)k * rowLen + i;
				a0 = _mm_add_epi32(a0, _mm_mullo_epi32(wk, _mm_loadu_si128((const __m128i *)t)));
				a1 = _mm_add_epi32(a1, _mm_mullo_epi32(wk, _mm_loadu_si128((const __m128i *)(t + 4))));
				a2 = _mm_add_epi32(a2, _mm_mullo_epi32(wk, _mm_loadu_si128((const __m128i *)(t + 8))));
				a3 = _mm_add_epi32(a3, _mm_mullo_epi32(wk, _mm_loadu_si128((const __m128i *)(t + 12))));
			}
#define REEF_TO8(a) _mm_srai_epi32(_mm_add_epi32(a, _mm_srai_epi32(_mm_add_epi32(a, round), 8)), 22)
			__m128i p = _mm_packus_epi16(_mm_packs_epi32(REEF_TO8(a0), REEF_TO8(a1)),
				_mm_packs_epi32(REEF_TO8(a2), REEF_TO8(a3)));
#undef REEF_TO8
			p = _mm_min_epu8(p, _mm_shuffle_epi8(p, alpha));
			_mm_storeu_si128((__m128i *)(d + i), p);
		}
	}
	if (full < rowLen)
		reef_resample_v_scalar_cols(tmp, rowLen, dh, start, count, w, n, dst, dstStride, full);
}
#endif

static void reef_resample_v(const int32_t *tmp, int rowLen, int dh, const int32_t *start,
		const int32_t *count, const int32_t *w, int n, uint8_t *dst, int dstStride) {
#ifdef REEF_X86
	if (__builtin_cpu_supports("sse4.1")) {
		reef_resample_v_sse41(tmp, rowLen, dh, start, count, w, n, dst, dstStride);
		return;
	}
#endif
	reef_resample_v_scalar_cols(tmp, rowLen, dh, start, count, w, n, dst, dstStride, 0);
}

// RGBA pixels to normalised float RGB ((p·scale + bias) per channel), NHWC
// or NCHW.
REEF_CLONES
static void reef_normalize(const uint8_t *src, int stride, int w, int h, const float *scale,
		const float *bias, int nchw, float *dst) {
	size_t plane = (size_t)w * h;
	float s0 = scale[0], s1 = scale[1], s2 = scale[2], b0 = bias[0], b1 = bias[1], b2 = bias[2];
	for (int y = 0; y < h; y++) {
		const uint8_t *row = src + (size_t)y * stride;
		size_t i0 = (size_t)y * w;
		if (nchw) {
			float *r = dst + i0, *g = dst + plane + i0, *b = dst + 2 * plane + i0;
			for (int x = 0; x < w; x++) {
				r[x] = (float)row[4 * x] * s0 + b0;
				g[x] = (float)row[4 * x + 1] * s1 + b1;
				b[x] = (float)row[4 * x + 2] * s2 + b2;
			}
		} else {
			float *o = dst + 3 * i0;
			for (int x = 0; x < w; x++) {
				o[3 * x] = (float)row[4 * x] * s0 + b0;
				o[3 * x + 1] = (float)row[4 * x + 1] * s1 + b1;
				o[3 * x + 2] = (float)row[4 * x + 2] * s2 + b2;
			}
		}
	}
}

// Box shrink of thumbnail.go's boxShrink, same pixels: output pixel (ox, oy)
// is the rounded mean of source block [xb[ox], xb[ox+1]) × [yb[oy],
// yb[oy+1]). The block's rows are first summed column-wise into colsum
// (sw·4 uint32; contiguous, so it vectorises), then each block's columns.
// The division is a multiplication by the reciprocal: m/n for integers
// m < 2^24 and n < 2^16 is never within 1e-9 of the next integer below a
// true quotient, so floor(m·(1/n) + 1e-9) is exact.
REEF_CLONES
static void reef_box_shrink(const uint8_t *src, int stride, int sw, const int32_t *xb, int w, const int32_t *yb, int h,
		uint8_t *dst, int dstStride, uint32_t *colsum) {
	for (int oy = 0; oy < h; oy++) {
		for (int i = 0; i < sw * 4; i++) colsum[i] = 0;
		for (int y = yb[oy]; y < yb[oy + 1]; y++) {
			const uint8_t *row = src + (size_t)y * stride;
			for (int i = 0; i < sw * 4; i++) colsum[i] += row[i];
		}
		uint8_t *d = dst + (size_t)oy * dstStride;
		int rows = yb[oy + 1] - yb[oy];
		for (int ox = 0; ox < w; ox++) {
			uint32_t a[4] = {0, 0, 0, 0};
			for (int x = xb[ox]; x < xb[ox + 1]; x++)
				for (int c = 0; c < 4; c++) a[c] += colsum[4 * x + c];
			uint32_t n = (uint32_t)(rows * (xb[ox + 1] - xb[ox]));
			if (n == 0) n = 1;
			double inv = 1.0 / n;
			for (int c = 0; c < 4; c++)
				d[4 * ox + c] = (uint8_t)((double)(a[c] + n / 2) * inv + 1e-9);
		}
	}
}
*/
import "C"

import (
	"image"
	"sync"
	"unsafe"
)

// nativeTaps is filterTaps with int32 indices, as the C passes take them.
type nativeTaps struct {
	n            int
	start, count []int32
	w            []int32
	absSum       int64 // the largest Σ|w| of one output, for overflow bounds
}

// tapsKey identifies a resampling axis: destination and source length.
type tapsKey struct{ dw, sw int }

// tapsCache keeps the per-axis weights: an ingest resizes many images of a
// few sizes to one model size, and computing the weights costs a
// noticeable part of a 224×224 resize. Bounded by clearing when full.
var tapsCache = struct {
	sync.Mutex
	m map[tapsKey]*nativeTaps
}{m: map[tapsKey]*nativeTaps{}}

const tapsCacheMax = 256

func cachedTaps(dw, sw int) *nativeTaps {
	k := tapsKey{dw, sw}
	tapsCache.Lock()
	t := tapsCache.m[k]
	tapsCache.Unlock()
	if t != nil {
		return t
	}
	ft := newCatmullRomTaps(dw, sw)
	t = &nativeTaps{n: ft.n, start: make([]int32, len(ft.start)), count: make([]int32, len(ft.count)), w: ft.w}
	for i := range ft.start {
		t.start[i], t.count[i] = int32(ft.start[i]), int32(ft.count[i])
		var a int64
		for _, w := range ft.w[i*ft.n : i*ft.n+ft.count[i]] {
			a += int64(max(w, -w))
		}
		t.absSum = max(t.absSum, a)
	}
	tapsCache.Lock()
	if len(tapsCache.m) >= tapsCacheMax {
		clear(tapsCache.m)
	}
	tapsCache.m[k] = t
	tapsCache.Unlock()
	return t
}

// nativeScratch is the pooled intermediate of resampleNative.
type nativeScratch struct {
	tmp []int32
}

var nativePool = sync.Pool{New: func() any { return new(nativeScratch) }}

// resampleNative is resampleCatmullRom (same pixels) with the passes in C.
func resampleNative(dst *image.RGBA, dr image.Rectangle, src *image.RGBA, sr image.Rectangle) {
	dr, sr = dr.Intersect(dst.Rect), sr.Intersect(src.Rect)
	dw, dh, sw, sh := dr.Dx(), dr.Dy(), sr.Dx(), sr.Dy()
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 {
		return
	}
	hx, vy := cachedTaps(dw, sw), cachedTaps(dh, sh)
	// The C vertical pass sums in int32 (twice the SIMD width of int64):
	// |tmp| ≤ (Σ|w_x|·255 + 32) >> 6, so the sums (plus the 2^21 rounding
	// term of the conversion) stay below 2^31 when Σ|w_y|·that is below
	// 2^31 - 2^24. Catmull-Rom weights are far from it (about 1.6e9 at
	// worst); anything else takes the Go reference.
	if tmpMax := (hx.absSum*255 + 32) >> 6; vy.absSum*tmpMax >= 1<<31-1<<24 {
		resampleCatmullRom(dst, dr, src, sr)
		return
	}
	sc := nativePool.Get().(*nativeScratch)
	defer nativePool.Put(sc)
	rowLen := dw * 4
	if cap(sc.tmp) < sh*rowLen {
		sc.tmp = make([]int32, sh*rowLen)
	}
	tmp := sc.tmp[:sh*rowLen]
	// Only the source rows some output row reads.
	ylo, yhi := sh, 0
	for y := 0; y < dh; y++ {
		ylo, yhi = min(ylo, int(vy.start[y])), max(yhi, int(vy.start[y]+vy.count[y]))
	}
	srcOff := src.PixOffset(sr.Min.X, sr.Min.Y)
	dstOff := dst.PixOffset(dr.Min.X, dr.Min.Y)
	C.reef_resample_h((*C.uint8_t)(unsafe.Pointer(&src.Pix[srcOff])), C.int(src.Stride), C.int(ylo), C.int(yhi), C.int(dw),
		(*C.int32_t)(unsafe.Pointer(&hx.start[0])), (*C.int32_t)(unsafe.Pointer(&hx.count[0])),
		(*C.int32_t)(unsafe.Pointer(&hx.w[0])), C.int(hx.n), (*C.int32_t)(unsafe.Pointer(&tmp[0])))
	C.reef_resample_v((*C.int32_t)(unsafe.Pointer(&tmp[0])), C.int(rowLen), C.int(dh),
		(*C.int32_t)(unsafe.Pointer(&vy.start[0])), (*C.int32_t)(unsafe.Pointer(&vy.count[0])),
		(*C.int32_t)(unsafe.Pointer(&vy.w[0])), C.int(vy.n),
		(*C.uint8_t)(unsafe.Pointer(&dst.Pix[dstOff])), C.int(dst.Stride))
}

// normalizeNative writes the w×h RGBA pixels of img (anchored at its
// Rect.Min) as (p·scale + bias) floats into dst, NCHW or NHWC.
func normalizeNative(img *image.RGBA, w, h int, scale, bias *[3]float32, nchw bool, dst []float32) {
	if w <= 0 || h <= 0 || len(dst) < 3*w*h || img.Rect.Dx() < w || img.Rect.Dy() < h {
		return
	}
	c := C.int(0)
	if nchw {
		c = 1
	}
	C.reef_normalize((*C.uint8_t)(unsafe.Pointer(&img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y)])), C.int(img.Stride),
		C.int(w), C.int(h), (*C.float)(unsafe.Pointer(&scale[0])), (*C.float)(unsafe.Pointer(&bias[0])), c,
		(*C.float)(unsafe.Pointer(&dst[0])))
}

// boxShrinkNative is thumbnail.go's boxShrink (the same pixels) in C: the
// Go loop cost more than encoding the thumbnail.
func boxShrinkNative(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	// Blocks must stay inside the source and be ≤ 2^16 pixels each with
	// sums below 2^24, which any shrink of a ≤ 50 MP image to a thumbnail
	// meets unless it is extremely thin; those take the Go loop.
	if w <= 0 || h <= 0 || w > sw || h > sh || ceilDiv(sw, w)*ceilDiv(sh, h) >= 1<<16 {
		return boxShrink(src, w, h)
	}
	xb, yb := make([]int32, w+1), make([]int32, h+1)
	for x := range xb {
		xb[x] = int32(x * sw / w)
	}
	for y := range yb {
		yb[y] = int32(y * sh / h)
	}
	colsum := make([]uint32, sw*4)
	off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y)
	C.reef_box_shrink((*C.uint8_t)(unsafe.Pointer(&src.Pix[off])), C.int(src.Stride), C.int(sw), (*C.int32_t)(unsafe.Pointer(&xb[0])), C.int(w),
		(*C.int32_t)(unsafe.Pointer(&yb[0])), C.int(h), (*C.uint8_t)(unsafe.Pointer(&out.Pix[0])), C.int(out.Stride),
		(*C.uint32_t)(unsafe.Pointer(&colsum[0])))
	return out
}
