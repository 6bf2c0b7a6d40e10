package quant

import (
	"fmt"
	"math"
)

// Granularity says how many scales a scheme stores for a rows x cols matrix.
type Granularity int

const (
	NoScale   Granularity = iota // f32, f16: no scales
	PerRow                       // one scale per row (embedding row, dense output channel)
	PerTensor                    // one scale for the whole matrix
)

// Scheme describes one weight storage scheme: its name in the model file, the dtypes of its
// weights and scales (safetensors spelling), the scale granularity, and a one-line layout.
// Its Quantize is the reference implementation; Tensor.Dequantize is the reference inverse.
type Scheme struct {
	Name        string      // as stored in the model file's "quant" metadata
	WeightDType string      // "F32", "F16" or "I8"
	ScaleDType  string      // "" (none), "F16" or "F32"
	Granularity Granularity // how many scales
	Layout      string      // human-readable layout
	// scale maps a row's (or the tensor's) max |w| / 127 to the stored scale, rounded up.
	scale func(x float64) (stored uint16, eff float32, ok bool)
}

// The schemes. Names match runtime/modelfile's Scheme* constants.
var (
	F32 = &Scheme{Name: "f32", WeightDType: "F32", Granularity: NoScale,
		Layout: "F32 [rows, cols]"}
	F16 = &Scheme{Name: "f16", WeightDType: "F16", Granularity: NoScale,
		Layout: "F16 [rows, cols], widened to float32 for compute"}
	Int8Row = &Scheme{Name: "int8-row", WeightDType: "I8", ScaleDType: "F16", Granularity: PerRow,
		Layout: "I8 [rows, cols] + F16 scale [rows]; w = float32(q) * scale[row]", scale: scaleF16}
	Int8Tensor = &Scheme{Name: "int8-tensor", WeightDType: "I8", ScaleDType: "F32", Granularity: PerTensor,
		Layout: "I8 [rows, cols] + F32 scale [1]; w = float32(q) * scale", scale: scaleF32}
	Int8Channel = &Scheme{Name: "int8-channel", WeightDType: "I8", ScaleDType: "F32", Granularity: PerRow,
		Layout: "I8 [out, in] + F32 scale [out]; w = float32(q) * scale[out]", scale: scaleF32}
)

// Schemes lists every scheme.
func Schemes() []*Scheme { return []*Scheme{F32, F16, Int8Row, Int8Tensor, Int8Channel} }

// Lookup returns the scheme called name.
func Lookup(name string) (*Scheme, error) {
	for _, s := range Schemes() {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("quant: unknown scheme %q (known: f32, f16, int8-row, int8-tensor, int8-channel)", name)
}

func scaleF16(x float64) (uint16, float32, bool) {
	h, ok := f16Up(x)
	return h, FromF16(h), ok
}

func scaleF32(x float64) (uint16, float32, bool) {
	f, ok := f32Up(x)
	return 0, f, ok
}

// NonFiniteError reports a NaN or infinite value where a finite one is required.
type NonFiniteError struct {
	What  string // e.g. "weights", "activation"
	Index int    // position of the first bad value
	Value float32
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("quant: %s element %d is %v; a model with non-finite values is broken and is not quantized (retrain or re-export it)", e.What, e.Index, e.Value)
}

// CheckFinite returns a *NonFiniteError for the first NaN or ±Inf in v.
func CheckFinite(what string, v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return &NonFiniteError{What: what, Index: i, Value: x}
		}
	}
	return nil
}

// Tensor is a matrix stored with a scheme. Exactly one of F32, F16 and Q is set.
type Tensor struct {
	Scheme     *Scheme
	Rows, Cols int
	F32        []float32 // f32
	F16        []uint16  // f16: binary16 bits
	Q          []int8    // int8 schemes, row-major
	// Scales are the effective scales as float32 (len Rows for PerRow, 1 for PerTensor);
	// ScaleF16 holds the stored binary16 bits when ScaleDType is "F16".
	Scales   []float32
	ScaleF16 []uint16
	// Stats of the quantization itself.
	Saturated int // elements clamped to ±127 beyond rounding (0 for the reference scales)
	ZeroRows  int // rows that are entirely zero (scale 0)
	Underflow int // f16: nonzero weights that became zero
}

