// Package peers runs other vector-search libraries on reef's benchmark data
// so their numbers land in the same bench.Report.
//
// Data is exchanged in the .fvecs/.ivecs formats of the classic ANN
// benchmark sets: each vector is a little-endian int32 dimension followed by
// that many little-endian float32 (fvecs) or int32 (ivecs) values.
//
// The hnswlib peer is hnswlib/hnswlib_bench.cpp, compiled from Debian's header-only
// libhnswlib-dev with -O3 -march=native by run-hnswlib.sh. Debian also ships
// python3-hnswlib, but it is built for baseline amd64 without AVX, so its
// distance kernels are several times slower than a native build: comparing
// against it would flatter reef. The native C++ build is the fair peer.
package peers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// maxDim bounds the dimension a file may claim, so a corrupt header cannot
// trigger a huge allocation.
const maxDim = 1 << 16

// WriteFVecs writes vectors to path in .fvecs format.
func WriteFVecs(path string, vecs [][]float32) error {
	return writeVecs(path, len(vecs), func(i int) []uint32 {
		out := make([]uint32, len(vecs[i]))
		for j, x := range vecs[i] {
			out[j] = math.Float32bits(x)
		}
		return out
	})
}

// WriteIVecs writes id lists (e.g. ground truth) to path in .ivecs format.
// IDs must fit in an int32.
func WriteIVecs(path string, ids [][]uint64) error {
	for i, row := range ids {
		for _, id := range row {
			if id > math.MaxInt32 {
				return fmt.Errorf("peers: id %d in row %d does not fit ivecs", id, i)
			}
		}
	}
	return writeVecs(path, len(ids), func(i int) []uint32 {
		out := make([]uint32, len(ids[i]))
		for j, id := range ids[i] {
			out[j] = uint32(id)
		}
		return out
	})
}

func writeVecs(path string, n int, row func(i int) []uint32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var b [4]byte
	for i := range n {
		r := row(i)
		binary.LittleEndian.PutUint32(b[:], uint32(len(r)))
		bw.Write(b[:])
		for _, x := range r {
			binary.LittleEndian.PutUint32(b[:], x)
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadFVecs reads a whole .fvecs file.
func ReadFVecs(path string) ([][]float32, error) {
	var out [][]float32
	err := readVecs(path, func(r []uint32) {
		v := make([]float32, len(r))
		for j, x := range r {
			v[j] = math.Float32frombits(x)
		}
		out = append(out, v)
	})
	return out, err
}

// ReadIVecs reads a whole .ivecs file.
func ReadIVecs(path string) ([][]uint64, error) {
	var out [][]uint64
	err := readVecs(path, func(r []uint32) {
		v := make([]uint64, len(r))
		for j, x := range r {
			v[j] = uint64(x)
		}
		out = append(out, v)
	})
	return out, err
}

func readVecs(path string, emit func([]uint32)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var hdr [4]byte
	var buf []byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("peers: %s: vector %d header: %w", path, n, err)
		}
		d := binary.LittleEndian.Uint32(hdr[:])
		if d > maxDim {
			return fmt.Errorf("peers: %s: vector %d claims dimension %d", path, n, d)
		}
		buf = append(buf[:0], make([]byte, 4*d)...)
		if _, err := io.ReadFull(br, buf); err != nil {
			return fmt.Errorf("peers: %s: vector %d truncated: %w", path, n, err)
		}
		r := make([]uint32, d)
		for j := range r {
			r[j] = binary.LittleEndian.Uint32(buf[4*j:])
		}
		emit(r)
	}
}
