package convert

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/edgewatt/edgewatt/convert/internal/tflite"
	"github.com/edgewatt/edgewatt/convert/internal/tflmeta"
	"github.com/edgewatt/edgewatt/quant"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Synthetic .tflite files written with the flatbuffers Builder and the generated schema
// code, so that the TFLite import is tested without ../shared: every storage the family
// comes in (float32, float16 + DEQUANTIZE, dynamic-range int8, full-integer int8), TFLite
// metadata with an appended zip, and refusals.

type synTensor struct {
	name  string
	shape []int32
	typ   tflite.TensorType
	data  []byte
	scale []float32
	zero  []int64
	qdim  int32
}

type synOp struct {
	code    tflite.BuiltinOperator
	in, out []int32
	act     tflite.ActivationFunctionType // FULLY_CONNECTED
}

func int32Vec(b *flatbuffers.Builder, start func(*flatbuffers.Builder, int) flatbuffers.UOffsetT, v []int32) flatbuffers.UOffsetT {
	start(b, len(v))
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(v[i])
	}
	return b.EndVector(len(v))
}

func offVec(b *flatbuffers.Builder, start func(*flatbuffers.Builder, int) flatbuffers.UOffsetT, v []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	start(b, len(v))
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUOffsetT(v[i])
	}
	return b.EndVector(len(v))
}

