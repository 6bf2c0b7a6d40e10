package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/edgewatt/edgewatt/quant"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// DefaultScheme is what an empty QuantOptions.Scheme means: f32, the model exactly as Keras
// computes it. Quantizing changes some decisions (int8: 0 to 4 of 6709 held-out headlines on
// the real sarcasm models), so it is asked for with --quant int8 (3.6x smaller tensors) or
// --quant f16 (2x, near-lossless), and then measured and reported on every conversion.
const DefaultScheme = "f32"

// ErrAccuracyDrop is wrapped by the error Quantize returns when the quantized model's accuracy
// on the --eval rows is more than MaxDrop points below float32's.
var ErrAccuracyDrop = errors.New("quantized accuracy dropped more than --max-drop")

// QuantOptions selects how a converted float32 model is stored and how the result is checked.
type QuantOptions struct {
	Scheme             string  // "f32", "f16" or "int8" ("" means the default)
	EmbeddingPerTensor bool    // int8: one scale for the whole embedding instead of one per row
	CalibFile          string  // texts (one per line, or the text column of a CSV) for activation ranges
	Percentile         float64 // calibration range percentile (0 = min/max)
	EvalFile           string  // labelled rows (CSV label,text) for the accuracy report
	MaxDrop            float64 // fail when accuracy drops by more than this many points (<0: no limit)

	// CalibTexts and EvalRows may be given instead of the files (library callers, tests).
	CalibTexts []string
	EvalRows   []EvalRow
	// SampleSeqs is how many random id sequences measure the per-layer error when there are no
	// calibration texts (0: 2000).
	SampleSeqs int
}

// schemes maps --quant to the embedding and dense schemes.
func (o *QuantOptions) schemes() (emb, dense *quant.Scheme, err error) {
	s := o.Scheme
	if s == "" {
		s = DefaultScheme
	}
	if o.EmbeddingPerTensor && s != "int8" {
		return nil, nil, fmt.Errorf("convert: --emb-per-tensor applies to --quant int8, not %q", s)
	}
	if s == "f32" && (o.CalibFile != "" || o.CalibTexts != nil || o.Percentile != 0) {
		return nil, nil, errors.New("convert: --calib and --percentile set int8 activation ranges, and --quant f32 stores the weights as they are; add --quant int8 to quantize (--eval alone measures the float32 model)")
	}
	switch s {
	case "f32":
		return quant.F32, quant.F32, nil
	case "f16":
		return quant.F16, quant.F16, nil
	case "int8":
		if o.EmbeddingPerTensor {
			return quant.Int8Tensor, quant.Int8Channel, nil
		}
		return quant.Int8Row, quant.Int8Channel, nil
	}
	return nil, nil, fmt.Errorf("convert: --quant %q is not a scheme; use f32, f16 or int8 (default %s)", s, DefaultScheme)
}

// Quantize returns f32 stored with opts.Scheme. For f16 and int8 it also measures the cost:
// per-tensor and per-layer error (SQNR) always, calibration ranges and saturation with
// --calib, and with --eval the float32 versus quantized accuracy, decision agreement and score
// differences, computed by the runtime that will run the model. The report goes to
// Meta.Report and, readably, to log. When accuracy drops by more than opts.MaxDrop points it
// returns an error wrapping ErrAccuracyDrop (and no model, so no file is written).
func Quantize(f32 *modelfile.File, opts QuantOptions, log io.Writer) (*modelfile.File, error) {
	if log == nil {
		log = io.Discard
	}
	embS, denseS, err := opts.schemes()
	if err != nil {
		return nil, err
	}
	if q := f32.Meta.Quant; q.Embedding != modelfile.SchemeF32 || q.Dense != modelfile.SchemeF32 {
		return nil, fmt.Errorf("convert: quantize needs a float32 model, this one is %s/%s", q.Embedding, q.Dense)
	}
	if opts.Percentile != 0 && (opts.Percentile < 50 || opts.Percentile > 100) {
		return nil, fmt.Errorf("convert: --percentile %v must be in [50, 100] (e.g. 99.99), or 0 for min/max", opts.Percentile)
	}
	if opts.MaxDrop > 0 && opts.EvalFile == "" && opts.EvalRows == nil {
		return nil, fmt.Errorf("convert: --max-drop needs --eval FILE (labelled rows to measure the accuracy on)")
	}
	if embS == quant.F32 {
		return evalF32(f32, opts, log)
	}
	// Read the inputs first: a bad file fails before any work.
	calib := opts.CalibTexts
	if opts.CalibFile != "" {
		if calib, err = ReadCalibFile(opts.CalibFile); err != nil {
			return nil, err
		}
	}
	evalRows := opts.EvalRows
	if opts.EvalFile != "" {
		if evalRows, err = ReadEvalFile(opts.EvalFile, f32.Meta.Labels); err != nil {
			return nil, err
		}
	}
	// Both models go through the encoder and the verifying reader, so that what is measured
	// is exactly what will be written.
	fref, err := roundTrip(f32)
	if err != nil {
		return nil, fmt.Errorf("convert: float32 model: %w", err)
	}
	q, qi, err := quantizeFile(fref, embS, denseS)
	if err != nil {
		return nil, err
	}
	if q, err = roundTrip(q); err != nil {
		return nil, fmt.Errorf("convert: quantized model: %w", err)
	}
	rep, err := measure(fref, q, qi, calib, opts, evalRows)
	if err != nil {
		return nil, err
	}
	q.Meta.Report = rep.JSON()
	rep.Print(log)
	if rep.Eval != nil && opts.MaxDrop >= 0 && rep.Eval.DropPoints > opts.MaxDrop {
		return nil, fmt.Errorf("convert: %w: accuracy %.2f%% -> %.2f%% on %d rows of %s is a drop of %.2f points, more than --max-drop %g; no file written (try --quant f16, or calibrate with more representative texts)",
			ErrAccuracyDrop, 100*rep.Eval.AccF32, 100*rep.Eval.AccQuant, rep.Eval.Rows, rep.Eval.Source, rep.Eval.DropPoints, opts.MaxDrop)
	}
	return q, nil
}

