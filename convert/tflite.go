package convert

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/edgewatt/edgewatt/convert/internal/tflite"
	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/quant"
)

// TFLite import. A .tflite file is a FlatBuffer of TFLite's schema.fbs (read here through
// the code flatc generated from it, convert/internal/tflite), optionally followed by a zip
// of associated files (Model Maker's vocab.txt and labels.txt). edgewatt reads the
// average-word-vector family: one subgraph whose operators, in execution order, are
//
//	[CAST] [LESS, ADD, SELECT_V2]  GATHER | EMBEDDING_LOOKUP  MEAN(axis 1)
//	FULLY_CONNECTED (fused NONE/RELU/TANH) [RELU | TANH]  ...  [SOFTMAX | LOGISTIC]
//
// with DEQUANTIZE on constant weights (float16 and int8 storage), RESHAPE where it keeps
// [1, n], and QUANTIZE/DEQUANTIZE on activations (full-integer models, run in float).
// Anything else is refused naming the operator.

// tfConst is a constant tensor of the model: its float32 value (dequantized) and how it
// was stored.
type tfConst struct {
	name  string
	shape []int
	f32   []float32
	dtype tflite.TensorType // storage type
	// raw is the stored data for FLOAT16 and INT8 storage; scale and zero the
	// quantization parameters of INT8 (one per channel along qdim, or one).
	raw   []byte
	scale []float32
	zero  []int64
	qdim  int
}

// tfDense is one FULLY_CONNECTED layer: weights [out, in] and bias [out].
type tfDense struct {
	w, b *tfConst
	act  string
}

// tfModel is the average-word-vector network read from a .tflite.
type tfModel struct {
	description string
	inputType   tflite.TensorType
	inputLen    int
	ops         []string // operator names in execution order
	emb         *tfConst // [V, D]
	dense       []tfDense
	actQuant    bool              // QUANTIZE/DEQUANTIZE on activations, run as identity in float
	metadata    map[string][]byte // Model.metadata entries by name
	files       map[string][]byte // associated files from the trailing zip
}

// isTFLite reports whether head (the first 8 bytes of a file) is a TFLite FlatBuffer.
func isTFLite(head []byte) bool { return len(head) >= 8 && string(head[4:8]) == "TFL3" }

// readTFLiteFile reads a .tflite file (at most safeio.MaxModelFile bytes) and its graph.
func readTFLiteFile(path string) (*tfModel, []byte, error) {
	b, err := readInput(path, "model", safeio.MaxModelFile)
	if err != nil {
		return nil, nil, err
	}
	m, err := parseTFLite(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (%s)", err, path)
	}
	return m, b, nil
}

// errTFLiteCorrupt is wrapped when a FlatBuffer offset or length points outside the file.
var errTFLiteCorrupt = errors.New("the TFLite flatbuffer is corrupt or truncated")

// parseTFLite reads a TFLite model from b. The generated accessors do not verify the
// buffer; every vector length used is checked against the buffer first, and any offset the
// accessors follow out of range (a panic in the flatbuffers library) becomes an error.
func parseTFLite(b []byte) (m *tfModel, err error) {
	if !isTFLite(b) {
		return nil, errors.New("convert: not a TFLite flatbuffer (no TFL3 identifier at byte 4)")
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("convert: %w (%v)", errTFLiteCorrupt, r)
		}
	}()
	if len(b) < 8 || int(binary.LittleEndian.Uint32(b)) >= len(b) {
		return nil, fmt.Errorf("convert: %w: root offset outside the file", errTFLiteCorrupt)
	}
	model := tflite.GetRootAsModel(b, 0)
	r := &tfReader{b: b, model: model}
	return r.read()
}

type tfReader struct {
	b     []byte
	model *tflite.Model
	sg    tflite.SubGraph
	m     *tfModel
	// consts caches dequantized constants by tensor index.
	consts map[int32]*tfConst
}

// vec checks that a vector of n elements of size bytes fits in the buffer.
func (r *tfReader) vec(what string, n, size int) error {
	if n < 0 || n > len(r.b)/max(size, 1) {
		return fmt.Errorf("convert: %w: %s has %d entries, more than the file can hold", errTFLiteCorrupt, what, n)
	}
	return nil
}