// synModel writes a one-subgraph TFLite model.
func synModel(tensors []synTensor, ops []synOp, input, output int32, metadata map[string][]byte) []byte {
	b := flatbuffers.NewBuilder(1024)
	var codes []tflite.BuiltinOperator
	codeIdx := map[tflite.BuiltinOperator]uint32{}
	for _, op := range ops {
		if _, ok := codeIdx[op.code]; !ok {
			codeIdx[op.code] = uint32(len(codes))
			codes = append(codes, op.code)
		}
	}
	// Buffers: 0 is the empty buffer; each constant gets its own; then metadata.
	bufs := []flatbuffers.UOffsetT{}
	addBuf := func(data []byte) uint32 {
		var dv flatbuffers.UOffsetT
		if data != nil {
			dv = b.CreateByteVector(data)
		}
		tflite.BufferStart(b)
		if data != nil {
			tflite.BufferAddData(b, dv)
		}
		bufs = append(bufs, tflite.BufferEnd(b))
		return uint32(len(bufs) - 1)
	}
	addBuf(nil)
	var toffs []flatbuffers.UOffsetT
	for _, t := range tensors {
		bi := uint32(0)
		if t.data != nil {
			bi = addBuf(t.data)
		}
		name := b.CreateString(t.name)
		shape := int32Vec(b, tflite.TensorStartShapeVector, t.shape)
		var q flatbuffers.UOffsetT
		if t.scale != nil {
			tflite.QuantizationParametersStartScaleVector(b, len(t.scale))
			for i := len(t.scale) - 1; i >= 0; i-- {
				b.PrependFloat32(t.scale[i])
			}
			sv := b.EndVector(len(t.scale))
			tflite.QuantizationParametersStartZeroPointVector(b, len(t.zero))
			for i := len(t.zero) - 1; i >= 0; i-- {
				b.PrependInt64(t.zero[i])
			}
			zv := b.EndVector(len(t.zero))
			tflite.QuantizationParametersStart(b)
			tflite.QuantizationParametersAddScale(b, sv)
			tflite.QuantizationParametersAddZeroPoint(b, zv)
			tflite.QuantizationParametersAddQuantizedDimension(b, t.qdim)
			q = tflite.QuantizationParametersEnd(b)
		}
		tflite.TensorStart(b)
		tflite.TensorAddShape(b, shape)
		tflite.TensorAddType(b, t.typ)
		tflite.TensorAddBuffer(b, bi)
		tflite.TensorAddName(b, name)
		if q != 0 {
			tflite.TensorAddQuantization(b, q)
		}
		toffs = append(toffs, tflite.TensorEnd(b))
	}
	var ooffs []flatbuffers.UOffsetT
	for _, op := range ops {
		in := int32Vec(b, tflite.OperatorStartInputsVector, op.in)
		out := int32Vec(b, tflite.OperatorStartOutputsVector, op.out)
		var opts flatbuffers.UOffsetT
		var optType tflite.BuiltinOptions
		switch op.code {
		case tflite.BuiltinOperatorFULLY_CONNECTED:
			tflite.FullyConnectedOptionsStart(b)
			tflite.FullyConnectedOptionsAddFusedActivationFunction(b, op.act)
			opts, optType = tflite.FullyConnectedOptionsEnd(b), tflite.BuiltinOptionsFullyConnectedOptions
		case tflite.BuiltinOperatorMEAN:
			tflite.ReducerOptionsStart(b)
			opts, optType = tflite.ReducerOptionsEnd(b), tflite.BuiltinOptionsReducerOptions
		}
		tflite.OperatorStart(b)
		tflite.OperatorAddOpcodeIndex(b, codeIdx[op.code])
		tflite.OperatorAddInputs(b, in)
		tflite.OperatorAddOutputs(b, out)
		if opts != 0 {
			tflite.OperatorAddBuiltinOptionsType(b, optType)
			tflite.OperatorAddBuiltinOptions(b, opts)
		}
		ooffs = append(ooffs, tflite.OperatorEnd(b))
	}
	tv := offVec(b, tflite.SubGraphStartTensorsVector, toffs)
	ov := offVec(b, tflite.SubGraphStartOperatorsVector, ooffs)
	iv := int32Vec(b, tflite.SubGraphStartInputsVector, []int32{input})
	outv := int32Vec(b, tflite.SubGraphStartOutputsVector, []int32{output})
	tflite.SubGraphStart(b)
	tflite.SubGraphAddTensors(b, tv)
	tflite.SubGraphAddOperators(b, ov)
	tflite.SubGraphAddInputs(b, iv)
	tflite.SubGraphAddOutputs(b, outv)
	sg := tflite.SubGraphEnd(b)
	var coffs []flatbuffers.UOffsetT
	for _, c := range codes {
		tflite.OperatorCodeStart(b)
		tflite.OperatorCodeAddDeprecatedBuiltinCode(b, int8(min(c, 127)))
		tflite.OperatorCodeAddBuiltinCode(b, c)
		tflite.OperatorCodeAddVersion(b, 1)
		coffs = append(coffs, tflite.OperatorCodeEnd(b))
	}
	var moffs []flatbuffers.UOffsetT
	for name, data := range metadata {
		bi := addBuf(data)
		n := b.CreateString(name)
		tflite.MetadataStart(b)
		tflite.MetadataAddName(b, n)
		tflite.MetadataAddBuffer(b, bi)
		moffs = append(moffs, tflite.MetadataEnd(b))
	}
	cv := offVec(b, tflite.ModelStartOperatorCodesVector, coffs)
	sv := offVec(b, tflite.ModelStartSubgraphsVector, []flatbuffers.UOffsetT{sg})
	bv := offVec(b, tflite.ModelStartBuffersVector, bufs)
	mv := offVec(b, tflite.ModelStartMetadataVector, moffs)
	desc := b.CreateString("edgewatt synthetic")
	tflite.ModelStart(b)
	tflite.ModelAddVersion(b, 3)
	tflite.ModelAddOperatorCodes(b, cv)
	tflite.ModelAddSubgraphs(b, sv)
	tflite.ModelAddBuffers(b, bv)
	tflite.ModelAddMetadata(b, mv)
	tflite.ModelAddDescription(b, desc)
	b.FinishWithFileIdentifier(tflite.ModelEnd(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// synMetadata writes TFLite Metadata naming vocab.txt (regex tokenizer) and labels.txt.
func synMetadata(regex string) []byte {
	b := flatbuffers.NewBuilder(256)
	file := func(name string, typ tflmeta.AssociatedFileType) flatbuffers.UOffsetT {
		n := b.CreateString(name)
		tflmeta.AssociatedFileStart(b)
		tflmeta.AssociatedFileAddName(b, n)
		tflmeta.AssociatedFileAddType(b, typ)
		return tflmeta.AssociatedFileEnd(b)
	}
	vocab := file("vocab.txt", tflmeta.AssociatedFileTypeVOCABULARY)
	vf := offVec(b, tflmeta.RegexTokenizerOptionsStartVocabFileVector, []flatbuffers.UOffsetT{vocab})
	re := b.CreateString(regex)
	tflmeta.RegexTokenizerOptionsStart(b)
	tflmeta.RegexTokenizerOptionsAddDelimRegexPattern(b, re)
	tflmeta.RegexTokenizerOptionsAddVocabFile(b, vf)
	ro := tflmeta.RegexTokenizerOptionsEnd(b)
	tflmeta.ProcessUnitStart(b)
	tflmeta.ProcessUnitAddOptionsType(b, tflmeta.ProcessUnitOptionsRegexTokenizerOptions)
	tflmeta.ProcessUnitAddOptions(b, ro)
	pu := tflmeta.ProcessUnitEnd(b)
	puv := offVec(b, tflmeta.TensorMetadataStartProcessUnitsVector, []flatbuffers.UOffsetT{pu})
	tflmeta.TensorMetadataStart(b)
	tflmeta.TensorMetadataAddProcessUnits(b, puv)
	inT := tflmeta.TensorMetadataEnd(b)
	labels := file("labels.txt", tflmeta.AssociatedFileTypeTENSOR_AXIS_LABELS)
	lv := offVec(b, tflmeta.TensorMetadataStartAssociatedFilesVector, []flatbuffers.UOffsetT{labels})
	tflmeta.TensorMetadataStart(b)
	tflmeta.TensorMetadataAddAssociatedFiles(b, lv)
	outT := tflmeta.TensorMetadataEnd(b)
	iv := offVec(b, tflmeta.SubGraphMetadataStartInputTensorMetadataVector, []flatbuffers.UOffsetT{inT})
	ov := offVec(b, tflmeta.SubGraphMetadataStartOutputTensorMetadataVector, []flatbuffers.UOffsetT{outT})
	tflmeta.SubGraphMetadataStart(b)
	tflmeta.SubGraphMetadataAddInputTensorMetadata(b, iv)
	tflmeta.SubGraphMetadataAddOutputTensorMetadata(b, ov)
	sg := tflmeta.SubGraphMetadataEnd(b)
	sgv := offVec(b, tflmeta.ModelMetadataStartSubgraphMetadataVector, []flatbuffers.UOffsetT{sg})
	name := b.CreateString("synthetic text classifier")
	tflmeta.ModelMetadataStart(b)
	tflmeta.ModelMetadataAddName(b, name)
	tflmeta.ModelMetadataAddSubgraphMetadata(b, sgv)
	b.FinishWithFileIdentifier(tflmeta.ModelMetadataEnd(b), []byte("M001"))
	return b.FinishedBytes()
}

func appendZip(model []byte, files map[string]string) []byte {
	var z bytes.Buffer
	w := zip.NewWriter(&z)
	for _, name := range []string{"labels.txt", "vocab.txt"} {
		f, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		f.Write([]byte(files[name]))
	}
	w.Close()
	return append(append([]byte{}, model...), z.Bytes()...)
}

// The synthetic network: V=12 ids, D=4, maxlen 6, FC 4->3 relu, FC 3->2 softmax.
const synV, synD, synL = 12, 4, 6

var synVocab = "<PAD> 0\n<START> 1\n<UNKNOWN> 2\nthe 3\ncat 4\nsat 5\non 6\nmat 7\ndog 8\nate 9\nmy 10\nhomework 11\n"

func synWeights() (emb, w1, b1, w2, b2 []float32) {
	f := func(n int, seed float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(math.Sin(seed+float64(i)*0.7)) * 0.9
		}
		return v
	}
	return f(synV*synD, 1), f(3*synD, 2), f(3, 3), f(2*3, 4), f(2, 5)
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// int8Sym quantizes v [rows, cols] symmetrically, one scale per row (perRow) or one.
func int8Sym(v []float32, rows int, perRow bool) ([]byte, []float32) {
	cols := len(v) / rows
	n := 1
	if perRow {
		n = rows
	}
	scales := make([]float32, n)
	for i, x := range v {
		s := &scales[0]
		if perRow {
			s = &scales[i/cols]
		}
		*s = max(*s, float32(math.Abs(float64(x)))/127)
	}
	q := make([]byte, len(v))
	for i, x := range v {
		s := scales[0]
		if perRow {
			s = scales[i/cols]
		}
		q[i] = byte(int8(math.Round(float64(x / s))))
	}
	return q, scales
}

// synFamily returns the synthetic model with weights stored as storage says ("f32", "f16",
// "int8" dynamic range, "full-int8") and the float weights it dequantizes to.
func synFamily(storage string, meta bool) []byte {
	emb, w1, b1, w2, b2 := synWeights()
	ids := synTensor{name: "input_ids", shape: []int32{1, synL}, typ: tflite.TensorTypeINT32}
	axis := synTensor{name: "mean/axis", shape: []int32{1}, typ: tflite.TensorTypeINT32, data: []byte{1, 0, 0, 0}}
	act := func(name string, shape ...int32) synTensor {
		return synTensor{name: name, shape: shape, typ: tflite.TensorTypeFLOAT32}
	}
	var tensors []synTensor
	var ops []synOp
	add := func(t synTensor) int32 { tensors = append(tensors, t); return int32(len(tensors) - 1) }
	in := add(ids)
	ax := add(axis)
	constW := func(name string, v []float32, rows int, shape ...int32) int32 {
		switch storage {
		case "f16":
			bits := make([]uint16, len(v))
			for i, x := range v {
				bits[i] = quant.ToF16(x)
			}
			h := quant.PutF16(bits)
			c := add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeFLOAT16, data: h})
			out := add(act(name+"_dequantize", shape...))
			ops = append(ops, synOp{code: tflite.BuiltinOperatorDEQUANTIZE, in: []int32{c}, out: []int32{out}})
			return out
		case "int8-asym", "int8-rowemb", "int8-mixed":
			if len(shape) == 1 || (storage == "int8-mixed" && name == "dense_1/kernel") {
				return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(v)})
			}
			perRow := rows != synV || storage == "int8-rowemb"
			q, sc := int8Sym(v, rows, perRow)
			z := make([]int64, len(sc))
			if storage == "int8-asym" && rows != synV {
				for i := range z {
					z[i] = 3
				}
				for i := range q {
					q[i] = byte(max(-128, min(127, int(int8(q[i]))+3)))
				}
			}
			return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeINT8, data: q, scale: sc, zero: z})
		case "int8", "full-int8":
			if len(shape) == 1 { // biases stay float (dynamic range) / int32 (full integer)
				if storage == "full-int8" {
					q := make([]byte, 4*len(v))
					for i, x := range v {
						binary.LittleEndian.PutUint32(q[4*i:], uint32(int32(math.Round(float64(x/1e-4)))))
					}
					return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeINT32, data: q, scale: []float32{1e-4}, zero: []int64{0}})
				}
				return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(v)})
			}
			q, s := int8Sym(v, rows, rows != synV)
			z := make([]int64, len(s))
			return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeINT8, data: q, scale: s, zero: z})
		}
		return add(synTensor{name: name, shape: shape, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(v)})
	}
	table := constW("embedding", emb, synV, synV, synD)
	g := add(act("gathered", 1, synL, synD))
	ops = append(ops, synOp{code: tflite.BuiltinOperatorGATHER, in: []int32{table, in}, out: []int32{g}})
	if strings.HasPrefix(storage, "int8") { // the gathered rows are int8: DEQUANTIZE them, as TF does
		gd := add(act("gathered_dequantize", 1, synL, synD))
		ops = append(ops, synOp{code: tflite.BuiltinOperatorDEQUANTIZE, in: []int32{g}, out: []int32{gd}})
		g = gd
	}
	mean := add(act("mean", 1, synD))
	ops = append(ops, synOp{code: tflite.BuiltinOperatorMEAN, in: []int32{g, ax}, out: []int32{mean}})
	wt1, bt1 := constW("dense/kernel", w1, 3, 3, synD), constW("dense/bias", b1, 3, 3)
	h := add(act("dense", 1, 3))
	ops = append(ops, synOp{code: tflite.BuiltinOperatorFULLY_CONNECTED, in: []int32{mean, wt1, bt1}, out: []int32{h}, act: tflite.ActivationFunctionTypeRELU})
	wt2, bt2 := constW("dense_1/kernel", w2, 2, 2, 3), constW("dense_1/bias", b2, 2, 2)
	logits := add(act("dense_1", 1, 2))
	ops = append(ops, synOp{code: tflite.BuiltinOperatorFULLY_CONNECTED, in: []int32{h, wt2, bt2}, out: []int32{logits}})
	probs := add(act("softmax", 1, 2))
	ops = append(ops, synOp{code: tflite.BuiltinOperatorSOFTMAX, in: []int32{logits}, out: []int32{probs}})
	out := probs
	if storage == "full-int8" {
		deq := add(act("output", 1, 2))
		ops = append(ops, synOp{code: tflite.BuiltinOperatorDEQUANTIZE, in: []int32{probs}, out: []int32{deq}})
		out = deq
	}
	var md map[string][]byte
	if meta {
		md = map[string][]byte{"TFLITE_METADATA": synMetadata(modelMakerDelim), "min_runtime_version": []byte("1.6.0")}
	}
	b := synModel(tensors, ops, in, out, md)
	if meta {
		b = appendZip(b, map[string]string{"vocab.txt": synVocab, "labels.txt": "negative\npositive"})
	}
	return b
}

