package runtime

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
	"github.com/x448/float16"
)

// Model is a loaded, verified model. It is immutable and safe for concurrent use. Meta is
// a copy of the file's metadata for callers to read; prediction does not use it.
type Model struct {
	Meta   modelfile.Meta
	pre    modelfile.Preprocess
	tok    *Tokenizer
	emb    embedding
	pool   int // poolAverage, poolMax or poolFlatten (modelfile Arch.Pooling)
	dense  []dense
	maxOut int   // widest layer, for scratch
	badID  int32 // the row an id outside the embedding counts as: the OOV id, else padding 0
	bytes  int   // size of the model file
}

// embedding kinds
const (
	embF32 = iota
	embF16
	embI8Row
	embI8Tensor
)

type embedding struct {
	kind     int
	rows     int
	dim      int
	maskZero bool
	f32      []float32
	f16      []uint16
	i8       []int8
	scale    []float32 // per row (embI8Row), or [1] (embI8Tensor)
	scaleAvg []float32 // embI8Row without mask_zero: scale[i] / maxlen, the fused kernel's coefficients
	row0Zero bool      // the padding row is all zeros (convert folds it into the bias): skip it
	fused16  bool      // 16 wide, float32/float16/int8-row, no mask_zero: the fused kernels apply
}

// rowZero reports whether every value of row id is zero (in any storage type).
func (e *embedding) rowZero(id int) bool {
	if id >= e.rows {
		return false
	}
	lo, hi := id*e.dim, (id+1)*e.dim
	switch e.kind {
	case embF32:
		for _, v := range e.f32[lo:hi] {
			if v != 0 {
				return false
			}
		}
	case embF16:
		for _, v := range e.f16[lo:hi] {
			if v&0x7fff != 0 {
				return false
			}
		}
	default:
		for _, v := range e.i8[lo:hi] {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

type dense struct {
	in, out int
	w       []float32 // [out][in]
	wT      []float32 // [in][out], for kernels that compute outputs side by side (out%4 == 0)
	b       []float32
	act     int
}

const (
	actLinear = iota
	actRelu
	actSigmoid
	actTanh
	actSoftmax
)

// New builds a Model from a parsed model file. The model keeps references into f's tensor
// data, which must stay valid and unmodified.
func New(f *modelfile.File) (*Model, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Meta: f.Meta, pre: f.Meta.Preprocess}
	words, err := f.Words()
	if err != nil {
		return nil, err
	}
	if m.tok, err = NewTokenizer(f.Meta.Tokenizer, words); err != nil {
		return nil, err
	}
	a := f.Meta.Arch
	e := &m.emb
	e.rows, e.dim, e.maskZero = a.Embedding.InputDim, a.Embedding.OutputDim, a.Embedding.MaskZero
	if oov := m.tok.oovID; oov >= 0 && int(oov) < e.rows { // Validate checked the bound
		m.badID = oov
	}
	et := f.Tensor(modelfile.TensorEmbedding)
	switch f.Meta.Quant.Embedding {
	case modelfile.SchemeF32:
		e.kind = embF32
		e.f32 = viewF32(et.Data)
		if err := checkFinite("embedding", e.f32); err != nil {
			return nil, err
		}
	case modelfile.SchemeF16:
		e.kind = embF16
		e.f16 = viewU16(et.Data)
		if err := checkFiniteF16("embedding", e.f16); err != nil {
			return nil, err
		}
	case modelfile.SchemeInt8Row:
		e.kind = embI8Row
		e.i8 = viewI8(et.Data)
		st := f.Tensor(modelfile.TensorEmbeddingScale)
		e.scale = make([]float32, e.rows)
		for i, h := range viewU16(st.Data) {
			e.scale[i] = float16.Frombits(h).Float32()
		}
	case modelfile.SchemeInt8Tensor:
		e.kind = embI8Tensor
		e.i8 = viewI8(et.Data)
		e.scale = append([]float32(nil), viewF32(f.Tensor(modelfile.TensorEmbeddingScale).Data)...)
	}
	if e.scale != nil {
		if err := checkFinite("embedding.scale", e.scale); err != nil {
			return nil, err
		}
	}
	if m.pool, err = poolKind(a.Pooling); err != nil {
		return nil, err
	}
	e.row0Zero = e.rowZero(0)
	e.fused16 = e.dim == 16 && !e.maskZero && e.kind != embI8Tensor && m.pre.MaxLen > 0
	if e.fused16 && e.kind == embI8Row {
		inv := 1 / float32(m.pre.MaxLen)
		e.scaleAvg = make([]float32, len(e.scale))
		for i, s := range e.scale {
			e.scaleAvg[i] = inv * s
		}
	}
	m.maxOut = e.dim
	for i, d := range a.Dense {
		l := dense{in: d.In, out: d.Out}
		switch d.Activation {
		case "linear":
			l.act = actLinear
		case "relu":
			l.act = actRelu
		case "sigmoid":
			l.act = actSigmoid
		case "tanh":
			l.act = actTanh
		case "softmax":
			l.act = actSoftmax
		}
		wt := f.Tensor(modelfile.DenseWeight(i))
		l.w = make([]float32, d.In*d.Out)
		switch f.Meta.Quant.Dense {
		case modelfile.SchemeF32:
			copy(l.w, viewF32(wt.Data))
		case modelfile.SchemeF16:
			for j, h := range viewU16(wt.Data) {
				l.w[j] = float16.Frombits(h).Float32()
			}
		case modelfile.SchemeInt8Chan:
			s := viewF32(f.Tensor(modelfile.DenseScale(i)).Data)
			q := viewI8(wt.Data)
			for o := 0; o < d.Out; o++ {
				for k := 0; k < d.In; k++ {
					l.w[o*d.In+k] = float32(q[o*d.In+k]) * s[o]
				}
			}
		}
		l.b = append([]float32(nil), viewF32(f.Tensor(modelfile.DenseBias(i)).Data)...)
		if d.Out%4 == 0 {
			l.wT = make([]float32, len(l.w))
			for o := 0; o < d.Out; o++ {
				for k := 0; k < d.In; k++ {
					l.wT[k*d.Out+o] = l.w[o*d.In+k]
				}
			}
		}
		if err := checkFinite(fmt.Sprintf("dense %d", i), l.w); err != nil {
			return nil, err
		}
		if err := checkFinite(fmt.Sprintf("dense %d bias", i), l.b); err != nil {
			return nil, err
		}
		m.dense = append(m.dense, l)
		if d.Out > m.maxOut {
			m.maxOut = d.Out
		}
	}
	return m, nil
}

func checkFinite(what string, v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errNonFinite(what, x, i)
		}
	}
	return nil
}

