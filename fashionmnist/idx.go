// Package fashionmnist reads the Fashion-MNIST data set in its IDX format
// (as Debian's dataset-fashion-mnist installs it) for tests, examples and
// benchmarks.
//
// The decoder is defensive: headers are validated against the file length
// before anything is allocated, so a corrupt or hostile file is an error,
// never a panic or a huge allocation.
package fashionmnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DefaultDir is where Debian's dataset-fashion-mnist package installs the files.
const DefaultDir = "/usr/share/datasets/fashion-mnist"

// ClassNames are the ten Fashion-MNIST labels, indexed by label value.
var ClassNames = [10]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// ErrFormat reports a malformed IDX file.
var ErrFormat = errors.New("fashionmnist: malformed IDX data")

// maxItems bounds how many items a header may claim, so a corrupt count
// cannot trigger a giant allocation.
const maxItems = 10_000_000

// Set is one split: images as 784 float32 pixels in [0,255] and labels 0..9.
type Set struct {
	Images [][]float32
	Labels []uint8
	Rows   int
	Cols   int
}

// Available reports whether the data set is installed in dir.
func Available(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	return err == nil
}

// Load reads split "train" (60,000 items) or "t10k" (10,000 items) from dir.
func Load(dir, split string) (*Set, error) {
	imgs, rows, cols, err := readImagesFile(filepath.Join(dir, split+"-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	labels, err := readLabelsFile(filepath.Join(dir, split+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	if len(labels) != len(imgs) {
		return nil, fmt.Errorf("%w: %d images but %d labels", ErrFormat, len(imgs), len(labels))
	}
	return &Set{Images: imgs, Labels: labels, Rows: rows, Cols: cols}, nil
}

func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

func readImagesFile(path string) ([][]float32, int, int, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rc.Close()
	return ReadImages(rc)
}

func readLabelsFile(path string) ([]uint8, error) {
	rc, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadLabels(rc)
}

// ReadImages decodes an uncompressed IDX3 image file (magic 0x00000803).
func ReadImages(r io.Reader) ([][]float32, int, int, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if m := binary.BigEndian.Uint32(hdr[0:]); m != 0x803 {
		return nil, 0, 0, fmt.Errorf("%w: image magic %#x", ErrFormat, m)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	rows := binary.BigEndian.Uint32(hdr[8:])
	cols := binary.BigEndian.Uint32(hdr[12:])
	if n > maxItems || rows == 0 || cols == 0 || rows > 4096 || cols > 4096 {
		return nil, 0, 0, fmt.Errorf("%w: implausible shape %d×%d×%d", ErrFormat, n, rows, cols)
	}
	px := int(rows * cols)
	out := make([][]float32, 0, min(int(n), 1<<16))
	buf := make([]byte, px)
	for i := uint32(0); i < n; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, 0, 0, fmt.Errorf("%w: image %d: %v", ErrFormat, i, err)
		}
		v := make([]float32, px)
		for j, b := range buf {
			v[j] = float32(b)
		}
		out = append(out, v)
	}
	return out, int(rows), int(cols), nil
}

// ReadLabels decodes an uncompressed IDX1 label file (magic 0x00000801).
func ReadLabels(r io.Reader) ([]uint8, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if m := binary.BigEndian.Uint32(hdr[0:]); m != 0x801 {
		return nil, fmt.Errorf("%w: label magic %#x", ErrFormat, m)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > maxItems {
		return nil, fmt.Errorf("%w: %d labels", ErrFormat, n)
	}
	out := make([]uint8, 0, min(int(n), 1<<16))
	buf := make([]byte, 4096)
	for remaining := int(n); remaining > 0; {
		c := min(remaining, len(buf))
		if _, err := io.ReadFull(r, buf[:c]); err != nil {
			return nil, fmt.Errorf("%w: labels: %v", ErrFormat, err)
		}
		for _, b := range buf[:c] {
			if b > 9 {
				return nil, fmt.Errorf("%w: label %d out of range", ErrFormat, b)
			}
		}
		out = append(out, buf[:c]...)
		remaining -= c
	}
	return out, nil
}