func (r *tfReader) read() (*tfModel, error) {
	mod := r.model
	r.m = &tfModel{description: string(mod.Description()), metadata: map[string][]byte{}}
	r.consts = map[int32]*tfConst{}
	if v := mod.Version(); v != 3 {
		return nil, fmt.Errorf("convert: TFLite schema version %d; edgewatt reads version 3 (every converter since TF 1.x writes it)", v)
	}
	if err := r.vec("buffers", mod.BuffersLength(), 4); err != nil {
		return nil, err
	}
	if err := r.vec("metadata", mod.MetadataLength(), 4); err != nil {
		return nil, err
	}
	var md tflite.Metadata
	for i := 0; i < mod.MetadataLength(); i++ {
		if !mod.Metadata(&md, i) {
			continue
		}
		data, err := r.buffer(md.Buffer())
		if err != nil {
			return nil, err
		}
		r.m.metadata[string(md.Name())] = data
	}
	if n := mod.SubgraphsLength(); n != 1 {
		if err := r.vec("subgraphs", n, 4); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("convert: %w: the TFLite model has %d subgraphs (control flow such as WHILE, or LSTM/RNN bodies); edgewatt runs one subgraph of the average-word-vector family (GATHER, MEAN, FULLY_CONNECTED, SOFTMAX)", ErrUnsupportedLayer, n)
	}
	mod.Subgraphs(&r.sg, 0)
	if err := r.vec("tensors", r.sg.TensorsLength(), 4); err != nil {
		return nil, err
	}
	if err := r.vec("operators", r.sg.OperatorsLength(), 4); err != nil {
		return nil, err
	}
	if err := r.vec("operator codes", mod.OperatorCodesLength(), 4); err != nil {
		return nil, err
	}
	return r.m, r.walk()
}

// buffer returns the data of buffer i (nil for an empty buffer).
func (r *tfReader) buffer(i uint32) ([]byte, error) {
	if int64(i) >= int64(r.model.BuffersLength()) {
		return nil, fmt.Errorf("convert: %w: buffer %d of %d", errTFLiteCorrupt, i, r.model.BuffersLength())
	}
	var buf tflite.Buffer
	if !r.model.Buffers(&buf, int(i)) {
		return nil, nil
	}
	if buf.Offset() != 0 || buf.Size() != 0 {
		return nil, errors.New("convert: the TFLite model keeps its weights outside the flatbuffer (buffer offset/size, models over 2 GB); edgewatt reads models whose weights are inside")
	}
	if err := r.vec("buffer data", buf.DataLength(), 1); err != nil {
		return nil, err
	}
	return buf.DataBytes(), nil
}

// tensor returns tensor i, checked.
func (r *tfReader) tensor(i int32) (*tflite.Tensor, error) {
	if i < 0 || int(i) >= r.sg.TensorsLength() {
		return nil, fmt.Errorf("convert: %w: tensor index %d of %d", errTFLiteCorrupt, i, r.sg.TensorsLength())
	}
	var t tflite.Tensor
	if !r.sg.Tensors(&t, int(i)) {
		return nil, fmt.Errorf("convert: %w: tensor %d", errTFLiteCorrupt, i)
	}
	if err := r.vec("tensor shape", t.ShapeLength(), 4); err != nil {
		return nil, err
	}
	return &t, nil
}

func tensorShape(t *tflite.Tensor) []int {
	s := make([]int, t.ShapeLength())
	for i := range s {
		s[i] = int(t.Shape(i))
	}
	return s
}

