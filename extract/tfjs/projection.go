package tfjs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// projectionMagic starts a projection file. Layout (little-endian):
//
//	[8]byte  "REEFPCA1"
//	uint32   in_dim  (D)
//	uint32   out_dim (K)
//	float32  power   (signed power normalisation exponent, 0 = none)
//	float32  mean[D]
//	float32  matrix[D][K] (row-major: y_k = sum_d (x_d - mean_d) * matrix[d][k])
const projectionMagic = "REEFPCA1"

// WriteProjection writes p in the projection file format.
func WriteProjection(w io.Writer, p *Projection) error {
	if p.OutDim <= 0 || len(p.Matrix) != len(p.Mean)*p.OutDim {
		return errors.New("tfjs: inconsistent projection")
	}
	hdr := make([]byte, 20)
	copy(hdr, projectionMagic)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(p.Mean)))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(p.OutDim))
	binary.LittleEndian.PutUint32(hdr[16:], math.Float32bits(float32(p.Power)))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if _, err := w.Write(floatRaw(p.Mean)); err != nil {
		return err
	}
	_, err := w.Write(floatRaw(p.Matrix))
	return err
}

// ReadProjection reads a projection file.
func ReadProjection(r io.Reader) (*Projection, error) {
	hdr := make([]byte, 20)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("tfjs: projection header: %w", err)
	}
	if string(hdr[:8]) != projectionMagic {
		return nil, errors.New("tfjs: not a projection file")
	}
	d := int(binary.LittleEndian.Uint32(hdr[8:]))
	k := int(binary.LittleEndian.Uint32(hdr[12:]))
	if d <= 0 || k <= 0 || d > 1<<16 || k > 1<<16 {
		return nil, fmt.Errorf("tfjs: projection dims %dx%d out of range", d, k)
	}
	p := &Projection{OutDim: k, Power: float64(math.Float32frombits(binary.LittleEndian.Uint32(hdr[16:])))}
	buf := make([]byte, 4*(d+d*k))
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("tfjs: projection data: %w", err)
	}
	f := make([]float32, d+d*k)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	p.Mean, p.Matrix = f[:d], f[d:]
	return p, nil
}