// synForward is the float64 forward pass of the dequantized synthetic model read back from
// the converted file's own float32 tensors is not used: this computes from the .tflite's
// dequantized constants, as gen_tflite_refs.py does for the real files.
func synForward(t *testing.T, b []byte, ids []int32) []float64 {
	m, err := parseTFLite(b)
	if err != nil {
		t.Fatal(err)
	}
	D := m.emb.shape[1]
	x := make([]float64, D)
	for _, id := range ids {
		for k := 0; k < D; k++ {
			x[k] += float64(m.emb.f32[int(id)*D+k]) / float64(len(ids))
		}
	}
	for _, d := range m.dense {
		out, in := d.w.shape[0], d.w.shape[1]
		y := make([]float64, out)
		for o := range y {
			if d.b != nil {
				y[o] = float64(d.b.f32[o])
			}
			for k := 0; k < in; k++ {
				y[o] += float64(d.w.f32[o*in+k]) * x[k]
			}
		}
		activate(d.act, y)
		x = y
	}
	return x
}

func writeTemp(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTFLiteSynthetic(t *testing.T) {
	for _, c := range []struct {
		storage string
		want    modelfile.Quant
	}{
		{"f32", modelfile.Quant{Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32}},
		{"f16", modelfile.Quant{Embedding: modelfile.SchemeF16, Dense: modelfile.SchemeF16}},
		{"int8", modelfile.Quant{Embedding: modelfile.SchemeInt8Tensor, Dense: modelfile.SchemeInt8Chan}},
		{"full-int8", modelfile.Quant{Embedding: modelfile.SchemeInt8Tensor, Dense: modelfile.SchemeInt8Chan}},
		// Requantized: dense zero points, per-row embedding scales, int8 next to float dense.
		{"int8-asym", modelfile.Quant{Embedding: modelfile.SchemeInt8Tensor, Dense: modelfile.SchemeInt8Chan}},
		{"int8-rowemb", modelfile.Quant{Embedding: modelfile.SchemeInt8Row, Dense: modelfile.SchemeInt8Chan}},
		{"int8-mixed", modelfile.Quant{Embedding: modelfile.SchemeInt8Tensor, Dense: modelfile.SchemeInt8Chan}},
	} {
		t.Run(c.storage, func(t *testing.T) {
			b := synFamily(c.storage, true)
			path := writeTemp(t, "m.tflite", b)
			var log strings.Builder
			f, err := Convert(Options{Model: path, Log: &log}, filepath.Join(t.TempDir(), "m.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			requant := c.storage == "int8-asym" || c.storage == "int8-rowemb" || c.storage == "int8-mixed"
			if got := strings.Contains(log.String(), "requantized"); got != requant {
				t.Errorf("log says requantized %v, want %v:\n%s", got, requant, log.String())
			}
			for _, line := range strings.Split(log.String(), "\n") {
				if strings.HasPrefix(line, "requantized") {
					t.Log(line)
				}
			}
			if f.Meta.Quant != c.want {
				t.Errorf("stored %+v, want %+v\n%s", f.Meta.Quant, c.want, log.String())
			}
			if strings.Join(f.Meta.Labels, ",") != "negative,positive" || f.Meta.Tokenizer.Mode != modelfile.ModeModelMaker || f.Meta.Tokenizer.StartID != 1 || f.Meta.Tokenizer.OOVID != 2 || f.Meta.Preprocess.MaxLen != synL {
				t.Errorf("labels %v tokenizer %+v preprocess %+v", f.Meta.Labels, f.Meta.Tokenizer, f.Meta.Preprocess)
			}
			m, err := runtime.New(f)
			if err != nil {
				t.Fatal(err)
			}
			p := m.NewPredictor()
			for _, text := range []string{"the cat sat", "The dog ate my homework!", "", "zebra mat mat mat mat mat mat mat"} {
				got := p.PredictText(text).Scores
				ids := p.PaddedIDs(p.Tokens())
				want := synForward(t, b, ids)
				tol := 1e-6
				if strings.Contains(log.String(), "requantized") {
					tol = 0.02 // int8 requantization of a tiny model: the report gives the weight error
				}
				for k := range want {
					if d := math.Abs(float64(got[k]) - want[k]); d > tol {
						t.Errorf("%q (ids %v): score %d = %v, the dequantized model gives %v", text, ids, k, got[k], want[k])
					}
				}
			}
		})
	}
}

// Bad and foreign .tflite files are refused with a message naming the problem, and no
// output file is written.
func TestTFLiteRefusals(t *testing.T) {
	good := synFamily("f32", true)
	lstm := func() []byte {
		emb, _, _, _, _ := synWeights()
		ts := []synTensor{
			{name: "ids", shape: []int32{1, synL}, typ: tflite.TensorTypeINT32},
			{name: "emb", shape: []int32{synV, synD}, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(emb)},
			{name: "g", shape: []int32{1, synL, synD}, typ: tflite.TensorTypeFLOAT32},
			{name: "lstm", shape: []int32{1, synL, synD}, typ: tflite.TensorTypeFLOAT32},
		}
		ops := []synOp{{code: tflite.BuiltinOperatorGATHER, in: []int32{1, 0}, out: []int32{2}},
			{code: tflite.BuiltinOperatorUNIDIRECTIONAL_SEQUENCE_LSTM, in: []int32{2}, out: []int32{3}}}
		return synModel(ts, ops, 0, 3, nil)
	}()
	for name, c := range map[string]struct {
		data []byte
		opts Options
		msg  string
	}{
		"lstm":      {lstm, Options{Tokenizer: td("vocab.txt")}, "UNIDIRECTIONAL_SEQUENCE_LSTM"},
		"truncated": {good[:len(good)/3], Options{}, "TFL"},
		"no vocab":  {synFamily("f32", false), Options{}, "no TFLite metadata naming a vocabulary"},
		"empty":     {synModel(nil, nil, 0, 0, nil), Options{}, "tensor index"},
	} {
		dir := t.TempDir()
		in := writeTemp(t, "m.tflite", c.data)
		out := filepath.Join(dir, "out.safetensors")
		c.opts.Model = in
		_, err := Convert(c.opts, out)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not say %q", name, err, c.msg)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%s: refused conversion wrote %s", name, out)
		}
		if name == "lstm" && !errors.Is(err, ErrUnsupportedLayer) {
			t.Errorf("lstm: %v does not wrap ErrUnsupportedLayer", err)
		}
	}
}

// Every prefix of a real-shaped model is refused (or read) without panicking.
func TestTFLiteTruncations(t *testing.T) {
	b := synFamily("int8", true)
	for n := 0; n < len(b); n += 7 {
		m, err := parseTFLite(b[:n])
		if err == nil && m == nil {
			t.Fatalf("prefix %d: no model and no error", n)
		}
	}
}

func FuzzParseTFLite(f *testing.F) {
	for _, s := range []string{"f32", "f16", "int8", "full-int8"} {
		f.Add(synFamily(s, false))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := parseTFLite(b); err == nil {
			// What the reader accepts is consistent: shapes match the data and chain.
			n, ok := shapeElems(m.emb.shape)
			if !ok || n != len(m.emb.f32) || len(m.dense) == 0 {
				t.Fatalf("embedding %v with %d values, %d dense", m.emb.shape, len(m.emb.f32), len(m.dense))
			}
			for _, d := range m.dense {
				if n, ok := shapeElems(d.w.shape); !ok || n != len(d.w.f32) {
					t.Fatalf("dense %v with %d values", d.w.shape, len(d.w.f32))
				}
			}
		}
	})
}

