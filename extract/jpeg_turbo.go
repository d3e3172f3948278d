package extract

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// libjpeg-turbo's TurboJPEG API is loaded at run time (dlopen), like ONNX
// Runtime, so reef builds without its headers and falls back to Go's
// image/jpeg when the library is absent. These are the 2.x entry points,
// which 3.x keeps.
typedef void *reef_tjhandle;
typedef struct { int num; int denom; } reef_tjscaling;

static reef_tjhandle (*reef_tjInitDecompress)(void);
static reef_tjhandle (*reef_tjInitCompress)(void);
static int (*reef_tjDestroy)(reef_tjhandle);
static int (*reef_tjDecompressHeader3)(reef_tjhandle, const unsigned char *, unsigned long, int *, int *, int *, int *);
static int (*reef_tjDecompress2)(reef_tjhandle, const unsigned char *, unsigned long, unsigned char *, int, int, int, int, int);
static int (*reef_tjCompress2)(reef_tjhandle, const unsigned char *, int, int, int, int, unsigned char **, unsigned long *, int, int, int);
static void (*reef_tjFree)(unsigned char *);
static char *(*reef_tjGetErrorStr2)(reef_tjhandle);

// Constants of turbojpeg.h, checked against the header when it is installed.
enum {
	REEF_TJPF_RGBA = 7,
	REEF_TJSAMP_420 = 2,
	REEF_TJFLAG_LIMITSCANS = 32768,
	REEF_TJFLAG_STOPONWARNING = 8192,
};

#if defined(__has_include)
#if __has_include(<turbojpeg.h>)
#include <turbojpeg.h>
_Static_assert(TJPF_RGBA == REEF_TJPF_RGBA, "TJPF_RGBA");
_Static_assert(TJSAMP_420 == REEF_TJSAMP_420, "TJSAMP_420");
_Static_assert(TJFLAG_LIMITSCANS == REEF_TJFLAG_LIMITSCANS, "TJFLAG_LIMITSCANS");
_Static_assert(TJFLAG_STOPONWARNING == REEF_TJFLAG_STOPONWARNING, "TJFLAG_STOPONWARNING");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjDecompressHeader3), __typeof__(reef_tjDecompressHeader3)), "tjDecompressHeader3");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjDecompress2), __typeof__(reef_tjDecompress2)), "tjDecompress2");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjCompress2), __typeof__(reef_tjCompress2)), "tjCompress2");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjInitDecompress), __typeof__(reef_tjInitDecompress)), "tjInitDecompress");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjDestroy), __typeof__(reef_tjDestroy)), "tjDestroy");
_Static_assert(__builtin_types_compatible_p(__typeof__(&tjGetErrorStr2), __typeof__(reef_tjGetErrorStr2)), "tjGetErrorStr2");
#endif
#endif

// reef_tj_load opens the library and resolves every entry point; 0 = ok.
static int reef_tj_load(const char *name) {
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!h) return -1;
#define REEF_SYM(v, s) if (!(*(void **)(&v) = dlsym(h, s))) { dlclose(h); return -2; }
	REEF_SYM(reef_tjInitDecompress, "tjInitDecompress");
	REEF_SYM(reef_tjInitCompress, "tjInitCompress");
	REEF_SYM(reef_tjDestroy, "tjDestroy");
	REEF_SYM(reef_tjDecompressHeader3, "tjDecompressHeader3");
	REEF_SYM(reef_tjDecompress2, "tjDecompress2");
	REEF_SYM(reef_tjCompress2, "tjCompress2");
	REEF_SYM(reef_tjFree, "tjFree");
	REEF_SYM(reef_tjGetErrorStr2, "tjGetErrorStr2");
#undef REEF_SYM
	return 0;
}

static reef_tjhandle reef_tj_init_decompress(void) { return reef_tjInitDecompress(); }
static reef_tjhandle reef_tj_init_compress(void) { return reef_tjInitCompress(); }
static void reef_tj_destroy(reef_tjhandle h) { reef_tjDestroy(h); }
static const char *reef_tj_error(reef_tjhandle h) { return reef_tjGetErrorStr2(h); }

static int reef_tj_header(reef_tjhandle h, const unsigned char *buf, unsigned long n, int *w, int *hh) {
	int subsamp, cs;
	return reef_tjDecompressHeader3(h, buf, n, w, hh, &subsamp, &cs);
}

// Warnings (corrupt or truncated data that libjpeg would paper over) stop
// the decode: the caller then lets Go's stricter decoder decide.
static int reef_tj_decode(reef_tjhandle h, const unsigned char *buf, unsigned long n, unsigned char *dst, int w, int hh) {
	return reef_tjDecompress2(h, buf, n, dst, w, w * 4, hh, REEF_TJPF_RGBA,
		REEF_TJFLAG_LIMITSCANS | REEF_TJFLAG_STOPONWARNING);
}

// reef_tj_encode compresses RGBA pixels; *out is libjpeg-turbo's buffer and
// must be released with reef_tj_free.
static int reef_tj_encode(reef_tjhandle h, const unsigned char *src, int w, int pitch, int hh, int quality, unsigned char **out, unsigned long *n) {
	*out = NULL;
	*n = 0;
	return reef_tjCompress2(h, src, w, pitch, hh, REEF_TJPF_RGBA, out, n, REEF_TJSAMP_420, quality, 0);
}

static void reef_tj_free(unsigned char *p) { if (p) reef_tjFree(p); }
*/
import "C"