// constant returns the constant tensor i, dequantized, or nil when it has no data.
func (r *tfReader) constant(i int32) (*tfConst, error) {
	if c, ok := r.consts[i]; ok {
		return c, nil
	}
	t, err := r.tensor(i)
	if err != nil {
		return nil, err
	}
	data, err := r.buffer(t.Buffer())
	if err != nil || len(data) == 0 {
		return nil, err
	}
	c := &tfConst{name: string(t.Name()), shape: tensorShape(t), dtype: t.Type()}
	n, ok := shapeElems(c.shape)
	if !ok {
		return nil, fmt.Errorf("convert: TFLite tensor %q has a bad shape %v", c.name, c.shape)
	}
	size := map[tflite.TensorType]int{tflite.TensorTypeFLOAT32: 4, tflite.TensorTypeFLOAT16: 2, tflite.TensorTypeINT8: 1, tflite.TensorTypeINT32: 4, tflite.TensorTypeINT64: 8}[c.dtype]
	if size == 0 {
		return nil, fmt.Errorf("convert: TFLite constant %q has type %s; edgewatt reads FLOAT32, FLOAT16, INT8, INT32 and INT64 constants", c.name, c.dtype)
	}
	if n > len(data) || len(data) != n*size { // n <= len(data) first: n*size cannot overflow
		return nil, fmt.Errorf("convert: %w: TFLite tensor %q of shape %v and type %s has %d bytes, want %d", errTFLiteCorrupt, c.name, c.shape, c.dtype, len(data), n*size)
	}
	c.f32 = make([]float32, n)
	switch c.dtype {
	case tflite.TensorTypeFLOAT32:
		for k := range c.f32 {
			c.f32[k] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*k:]))
		}
	case tflite.TensorTypeFLOAT16:
		c.raw = data
		for k := range c.f32 {
			c.f32[k] = quant.FromF16(binary.LittleEndian.Uint16(data[2*k:]))
		}
	case tflite.TensorTypeINT32:
		// Axes and shapes, or a full-integer model's bias (with a scale: q * scale).
		var q tflite.QuantizationParameters
		scaled := t.Quantization(&q) != nil && q.ScaleLength() > 0
		if scaled {
			if err := r.quantParams(t, c); err != nil {
				return nil, err
			}
			if len(c.scale) != 1 && (len(c.shape) != 1 || len(c.scale) != c.shape[0]) {
				return nil, fmt.Errorf("convert: TFLite INT32 tensor %q has %d scales for shape %v", c.name, len(c.scale), c.shape)
			}
		}
		for k := range c.f32 {
			v := float64(int32(binary.LittleEndian.Uint32(data[4*k:])))
			if scaled {
				ch := 0
				if len(c.scale) > 1 {
					ch = k
				}
				v = float64(c.scale[ch]) * (v - float64(c.zero[ch]))
			}
			c.f32[k] = float32(v)
		}
	case tflite.TensorTypeINT64:
		for k := range c.f32 {
			c.f32[k] = float32(int64(binary.LittleEndian.Uint64(data[8*k:])))
		}
	case tflite.TensorTypeINT8:
		c.raw = data
		if err := r.quantParams(t, c); err != nil {
			return nil, err
		}
		per := 1
		if len(c.scale) > 1 {
			for _, d := range c.shape[c.qdim+1:] {
				per *= d
			}
		}
		for k := range c.f32 {
			ch := 0
			if len(c.scale) > 1 {
				ch = (k / per) % len(c.scale)
			}
			c.f32[k] = float32(float64(c.scale[ch]) * float64(int64(int8(data[k]))-c.zero[ch]))
		}
	}
	if err := checkFinite("TFLite tensor "+c.name, c.f32); err != nil {
		return nil, err
	}
	r.consts[i] = c
	return c, nil
}

// quantParams reads an INT8 tensor's scale and zero point (per tensor or per channel).
func (r *tfReader) quantParams(t *tflite.Tensor, c *tfConst) error {
	var q tflite.QuantizationParameters
	if t.Quantization(&q) == nil || q.ScaleLength() == 0 {
		return fmt.Errorf("convert: TFLite INT8 tensor %q has no quantization scale", c.name)
	}
	ns := q.ScaleLength()
	if err := r.vec("quantization scales", ns, 4); err != nil {
		return err
	}
	if err := r.vec("quantization zero points", q.ZeroPointLength(), 8); err != nil {
		return err
	}
	if q.ZeroPointLength() != ns && q.ZeroPointLength() != 0 {
		return fmt.Errorf("convert: TFLite tensor %q has %d scales but %d zero points", c.name, ns, q.ZeroPointLength())
	}
	c.qdim = int(q.QuantizedDimension())
	if ns > 1 && (c.qdim < 0 || c.qdim >= len(c.shape) || c.shape[c.qdim] != ns) {
		return fmt.Errorf("convert: TFLite tensor %q of shape %v has %d scales along dimension %d", c.name, c.shape, ns, c.qdim)
	}
	for k := 0; k < ns; k++ {
		s := q.Scale(k)
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("convert: TFLite tensor %q has a quantization scale %v; scales must be positive and finite", c.name, s)
		}
		c.scale = append(c.scale, s)
		z := int64(0)
		if q.ZeroPointLength() > 0 {
			z = q.ZeroPoint(k)
		}
		if z < -128 || z > 127 {
			return fmt.Errorf("convert: TFLite tensor %q has zero point %d outside int8", c.name, z)
		}
		c.zero = append(c.zero, z)
	}
	return nil
}