// evalF32 measures the float32 model's accuracy on the --eval rows, when there are any, and
// stores it as the report's "eval" section (accuracy_float32 only: nothing is quantized).
func evalF32(f32 *modelfile.File, opts QuantOptions, log io.Writer) (*modelfile.File, error) {
	rows := opts.EvalRows
	if opts.EvalFile != "" {
		var err error
		if rows, err = ReadEvalFile(opts.EvalFile, f32.Meta.Labels); err != nil {
			return nil, err
		}
	}
	if rows == nil {
		return f32, nil
	}
	ref, err := roundTrip(f32)
	if err != nil {
		return nil, fmt.Errorf("convert: float32 model: %w", err)
	}
	m, err := runtime.New(ref)
	if err != nil {
		return nil, fmt.Errorf("convert: float32 model: %w", err)
	}
	p := m.NewPredictor()
	ok := 0
	for _, r := range rows {
		if p.PredictText(r.Text).Label == r.Label {
			ok++
		}
	}
	src := opts.EvalFile
	if src == "" {
		src = "eval rows"
	}
	acc := float64(ok) / float64(len(rows))
	out := *f32
	out.Meta.Report = modelfile.Report{"eval": map[string]any{"file": src, "rows": len(rows), "accuracy_float32": round(acc, 6)}}
	fmt.Fprintf(log, "accuracy on %d rows of %s: float32 %.2f%% (%d correct; nothing quantized)\n", len(rows), src, 100*acc, ok)
	return &out, nil
}

// roundTrip encodes f and parses it back with the verifying reader.
func roundTrip(f *modelfile.File) (*modelfile.File, error) {
	var buf bytes.Buffer
	if err := modelfile.Encode(&buf, f); err != nil {
		return nil, err
	}
	return modelfile.Parse(buf.Bytes())
}

// weightStat is the quantization error of one stored tensor.
type weightStat struct {
	Tensor    string
	Scheme    string
	Stats     quant.Stats
	Bytes     int // weights + scales as stored
	F32Bytes  int
	ZeroRows  int
	Underflow int
}

// quantInfo is what quantizeFile did.
type quantInfo struct {
	weights []weightStat
	// shift is the padding row folded out of the embedding (nil when not folded): the stored
	// rows are e_v - shift and dense.0's bias absorbed W0 * shift.
	shift []float32
}