func FuzzTFLiteMetadata(f *testing.F) {
	f.Add(synMetadata(modelMakerDelim))
	f.Add(synMetadata(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		if md, err := parseTFLiteMetadata(b); err == nil && md == nil {
			t.Fatal("nil metadata without an error")
		}
	})
}

func FuzzTFLiteZip(f *testing.F) {
	f.Add(synFamily("f16", true))
	f.Add(appendZip(nil, map[string]string{"vocab.txt": synVocab, "labels.txt": "a\nb"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := tfliteZip(b)
		if err != nil {
			return
		}
		if len(files) > maxTFLiteZipMembers {
			t.Fatalf("%d members", len(files))
		}
		for name, data := range files {
			if len(data) > maxTFLiteZipMember {
				t.Fatalf("%s: %d bytes", name, len(data))
			}
		}
	})
}

// EMBEDDING_LOOKUP (ids first), a FULLY_CONNECTED without bias (input -1) and LOGISTIC: a
// one-unit sigmoid model, converted with --tokenizer (no metadata).
func TestTFLiteEmbeddingLookupSigmoid(t *testing.T) {
	emb, w1, _, _, _ := synWeights()
	ts := []synTensor{
		{name: "ids", shape: []int32{1, synL}, typ: tflite.TensorTypeFLOAT32},
		{name: "ids_int", shape: []int32{1, synL}, typ: tflite.TensorTypeINT32},
		{name: "table", shape: []int32{synV, synD}, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(emb)},
		{name: "looked_up", shape: []int32{1, synL, synD}, typ: tflite.TensorTypeFLOAT32},
		{name: "axis", shape: []int32{}, typ: tflite.TensorTypeINT32, data: []byte{1, 0, 0, 0}},
		{name: "mean", shape: []int32{1, synD}, typ: tflite.TensorTypeFLOAT32},
		{name: "kernel", shape: []int32{1, synD}, typ: tflite.TensorTypeFLOAT32, data: f32Bytes(w1[:synD])},
		{name: "logit", shape: []int32{1, 1}, typ: tflite.TensorTypeFLOAT32},
		{name: "prob", shape: []int32{1, 1}, typ: tflite.TensorTypeFLOAT32},
	}
	ops := []synOp{
		{code: tflite.BuiltinOperatorCAST, in: []int32{0}, out: []int32{1}},
		{code: tflite.BuiltinOperatorEMBEDDING_LOOKUP, in: []int32{1, 2}, out: []int32{3}},
		{code: tflite.BuiltinOperatorMEAN, in: []int32{3, 4}, out: []int32{5}},
		{code: tflite.BuiltinOperatorFULLY_CONNECTED, in: []int32{5, 6, -1}, out: []int32{7}},
		{code: tflite.BuiltinOperatorLOGISTIC, in: []int32{7}, out: []int32{8}},
	}
	b := synModel(ts, ops, 0, 8, nil)
	vocab := writeTemp(t, "vocab.txt", []byte(synVocab))
	f, err := Build(Options{Model: writeTemp(t, "m.tflite", b), Tokenizer: vocab})
	if err != nil {
		t.Fatal(err)
	}
	a := f.Meta.Arch
	if len(a.Dense) != 1 || a.Dense[0].Activation != "sigmoid" || a.Dense[0].Out != 1 || strings.Join(f.Meta.Labels, ",") != "0,1" {
		t.Fatalf("arch %+v labels %v", a, f.Meta.Labels)
	}
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	got := float64(p.PredictText("the cat sat on the mat").Scores[0])
	want := synForward(t, b, p.PaddedIDs(p.Tokens()))[0]
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("score %v, the model gives %v", got, want)
	}
}

// Vocab words are separated from their ids by ASCII whitespace only: U+0085 and U+00A0
// are words (the TFLite IMDB example's vocabulary has U+0085).
func TestReadVocabUnicodeSpaceWords(t *testing.T) {
	tok, err := ReadVocab([]byte("<PAD> 0\n<START> 1\n<UNKNOWN> 2\n\u0085 3\n\u00a0 4\nok\t5\n"), "modelmaker")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Index[3] != "\u0085" || tok.Index[4] != "\u00a0" || tok.Index[5] != "ok" {
		t.Errorf("index %v", tok.Index)
	}
}