// opName returns the builtin (or custom) name of operator code i.
func (r *tfReader) opName(i uint32) (tflite.BuiltinOperator, string, error) {
	if int64(i) >= int64(r.model.OperatorCodesLength()) {
		return 0, "", fmt.Errorf("convert: %w: operator code %d of %d", errTFLiteCorrupt, i, r.model.OperatorCodesLength())
	}
	var oc tflite.OperatorCode
	r.model.OperatorCodes(&oc, int(i))
	// TFLite's GetBuiltinCode: the larger of the deprecated int8 field and the int32 one.
	code := max(tflite.BuiltinOperator(oc.DeprecatedBuiltinCode()), oc.BuiltinCode())
	if code == tflite.BuiltinOperatorCUSTOM {
		return code, "CUSTOM " + string(oc.CustomCode()), nil
	}
	return code, code.String(), nil
}

// Kinds of values flowing through the graph.
const (
	vIDs     = iota + 1
	vIDsNeg  // LESS(ids, 0)
	vIDsWrap // ADD(ids, V)
	vEmbedded
	vPooled
	vDense
)

// familyOps says what edgewatt runs, for refusals.
const familyOps = "[CAST] GATHER/EMBEDDING_LOOKUP -> MEAN -> FULLY_CONNECTED... -> [SOFTMAX/LOGISTIC], with DEQUANTIZE/QUANTIZE"

