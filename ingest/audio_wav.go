package ingest

import (
	"encoding/binary"
	"math"
)

// encodePCM16WAV writes mono samples in [-1, 1] (clipped beyond) as a
// canonical 44-byte-header RIFF/WAVE file of 16-bit PCM, the one format
// every browser's <audio> element plays.
func encodePCM16WAV(samples []float32, rate int) []byte {
	const header = 44
	data := len(samples) * 2
	b := make([]byte, header+data)
	le := binary.LittleEndian
	copy(b[0:4], "RIFF")
	le.PutUint32(b[4:8], uint32(header-8+data))
	copy(b[8:16], "WAVEfmt ")
	le.PutUint32(b[16:20], 16) // fmt chunk size
	le.PutUint16(b[20:22], 1)  // PCM
	le.PutUint16(b[22:24], 1)  // mono
	le.PutUint32(b[24:28], uint32(rate))
	le.PutUint32(b[28:32], uint32(rate*2)) // byte rate
	le.PutUint16(b[32:34], 2)              // block align
	le.PutUint16(b[34:36], 16)             // bits
	copy(b[36:40], "data")
	le.PutUint32(b[40:44], uint32(data))
	for i, s := range samples {
		v := math.Round(float64(s) * 32767)
		v = max(-32768, min(32767, v))
		le.PutUint16(b[header+2*i:], uint16(int16(v)))
	}
	return b
}
