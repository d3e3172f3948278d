package vecio

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxNPZMembers bounds the number of arrays in an archive. Real embedding
// archives hold a handful; thousands of members is a denial-of-service shape.
const maxNPZMembers = 1024

// maxDeflateRatio is the best compression ratio DEFLATE can achieve (about
// 1032:1). A member claiming more is lying about its size: a zip bomb.
const maxDeflateRatio = 1032

// NPZ is an opened .npz archive. Its directory has been validated; arrays
// are decoded on demand so unused members cost nothing.
type NPZ struct {
	lim     Limits
	members map[string]*zip.File
	names   []string
}

// ArrayInfo describes an array from its .npy header alone.
type ArrayInfo struct {
	Name         string
	DType        string // numpy descr, e.g. "<f4", "<U12"
	Shape        []int
	FortranOrder bool
}

// ReadNPZ opens a .npz archive (numpy.savez or savez_compressed). Members
// must be stored or deflated, named "<key>.npy" where key contains no path
// separators or "..", and their total uncompressed size must fit
// lim.MaxBytes. Keys are only map keys; nothing is written to disk.
func ReadNPZ(r io.ReaderAt, size int64, lim Limits) (*NPZ, error) {
	lim = lim.norm()
	if size < 0 {
		return nil, errorf(ErrFormat, "npz: negative size")
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, errorf(ErrFormat, "npz: %v", err)
	}
	if len(zr.File) > maxNPZMembers {
		return nil, errorf(ErrTooLarge, "npz: %d members exceeds %d", len(zr.File), maxNPZMembers)
	}
	z := &NPZ{lim: lim, members: make(map[string]*zip.File, len(zr.File))}
	var total uint64
	for _, f := range zr.File {
		key, err := npzKey(f.Name)
		if err != nil {
			return nil, err
		}
		if _, dup := z.members[key]; dup {
			return nil, errorf(ErrFormat, "npz: duplicate member %q", f.Name)
		}
		switch f.Method {
		case zip.Store:
			// Stored data is the uncompressed data; sizes must agree.
			if f.UncompressedSize64 != f.CompressedSize64 {
				return nil, errorf(ErrFormat, "npz: member %q: stored sizes disagree", f.Name)
			}
		case zip.Deflate:
			if f.UncompressedSize64/maxDeflateRatio > f.CompressedSize64 {
				return nil, errorf(ErrTooLarge, "npz: member %q: compression ratio impossible for deflate (zip bomb?)", f.Name)
			}
		default:
			return nil, errorf(ErrFormat, "npz: member %q: unsupported compression method %d", f.Name, f.Method)
		}
		// The compressed bytes must actually be in the archive.
		if f.CompressedSize64 > uint64(size) {
			return nil, errorf(ErrFormat, "npz: member %q: compressed size %d exceeds archive size", f.Name, f.CompressedSize64)
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(lim.MaxBytes) || total > uint64(lim.MaxBytes) {
			return nil, errorf(ErrTooLarge, "npz: member %q: uncompressed total exceeds %d bytes", f.Name, lim.MaxBytes)
		}
		z.members[key] = f
		z.names = append(z.names, key)
	}
	sort.Strings(z.names)
	return z, nil
}

// npzKey maps a member name to its array key, refusing anything that looks
// like a path: keys may end up in logs or file names downstream.
func npzKey(name string) (string, error) {
	key, ok := strings.CutSuffix(name, ".npy")
	switch {
	case !ok:
		return "", errorf(ErrFormat, "npz: member %q is not a .npy file", name)
	case key == "":
		return "", errorf(ErrFormat, "npz: member %q has an empty key", name)
	case strings.ContainsAny(key, "/\\\x00") || strings.Contains(key, ".."):
		return "", errorf(ErrFormat, "npz: member %q: key must not contain path separators or \"..\"", name)
	}
	return key, nil
}

// Names returns the array keys in sorted order.
func (z *NPZ) Names() []string { return append([]string(nil), z.names...) }

// sizedReader exposes the declared (and, by archive/zip, enforced)
// uncompressed size of a member as Len, so the npy decoders can check
// header-declared sizes against it before allocating.
type sizedReader struct {
	r io.Reader
	n int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	k, err := s.r.Read(p)
	s.n -= int64(k)
	return k, err
}

func (s *sizedReader) Len() int { return int(max(s.n, 0)) }

// open returns a reader over member name's bytes.
func (z *NPZ) open(name string) (*sizedReader, io.Closer, error) {
	f, ok := z.members[name]
	if !ok {
		return nil, nil, errorf(ErrFormat, "npz: no array %q (have %s)", name, strings.Join(z.names, ", "))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, errorf(ErrFormat, "npz: array %q: %v", name, err)
	}
	return &sizedReader{r: rc, n: int64(f.UncompressedSize64)}, rc, nil
}

// memberErr adds the array name to an error, and maps archive/zip's
// checksum and size complaints to ErrFormat.
func memberErr(err error, name string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) {
		return errorf(ErrFormat, "npz: array %q: %v", name, err)
	}
	if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrShape) && !errors.Is(err, ErrUnsupportedDType) {
		// Corrupt deflate streams surface as flate.CorruptInputError.
		return errorf(ErrFormat, "npz: array %q: %v", name, err)
	}
	return fmt.Errorf("%w (npz array %q)", err, name)
}