// quantizeFile stores f's embedding with embS and its dense kernels with denseS.
//
// Padding-row folding (int8 embeddings, mask_zero false): GlobalAveragePooling1D averages
// all maxlen positions, and on short texts most of them are padding (id 0): ~90% on the
// sarcasm headlines. The quantization error of row 0 is then not averaged away but added,
// almost whole, to every input's pooled vector, and it alone flipped 40 of 6709 held-out
// decisions of the vocab-1000 sarcasm model. So before quantizing, row 0 is subtracted from
// every row, using the identity (n positions in all)
//
//	(1/n) sum_i e[id_i] = e[0] + (1/n) sum_i (e[id_i] - e[0])
//
// and W0 e[0] is added to dense.0's float32 bias. Row 0 becomes exactly zero (stored exactly)
// and the model computes the same function; the runtime needs nothing new. The same holds for
// GlobalMaxPooling1D (max_i(e_i - r) = max_i e_i - r, elementwise) and Flatten (dense.0 sees
// every position's row minus r, so sum_p W0[:, pD:(p+1)D] r goes into the bias).
func quantizeFile(f *modelfile.File, embS, denseS *quant.Scheme) (*modelfile.File, *quantInfo, error) {
	out := &modelfile.File{Meta: f.Meta}
	out.Meta.Quant = modelfile.Quant{Embedding: embS.Name, Dense: denseS.Name}
	out.Meta.Report = nil
	a := f.Meta.Arch
	qi := &quantInfo{}
	replaced := map[string][]byte{}
	add := func(name string, s *quant.Scheme, rows, cols int, scaleName string, shift []float32) error {
		t := f.Tensor(name)
		if t == nil || t.DType != modelfile.F32 {
			return fmt.Errorf("convert: quantize: %s missing or not F32", name)
		}
		w := quant.GetF32(t.Data)
		if err := quant.CheckFinite(name, w); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		src := w
		if shift != nil {
			src = make([]float32, len(w))
			for i := range w {
				src[i] = w[i] - shift[i%cols]
			}
		}
		qt, err := s.Quantize(src, rows, cols)
		if err != nil {
			return fmt.Errorf("convert: quantize %s as %s: %w", name, s.Name, err)
		}
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: name, DType: modelfile.DType(s.WeightDType), Shape: []int{rows, cols}, Data: qt.WeightBytes()})
		if sb := qt.ScaleBytes(); sb != nil {
			n := rows
			if s.Granularity == quant.PerTensor {
				n = 1
			}
			out.Tensors = append(out.Tensors, modelfile.Tensor{Name: scaleName, DType: modelfile.DType(s.ScaleDType), Shape: []int{n}, Data: sb})
		}
		deq := qt.Dequantize()
		for i := range deq {
			if shift != nil {
				deq[i] += shift[i%cols] // the effective weight, as the model computes it
			}
		}
		qi.weights = append(qi.weights, weightStat{Tensor: name, Scheme: s.Name, Stats: quant.Compare(w, deq),
			Bytes: qt.Bytes(), F32Bytes: 4 * len(w), ZeroRows: qt.ZeroRows, Underflow: qt.Underflow})
		return nil
	}
	e := a.Embedding
	if embS.WeightDType == "I8" && !e.MaskZero && len(a.Dense) > 0 {
		emb := f.Tensor(modelfile.TensorEmbedding)
		b := f.Tensor(modelfile.DenseBias(0))
		w := f.Tensor(modelfile.DenseWeight(0))
		if emb == nil || b == nil || w == nil {
			return nil, nil, fmt.Errorf("convert: quantize: missing embedding or dense.0 tensors")
		}
		shift := quant.GetF32(emb.Data[:4*e.OutputDim])
		if err := quant.CheckFinite("embedding row 0", shift); err != nil {
			return nil, nil, fmt.Errorf("convert: %w", err)
		}
		bias, w0 := quant.GetF32(b.Data), quant.GetF32(w.Data)
		d := a.Dense[0]
		for o := 0; o < d.Out; o++ {
			acc := float64(bias[o])
			for k := 0; k < d.In; k++ {
				acc += float64(w0[o*d.In+k]) * float64(shift[k%e.OutputDim]) // Flatten: every position's block
			}
			bias[o] = float32(acc)
		}
		if err := quant.CheckFinite("dense.0 bias", bias); err != nil {
			return nil, nil, fmt.Errorf("convert: %w", err)
		}
		qi.shift = shift
		replaced[modelfile.DenseBias(0)] = quant.PutF32(bias)
	}
	if err := add(modelfile.TensorEmbedding, embS, e.InputDim, e.OutputDim, modelfile.TensorEmbeddingScale, qi.shift); err != nil {
		return nil, nil, err
	}
	for i, d := range a.Dense {
		if err := add(modelfile.DenseWeight(i), denseS, d.Out, d.In, modelfile.DenseScale(i), nil); err != nil {
			return nil, nil, err
		}
	}
	// Everything else (biases, vocabulary) is copied.
	for _, t := range f.Tensors {
		if out.Tensor(t.Name) != nil || t.Name == modelfile.TensorEmbeddingScale {
			continue
		}
		isScale := false
		for i := range a.Dense {
			isScale = isScale || t.Name == modelfile.DenseScale(i)
		}
		if isScale {
			continue
		}
		data := append([]byte(nil), t.Data...)
		if r, ok := replaced[t.Name]; ok {
			data = r
		}
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: t.Name, DType: t.DType, Shape: append([]int(nil), t.Shape...), Data: data})
	}
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("convert: quantized model does not validate: %w", err)
	}
	return out, qi, nil
}

// num turns values JSON cannot hold (±Inf, NaN) into the strings "inf", "-inf" and "nan".
func num(x float64) any {
	switch {
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case math.IsNaN(x):
		return "nan"
	}
	return x
}