import (
	"fmt"
	"image"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// EnvTurboJPEGLibrary overrides where libjpeg-turbo's TurboJPEG library is
// looked for; "off" disables it (Go's image/jpeg is used instead).
const EnvTurboJPEGLibrary = "REEF_TURBOJPEG_LIB"

// turboLibNames are tried in order when EnvTurboJPEGLibrary is unset.
var turboLibNames = []string{"libturbojpeg.so.0", "libturbojpeg.so"}

var turbo struct {
	once    sync.Once
	ok      bool
	decodeH chan C.reef_tjhandle // idle decompressors (a handle is single-threaded)
	encodeH chan C.reef_tjhandle // idle compressors
}

// turboLoad opens libjpeg-turbo once.
func turboLoad() bool {
	turbo.once.Do(func() {
		names := turboLibNames
		if v := os.Getenv(EnvTurboJPEGLibrary); v == "off" {
			return
		} else if v != "" {
			names = []string{v}
		}
		for _, n := range names {
			cn := C.CString(n)
			rc := C.reef_tj_load(cn)
			C.free(unsafe.Pointer(cn))
			if rc == 0 {
				turbo.ok = true
				break
			}
		}
		// Enough idle handles for every decode worker; beyond that, handles
		// are destroyed after use rather than kept.
		turbo.decodeH = make(chan C.reef_tjhandle, 2*runtime.GOMAXPROCS(0))
		turbo.encodeH = make(chan C.reef_tjhandle, 2*runtime.GOMAXPROCS(0))
	})
	return turbo.ok
}

// JPEGDecoder names the JPEG decoder DecodeImage uses: libjpeg-turbo when
// its library could be loaded, else Go's image/jpeg.
func JPEGDecoder() string {
	if turboLoad() {
		return "libjpeg-turbo"
	}
	return "image/jpeg"
}

// turboGet takes an idle handle or makes one; it fails, rather than
// calling through an unresolved symbol, when the library is not loaded.
// pool points at a field of turbo, which turboLoad fills in.
func turboGet(pool *chan C.reef_tjhandle, compress bool) (C.reef_tjhandle, error) {
	if !turboLoad() {
		return nil, fmt.Errorf("%w: libjpeg-turbo is not available", ErrBadImage)
	}
	select {
	case h := <-*pool:
		return h, nil
	default:
	}
	var h C.reef_tjhandle
	if compress {
		h = C.reef_tj_init_compress()
	} else {
		h = C.reef_tj_init_decompress()
	}
	if h == nil {
		return nil, fmt.Errorf("%w: libjpeg-turbo could not allocate a handle", ErrBadImage)
	}
	return h, nil
}

// turboPut keeps a handle for reuse, unless its last call failed: a
// handle left mid-stream by an error can carry state (markers read, tables)
// into its next image, so it is destroyed instead.
func turboPut(pool chan C.reef_tjhandle, h C.reef_tjhandle, failed bool) {
	if failed {
		C.reef_tj_destroy(h)
		return
	}
	select {
	case pool <- h:
	default:
		C.reef_tj_destroy(h)
	}
}

// turboHeader returns a JPEG's dimensions.
func turboHeader(data []byte) (w, h int, err error) {
	th, err := turboGet(&turbo.decodeH, false)
	if err != nil {
		return 0, 0, err
	}
	var cw, ch C.int
	if C.reef_tj_header(th, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &cw, &ch) != 0 {
		err := fmt.Errorf("%w: jpeg header: %s", ErrBadImage, C.GoString(C.reef_tj_error(th)))
		turboPut(turbo.decodeH, th, true)
		return 0, 0, err
	}
	turboPut(turbo.decodeH, th, false)
	return int(cw), int(ch), nil
}

// turboDecode decodes a JPEG (whose header said w×h) scaled by 1/den, den
// a power of two ≤ 8, with libjpeg-turbo's scaled IDCT, into RGBA.
func turboDecode(data []byte, w, h, den int) (*image.RGBA, error) {
	th, err := turboGet(&turbo.decodeH, false)
	if err != nil {
		return nil, err
	}
	sw, sh := ceilDiv(w, den), ceilDiv(h, den)
	img := image.NewRGBA(image.Rect(0, 0, sw, sh))
	if C.reef_tj_decode(th, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(sw), C.int(sh)) != 0 {
		err := fmt.Errorf("%w: jpeg: %s", ErrBadImage, C.GoString(C.reef_tj_error(th)))
		turboPut(turbo.decodeH, th, true)
		return nil, err
	}
	turboPut(turbo.decodeH, th, false)
	return img, nil
}

// turboEncode compresses img as a 4:2:0 JPEG of the given quality.
func turboEncode(img *image.RGBA, quality int) ([]byte, error) {
	b := img.Rect
	if b.Empty() {
		return nil, fmt.Errorf("%w: empty image", ErrBadInput)
	}
	th, err := turboGet(&turbo.encodeH, true)
	if err != nil {
		return nil, err
	}
	off := img.PixOffset(b.Min.X, b.Min.Y)
	var out *C.uchar
	var n C.ulong
	rc := C.reef_tj_encode(th, (*C.uchar)(unsafe.Pointer(&img.Pix[off])), C.int(b.Dx()), C.int(img.Stride), C.int(b.Dy()),
		C.int(quality), &out, &n)
	defer C.reef_tj_free(out)
	if rc != 0 || out == nil {
		err := fmt.Errorf("%w: jpeg encode: %s", ErrBadImage, C.GoString(C.reef_tj_error(th)))
		turboPut(turbo.encodeH, th, true)
		return nil, err
	}
	turboPut(turbo.encodeH, th, false)
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