// Info reads only the header of array name.
func (z *NPZ) Info(name string) (ArrayInfo, error) {
	sr, c, err := z.open(name)
	if err != nil {
		return ArrayInfo{}, err
	}
	defer c.Close()
	h, err := readNPYHeader(sr)
	if err != nil {
		return ArrayInfo{}, memberErr(err, name)
	}
	return ArrayInfo{Name: name, DType: h.descr, Shape: h.shape, FortranOrder: h.fortran}, nil
}

// Matrix decodes array name as float vectors (see ReadNPY).
func (z *NPZ) Matrix(name string) (*Matrix, error) {
	sr, c, err := z.open(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m, err := ReadNPY(sr, z.lim)
	return m, memberErr(err, name)
}

// Strings decodes array name as ids (see ReadNPYStrings).
func (z *NPZ) Strings(name string) ([]string, error) {
	sr, c, err := z.open(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s, err := ReadNPYStrings(sr, z.lim)
	return s, memberErr(err, name)
}

// Preferred array keys, in order, for EmbeddingsFromNPZ.
var (
	embeddingKeys = []string{"embeddings", "embedding", "vectors", "vector", "emb", "x", "X"}
	idKeys        = []string{"ids", "id"}
)

// EmbeddingsFromNPZ picks the embedding matrix out of an archive: the first
// of embeddings, embedding, vectors, vector, emb, x, X that is a 2-D float
// array, else the only 2-D float array. Ids come from "ids" or "id" when
// present (nil otherwise) and must match the number of rows.
func EmbeddingsFromNPZ(z *NPZ) (ids []string, m *Matrix, err error) {
	ids, m, _, err = z.embeddings()
	return ids, m, err
}

// embeddings is EmbeddingsFromNPZ, also naming the arrays it used.
func (z *NPZ) embeddings() (ids []string, m *Matrix, used []string, err error) {
	is2DFloat := func(name string) bool {
		info, err := z.Info(name)
		return err == nil && len(info.Shape) == 2 && len(info.DType) > 1 && info.DType[1] == 'f'
	}
	var pick string
	for _, k := range embeddingKeys {
		if _, ok := z.members[k]; ok && is2DFloat(k) {
			pick = k
			break
		}
	}
	if pick == "" {
		var cands []string
		for _, k := range z.names {
			if is2DFloat(k) {
				cands = append(cands, k)
			}
		}
		if len(cands) != 1 {
			return nil, nil, nil, errorf(ErrShape, "npz: want exactly one 2-D float array, found %d among [%s]", len(cands), strings.Join(z.names, ", "))
		}
		pick = cands[0]
	}
	if m, err = z.Matrix(pick); err != nil {
		return nil, nil, nil, err
	}
	used = []string{pick}
	for _, k := range idKeys {
		if _, ok := z.members[k]; !ok {
			continue
		}
		if ids, err = z.Strings(k); err != nil {
			return nil, nil, nil, err
		}
		if len(ids) != m.Rows {
			return nil, nil, nil, errorf(ErrShape, "npz: %d ids in %q but %d rows in %q", len(ids), k, m.Rows, pick)
		}
		used = append(used, k)
		break
	}
	return ids, m, used, nil
}