// checkFiniteF16 is checkFinite for half floats (all exponent bits set: Inf or NaN).
func checkFiniteF16(what string, v []uint16) error {
	for i, h := range v {
		if h&0x7c00 == 0x7c00 {
			return errNonFinite(what, float16.Frombits(h).Float32(), i)
		}
	}
	return nil
}

func errNonFinite(what string, x float32, i int) error {
	return fmt.Errorf("runtime: %s has a non-finite value (%v) at element %d: the model file is corrupt; re-convert it", what, x, i)
}

// Close is kept for symmetry with Load: the model lives in ordinary Go memory (Load does
// not map the file), so there is nothing to release; the garbage collector frees it.
func (m *Model) Close() error { return nil }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *Tokenizer { return m.tok }

// Preprocess returns the pad_sequences settings.
func (m *Model) Preprocess() modelfile.Preprocess { return m.pre }

// Outputs returns the number of output units.
func (m *Model) Outputs() int { return m.dense[len(m.dense)-1].out }

// Labels returns the label names (one per output unit, or two for a single sigmoid unit).
func (m *Model) Labels() []string { return m.Meta.Labels }

// FileBytes returns the size of the model file when it was opened with Load.
func (m *Model) FileBytes() int { return m.bytes }

// The model file is little-endian; every Go port edgewatt targets (amd64, arm64, arm) is too.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func init() {
	if !littleEndian {
		panic("edgewatt runtime: big-endian hosts are not supported")
	}
}

func viewF32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func viewU16(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%2 != 0 {
		out := make([]uint16, len(b)/2)
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return out
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func viewI8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}