// Quantize stores w (rows x cols, row-major) with scheme s. It refuses non-finite weights,
// and values or scales beyond the scheme's range, with an error that says what to do.
func (s *Scheme) Quantize(w []float32, rows, cols int) (*Tensor, error) {
	if n, ok := elems(rows, cols); !ok || len(w) != n {
		return nil, fmt.Errorf("quant: %d weights for a %d x %d matrix", len(w), rows, cols)
	}
	if err := CheckFinite("weights", w); err != nil {
		return nil, err
	}
	t := &Tensor{Scheme: s, Rows: rows, Cols: cols}
	switch s.WeightDType {
	case "F32":
		t.F32 = append([]float32(nil), w...)
		return t, nil
	case "F16":
		t.F16 = make([]uint16, len(w))
		for i, v := range w {
			h := ToF16(v)
			if h&0x7c00 == 0x7c00 {
				return nil, fmt.Errorf("quant: f16: weight %d is %v, beyond float16's range (±%d); store this tensor as f32 or int8", i, v, MaxF16)
			}
			if v != 0 && h&0x7fff == 0 {
				t.Underflow++
			}
			t.F16[i] = h
		}
		return t, nil
	}
	t.Q = make([]int8, len(w))
	if s.Granularity == PerTensor {
		if err := t.quantizeBlock(w, 0, len(w)); err != nil {
			return nil, err
		}
		return t, nil
	}
	for r := 0; r < rows; r++ {
		if err := t.quantizeBlock(w, r*cols, (r+1)*cols); err != nil {
			return nil, fmt.Errorf("%w (row %d)", err, r)
		}
	}
	return t, nil
}

// quantizeBlock quantizes w[lo:hi] with one scale, appended to t.Scales.
func (t *Tensor) quantizeBlock(w []float32, lo, hi int) error {
	var m float64
	for _, v := range w[lo:hi] {
		m = math.Max(m, math.Abs(float64(v)))
	}
	h, s, ok := t.Scheme.scale(m / 127)
	if !ok {
		return fmt.Errorf("quant: %s: max |w| = %g needs a scale beyond %s's range; use another scheme", t.Scheme.Name, m, t.Scheme.ScaleDType)
	}
	t.Scales = append(t.Scales, s)
	if t.Scheme.ScaleDType == "F16" {
		t.ScaleF16 = append(t.ScaleF16, h)
	}
	if m == 0 {
		t.ZeroRows++ // q stays 0
		return nil
	}
	for i := lo; i < hi; i++ {
		q, sat := QuantizeSym(w[i], s)
		t.Q[i] = q
		if sat {
			t.Saturated++
		}
	}
	return nil
}

// QuantizeSym is the reference symmetric int8 quantizer: round(w/s) half away from zero,
// computed in float64 (exact division, the same on every architecture), clamped to
// [-127, 127]; sat reports a clamp beyond rounding (|w/s| > 127.5). s = 0 gives 0.
func QuantizeSym(w, s float32) (q int8, sat bool) {
	if s == 0 {
		return 0, false
	}
	v := float64(w) / float64(s)
	switch {
	case v >= 127.5:
		return 127, v > 127.5
	case v <= -127.5:
		return -127, v < -127.5
	}
	return int8(math.Round(v)), false
}

// DequantizeSym is the reference inverse: float32(q) * s.
func DequantizeSym(q int8, s float32) float32 { return float32(q) * s }

// Scale returns the scale of row r (the single scale for PerTensor, 1 for unscaled schemes).
func (t *Tensor) Scale(r int) float32 {
	switch t.Scheme.Granularity {
	case PerRow:
		return t.Scales[r]
	case PerTensor:
		return t.Scales[0]
	}
	return 1
}