func (r *tfReader) walk() error {
	sg, m := &r.sg, r.m
	if sg.InputsLength() != 1 || sg.OutputsLength() != 1 {
		return fmt.Errorf("convert: %w: the TFLite graph has %d inputs and %d outputs; edgewatt runs one id input and one score output", ErrUnsupportedLayer, sg.InputsLength(), sg.OutputsLength())
	}
	in, err := r.tensor(sg.Inputs(0))
	if err != nil {
		return err
	}
	shape := tensorShape(in)
	if len(shape) != 2 || shape[1] <= 0 || shape[1] > 1<<20 {
		return fmt.Errorf("convert: %w: the TFLite input %q has shape %v; edgewatt runs a [1, maxlen] id input", ErrUnsupportedLayer, in.Name(), shape)
	}
	m.inputType, m.inputLen = in.Type(), shape[1]
	switch m.inputType {
	case tflite.TensorTypeINT32, tflite.TensorTypeFLOAT32, tflite.TensorTypeINT64:
	default:
		return fmt.Errorf("convert: %w: the TFLite input %q is %s; edgewatt runs int32, int64 or float32 token ids", ErrUnsupportedLayer, in.Name(), m.inputType)
	}
	kind := map[int32]int{sg.Inputs(0): vIDs}
	dequant := map[int32]int32{} // DEQUANTIZE output -> constant tensor
	lastDense := -1
	var op tflite.Operator
	for k := 0; k < sg.OperatorsLength(); k++ {
		sg.Operators(&op, k)
		code, name, err := r.opName(op.OpcodeIndex())
		if err != nil {
			return err
		}
		m.ops = append(m.ops, name)
		if err := r.vec("operator inputs", op.InputsLength(), 4); err != nil {
			return err
		}
		if err := r.vec("operator outputs", op.OutputsLength(), 4); err != nil {
			return err
		}
		ins := make([]int32, op.InputsLength())
		for j := range ins {
			ins[j] = op.Inputs(j)
		}
		if op.OutputsLength() != 1 {
			return fmt.Errorf("convert: %w: TFLite operator %d (%s) has %d outputs", ErrUnsupportedLayer, k, name, op.OutputsLength())
		}
		out := op.Outputs(0)
		refuse := func(why string) error {
			return fmt.Errorf("convert: %w: TFLite operator %d (%s) %s; edgewatt runs the average-word-vector family: %s", ErrUnsupportedLayer, k, name, why, familyOps)
		}
		// constIn resolves input j to a constant (directly or through DEQUANTIZE).
		constIn := func(j int) (*tfConst, error) {
			if j >= len(ins) {
				return nil, refuse(fmt.Sprintf("has %d inputs", len(ins)))
			}
			t := ins[j]
			if src, ok := dequant[t]; ok {
				t = src
			}
			c, err := r.constant(t)
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, refuse(fmt.Sprintf("input %d is not a constant", j))
			}
			return c, nil
		}
		kindIn := func(j int) int {
			if j >= len(ins) {
				return 0
			}
			return kind[ins[j]]
		}
		switch code {
		case tflite.BuiltinOperatorCAST:
			if kindIn(0) != vIDs {
				return refuse("casts something other than the token ids")
			}
			kind[out] = vIDs
		case tflite.BuiltinOperatorDEQUANTIZE, tflite.BuiltinOperatorQUANTIZE:
			if len(ins) != 1 {
				return refuse("has other than one input")
			}
			if kd := kindIn(0); kd != 0 {
				m.actQuant = true
				kind[out] = kd // an activation: identity in float
				continue
			}
			c, err := r.constant(ins[0])
			if err != nil {
				return err
			}
			if c == nil {
				return refuse("dequantizes a tensor that is neither a constant nor an activation")
			}
			dequant[out] = ins[0]
		case tflite.BuiltinOperatorLESS:
			c, err := constIn(1)
			if err != nil || kindIn(0) != vIDs || len(c.f32) != 1 || c.f32[0] != 0 {
				return refuse("is not Keras 3's negative-index test LESS(ids, 0)")
			}
			kind[out] = vIDsNeg
		case tflite.BuiltinOperatorADD:
			if kindIn(0) != vIDs {
				return refuse("adds to something other than the token ids (Keras 3's negative-index wrap)")
			}
			if _, err := constIn(1); err != nil {
				return err
			}
			kind[out] = vIDsWrap
		case tflite.BuiltinOperatorSELECT_V2, tflite.BuiltinOperatorSELECT:
			if kindIn(0) != vIDsNeg || kindIn(1) != vIDsWrap || kindIn(2) != vIDs {
				return refuse("is not Keras 3's negative-index wrap SELECT_V2(ids < 0, ids + V, ids)")
			}
			kind[out] = vIDs // ids are never negative
		case tflite.BuiltinOperatorGATHER, tflite.BuiltinOperatorEMBEDDING_LOOKUP:
			tab, ids := 0, 1
			if code == tflite.BuiltinOperatorEMBEDDING_LOOKUP {
				tab, ids = 1, 0
			} else {
				var t flatbuffers.Table
				if op.BuiltinOptions(&t) && op.BuiltinOptionsType() == tflite.BuiltinOptionsGatherOptions {
					var g tflite.GatherOptions
					g.Init(t.Bytes, t.Pos)
					if g.Axis() != 0 || g.BatchDims() != 0 {
						return refuse(fmt.Sprintf("gathers along axis %d (batch_dims %d), not the embedding rows", g.Axis(), g.BatchDims()))
					}
				}
			}
			if m.emb != nil {
				return refuse("is a second embedding lookup")
			}
			if kindIn(ids) != vIDs {
				return refuse("looks up something other than the token ids")
			}
			c, err := constIn(tab)
			if err != nil {
				return err
			}
			if len(c.shape) != 2 || c.shape[0] <= 0 || c.shape[1] <= 0 {
				return refuse(fmt.Sprintf("has an embedding table of shape %v", c.shape))
			}
			m.emb = c
			kind[out] = vEmbedded
		case tflite.BuiltinOperatorMEAN:
			if kindIn(0) != vEmbedded {
				return refuse("averages something other than the embedded sequence")
			}
			ax, err := constIn(1)
			if err != nil {
				return err
			}
			if len(ax.f32) != 1 || (ax.f32[0] != 1 && ax.f32[0] != -2) {
				return refuse(fmt.Sprintf("averages over axes %v, not the sequence (axis 1)", ax.f32))
			}
			var t flatbuffers.Table
			if op.BuiltinOptions(&t) && op.BuiltinOptionsType() == tflite.BuiltinOptionsReducerOptions {
				var ro tflite.ReducerOptions
				ro.Init(t.Bytes, t.Pos)
				if ro.KeepDims() {
					return refuse("keeps the reduced dimension")
				}
			}
			kind[out] = vPooled
		case tflite.BuiltinOperatorFULLY_CONNECTED:
			if kd := kindIn(0); kd != vPooled && kd != vDense {
				return refuse("is not applied to the pooled vector or a previous FULLY_CONNECTED")
			}
			w, err := constIn(1)
			if err != nil {
				return err
			}
			if len(w.shape) != 2 {
				return refuse(fmt.Sprintf("has weights of shape %v", w.shape))
			}
			d := tfDense{w: w, act: "linear"}
			if len(ins) > 2 && ins[2] >= 0 {
				if d.b, err = constIn(2); err != nil {
					return err
				}
			}
			var t flatbuffers.Table
			if op.BuiltinOptions(&t) && op.BuiltinOptionsType() == tflite.BuiltinOptionsFullyConnectedOptions {
				var fo tflite.FullyConnectedOptions
				fo.Init(t.Bytes, t.Pos)
				if fo.WeightsFormat() != tflite.FullyConnectedOptionsWeightsFormatDEFAULT {
					return refuse(fmt.Sprintf("stores its weights as %s", fo.WeightsFormat()))
				}
				switch a := fo.FusedActivationFunction(); a {
				case tflite.ActivationFunctionTypeNONE:
				case tflite.ActivationFunctionTypeRELU:
					d.act = "relu"
				case tflite.ActivationFunctionTypeTANH:
					d.act = "tanh"
				default:
					return refuse(fmt.Sprintf("has the fused activation %s; edgewatt runs NONE, RELU and TANH", a))
				}
			}
			m.dense = append(m.dense, d)
			lastDense = len(m.dense) - 1
			kind[out] = vDense
		case tflite.BuiltinOperatorSOFTMAX, tflite.BuiltinOperatorLOGISTIC, tflite.BuiltinOperatorRELU, tflite.BuiltinOperatorTANH:
			if kindIn(0) != vDense || lastDense < 0 || m.dense[lastDense].act != "linear" {
				return refuse("is not an activation right after a FULLY_CONNECTED without one")
			}
			act := map[tflite.BuiltinOperator]string{tflite.BuiltinOperatorSOFTMAX: "softmax", tflite.BuiltinOperatorLOGISTIC: "sigmoid", tflite.BuiltinOperatorRELU: "relu", tflite.BuiltinOperatorTANH: "tanh"}[code]
			if code == tflite.BuiltinOperatorSOFTMAX {
				var t flatbuffers.Table
				if op.BuiltinOptions(&t) && op.BuiltinOptionsType() == tflite.BuiltinOptionsSoftmaxOptions {
					var so tflite.SoftmaxOptions
					so.Init(t.Bytes, t.Pos)
					if so.Beta() != 1 {
						return refuse(fmt.Sprintf("has beta %v; Keras's softmax is beta 1", so.Beta()))
					}
				}
			}
			m.dense[lastDense].act = act
			kind[out] = vDense
		case tflite.BuiltinOperatorRESHAPE, tflite.BuiltinOperatorSQUEEZE:
			kd := kindIn(0)
			if kd != vDense && kd != vPooled {
				return refuse("reshapes something other than a [1, n] vector")
			}
			t, err := r.tensor(out)
			if err != nil {
				return err
			}
			if s := tensorShape(t); len(s) > 2 || (len(s) == 2 && s[0] != 1) {
				return refuse(fmt.Sprintf("reshapes to %v", s))
			}
			kind[out] = kd
		default:
			return refuse("is outside the family")
		}
	}
	switch {
	case m.emb == nil:
		return fmt.Errorf("convert: %w: the TFLite graph has no embedding lookup (GATHER); edgewatt runs %s", ErrUnsupportedLayer, familyOps)
	case len(m.dense) == 0:
		return fmt.Errorf("convert: %w: the TFLite graph has no FULLY_CONNECTED after the MEAN; edgewatt runs %s", ErrUnsupportedLayer, familyOps)
	case kind[sg.Outputs(0)] != vDense:
		return fmt.Errorf("convert: %w: the TFLite graph's output is not its last FULLY_CONNECTED (or its activation); edgewatt runs %s", ErrUnsupportedLayer, familyOps)
	}
	width := m.emb.shape[1]
	for i, d := range m.dense {
		out, in := d.w.shape[0], d.w.shape[1]
		if in != width {
			return fmt.Errorf("convert: TFLite FULLY_CONNECTED %d has weights %v but its input is %d wide", i, d.w.shape, width)
		}
		if d.b != nil && (len(d.b.shape) != 1 || d.b.shape[0] != out) {
			return fmt.Errorf("convert: TFLite FULLY_CONNECTED %d has bias %v, want [%d]", i, d.b.shape, out)
		}
		width = out
	}
	return nil
}

// opsString lists the operators for the log.
func (m *tfModel) opsString() string { return strings.Join(m.ops, " ") }

// isTFLitePath reports whether the file at path is a TFLite flatbuffer.
func isTFLitePath(path string) bool {
	f, _, err := safeio.Open(path) // a FIFO or device is not opened (it would block)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	return isTFLite(head[:n])
}
