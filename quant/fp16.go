package quant

import (
	"encoding/binary"
	"math"

	"github.com/x448/float16"
)

// F16 conversions over github.com/x448/float16 (IEEE 754 binary16, round to nearest even).

// MaxF16 is the largest finite float16, 65504.
const MaxF16 = 65504

// ToF16 returns the binary16 bits nearest to f (ties to even). Values of magnitude 65520 and
// above become ±Inf; NaN stays NaN (quiet, sign and the payload's top 10 bits kept).
func ToF16(f float32) uint16 { return float16.Fromfloat32(f).Bits() }

// FromF16 widens binary16 bits to float32 exactly. A NaN keeps its sign and payload and is
// made quiet, as every IEEE conversion does, so a signalling-NaN pattern does not round-trip
// bit for bit (see the tests); every other pattern does.
func FromF16(h uint16) float32 { return float16.Frombits(h).Float32() }

// ToF16Slice converts src into dst (same length) and returns dst. It panics if the lengths
// differ (a programmer error).
func ToF16Slice(dst []uint16, src []float32) []uint16 {
	if len(dst) != len(src) {
		panic("quant: ToF16Slice length mismatch")
	}
	for i, v := range src {
		dst[i] = ToF16(v)
	}
	return dst
}

// FromF16Slice widens src into dst (same length) and returns dst.
func FromF16Slice(dst []float32, src []uint16) []float32 {
	if len(dst) != len(src) {
		panic("quant: FromF16Slice length mismatch")
	}
	for i, h := range src {
		dst[i] = FromF16(h)
	}
	return dst
}

// f16Up returns the smallest float16 >= x for a finite x >= 0, and false when it is not finite.
func f16Up(x float64) (uint16, bool) {
	if !(x >= 0) || x > MaxF16 {
		return 0, false
	}
	h := ToF16(float32(x))
	if float64(FromF16(h)) < x {
		h++ // positive binary16 values are ordered like their bits
	}
	if h >= 0x7c00 {
		return 0, false
	}
	return h, true
}

// f32Up returns the smallest float32 >= x for a finite x >= 0.
func f32Up(x float64) (float32, bool) {
	if !(x >= 0) || x > math.MaxFloat32 {
		return 0, false
	}
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	if math.IsInf(float64(f), 0) {
		return 0, false
	}
	return f, true
}

// PutF16 encodes bits little-endian into a new byte slice (2 bytes each).
func PutF16(bits []uint16) []byte {
	b := make([]byte, 2*len(bits))
	for i, h := range bits {
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b
}

// PutF32 encodes v little-endian into a new byte slice (4 bytes each).
func PutF32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// PutI8 returns q's bytes (two's complement).
func PutI8(q []int8) []byte {
	b := make([]byte, len(q))
	for i, v := range q {
		b[i] = byte(v)
	}
	return b
}

// GetF32 decodes little-endian float32s; len(b) must be a multiple of 4.
func GetF32(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// GetF16 decodes little-endian binary16 bits; len(b) must be even.
func GetF16(b []byte) []uint16 {
	v := make([]uint16, len(b)/2)
	for i := range v {
		v[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return v
}

// GetI8 reinterprets bytes as int8s (copied).
func GetI8(b []byte) []int8 {
	v := make([]int8, len(b))
	for i, x := range b {
		v[i] = int8(x)
	}
	return v
}