// Row dequantizes row r into dst (len Cols) and returns it.
func (t *Tensor) Row(r int, dst []float32) []float32 {
	if len(dst) != t.Cols || r < 0 || r >= t.Rows {
		panic("quant: Tensor.Row: bad row or destination length")
	}
	lo := r * t.Cols
	switch {
	case t.F32 != nil:
		copy(dst, t.F32[lo:lo+t.Cols])
	case t.F16 != nil:
		FromF16Slice(dst, t.F16[lo:lo+t.Cols])
	default:
		s := t.Scale(r)
		for c := range dst {
			dst[c] = DequantizeSym(t.Q[lo+c], s)
		}
	}
	return dst
}

// Dequantize returns the whole matrix as float32 (the reference inverse of Quantize).
func (t *Tensor) Dequantize() []float32 {
	out := make([]float32, t.Rows*t.Cols)
	for r := 0; r < t.Rows; r++ {
		t.Row(r, out[r*t.Cols:(r+1)*t.Cols])
	}
	return out
}

// WeightBytes returns the weights as stored in the file (little-endian, WeightDType).
func (t *Tensor) WeightBytes() []byte {
	switch {
	case t.F32 != nil:
		return PutF32(t.F32)
	case t.F16 != nil:
		return PutF16(t.F16)
	}
	return PutI8(t.Q)
}

// ScaleBytes returns the scales as stored (ScaleDType), or nil when the scheme has none.
func (t *Tensor) ScaleBytes() []byte {
	switch t.Scheme.ScaleDType {
	case "F16":
		return PutF16(t.ScaleF16)
	case "F32":
		return PutF32(t.Scales)
	}
	return nil
}

// Bytes is the stored size: weights plus scales.
func (t *Tensor) Bytes() int { return len(t.WeightBytes()) + len(t.ScaleBytes()) }

// FromStored rebuilds a Tensor from stored bytes (as in a model file) for dequantization.
// scales is nil for unscaled schemes. It checks the lengths and refuses non-finite scales.
func FromStored(s *Scheme, rows, cols int, weights, scales []byte) (*Tensor, error) {
	size := map[string]int{"F32": 4, "F16": 2, "I8": 1}[s.WeightDType]
	// Compare by division: rows*cols*size can wrap around a 32-bit int (GOARCH=arm) and
	// match a short buffer.
	if n, ok := elems(rows, cols); !ok || len(weights)%size != 0 || len(weights)/size != n {
		return nil, fmt.Errorf("quant: %s: %d weight bytes for %d x %d", s.Name, len(weights), rows, cols)
	}
	t := &Tensor{Scheme: s, Rows: rows, Cols: cols}
	switch s.WeightDType {
	case "F32":
		t.F32 = GetF32(weights)
		return t, nil
	case "F16":
		t.F16 = GetF16(weights)
		return t, nil
	}
	t.Q = GetI8(weights)
	ns := rows
	if s.Granularity == PerTensor {
		ns = 1
	}
	switch s.ScaleDType {
	case "F16":
		if len(scales) != 2*ns {
			return nil, fmt.Errorf("quant: %s: %d scale bytes, want %d", s.Name, len(scales), 2*ns)
		}
		t.ScaleF16 = GetF16(scales)
		t.Scales = make([]float32, ns)
		FromF16Slice(t.Scales, t.ScaleF16)
	case "F32":
		if len(scales) != 4*ns {
			return nil, fmt.Errorf("quant: %s: %d scale bytes, want %d", s.Name, len(scales), 4*ns)
		}
		t.Scales = GetF32(scales)
	}
	if err := CheckFinite("scales", t.Scales); err != nil {
		return nil, err
	}
	return t, nil
}

// elems returns rows*cols, and false when a dimension is negative or the product does not
// fit in an int (32 bits on GOARCH=arm).
func elems(rows, cols int) (int, bool) {
	if rows < 0 || cols < 0 || (cols > 0 && rows > math.MaxInt/cols) {
		return 0, false
	}
	return rows * cols, true
}
