package modelfile

import (
	"fmt"
	"math"
)

// Validate checks that the metadata is coherent and that the tensors agree with the arch:
// every tensor present with the right dtype and shape and as many bytes as its shape needs
// (Parse checked that already; a File built in memory is checked here), activations known,
// preprocessing sane.
func (f *File) Validate() error {
	for i := range f.Tensors {
		if err := checkBytes(&f.Tensors[i]); err != nil {
			return err
		}
	}
	a := &f.Meta.Arch
	e := a.Embedding
	if e.InputDim <= 0 || e.OutputDim <= 0 {
		return fmt.Errorf("modelfile: embedding shape [%d, %d] is invalid", e.InputDim, e.OutputDim)
	}
	if len(a.Dense) == 0 {
		return fmt.Errorf("modelfile: no dense layers")
	}
	q := f.Meta.Quant
	emb := f.Tensor(TensorEmbedding)
	if emb == nil {
		return fmt.Errorf("modelfile: missing tensor %s", TensorEmbedding)
	}
	if err := checkShape(emb, e.InputDim, e.OutputDim); err != nil {
		return err
	}
	switch q.Embedding {
	case SchemeF32:
		err := checkDType(emb, F32)
		if err != nil {
			return err
		}
	case SchemeF16:
		if err := checkDType(emb, F16); err != nil {
			return err
		}
	case SchemeInt8Row, SchemeInt8Tensor:
		if err := checkDType(emb, I8); err != nil {
			return err
		}
		s := f.Tensor(TensorEmbeddingScale)
		if s == nil {
			return fmt.Errorf("modelfile: missing tensor %s for scheme %s", TensorEmbeddingScale, q.Embedding)
		}
		if q.Embedding == SchemeInt8Row {
			if err := checkDType(s, F16); err != nil {
				return err
			}
			if err := checkShape(s, e.InputDim); err != nil {
				return err
			}
		} else {
			if err := checkDType(s, F32); err != nil {
				return err
			}
			if err := checkShape(s, 1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("modelfile: unknown embedding scheme %q", q.Embedding)
	}
	p := f.Meta.Preprocess
	if p.MaxLen <= 0 || p.MaxLen > MaxMaxLen {
		return fmt.Errorf("modelfile: maxlen %d is outside 1..%d, the longest input edgewatt pads to", p.MaxLen, MaxMaxLen)
	}
	in := PoolWidth(a.Pooling, p.MaxLen, e.OutputDim)
	if in == 0 {
		return fmt.Errorf("modelfile: unknown pooling %q (want %s, %s or %s)", a.Pooling, PoolAverage, PoolMax, PoolFlatten)
	}
	if a.Pooling == PoolFlatten && p.MaxLen > 1<<24/e.OutputDim {
		return fmt.Errorf("modelfile: flatten over maxlen %d x width %d is too wide", p.MaxLen, e.OutputDim)
	}
	for i, d := range a.Dense {
		if d.In != in || d.Out <= 0 {
			return fmt.Errorf("modelfile: dense %d (%s) is [%d -> %d], but its input has width %d", i, d.Name, d.In, d.Out, in)
		}
		switch d.Activation {
		case "relu", "sigmoid", "tanh", "linear", "softmax":
		default:
			return fmt.Errorf("modelfile: dense %d (%s): unsupported activation %q (supported: relu, sigmoid, tanh, linear, softmax)", i, d.Name, d.Activation)
		}
		w := f.Tensor(DenseWeight(i))
		b := f.Tensor(DenseBias(i))
		if w == nil || b == nil {
			return fmt.Errorf("modelfile: missing weight or bias tensor of dense %d", i)
		}
		if err := checkShape(w, d.Out, d.In); err != nil {
			return err
		}
		if err := checkShape(b, d.Out); err != nil {
			return err
		}
		if err := checkDType(b, F32); err != nil {
			return err
		}
		switch q.Dense {
		case SchemeF32:
			if err := checkDType(w, F32); err != nil {
				return err
			}
		case SchemeF16:
			if err := checkDType(w, F16); err != nil {
				return err
			}
		case SchemeInt8Chan:
			if err := checkDType(w, I8); err != nil {
				return err
			}
			s := f.Tensor(DenseScale(i))
			if s == nil {
				return fmt.Errorf("modelfile: missing tensor %s", DenseScale(i))
			}
			if err := checkDType(s, F32); err != nil {
				return err
			}
			if err := checkShape(s, d.Out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("modelfile: unknown dense scheme %q", q.Dense)
		}
		in = d.Out
	}
	if (p.Padding != Pre && p.Padding != Post) || (p.Truncating != Pre && p.Truncating != Post) {
		return fmt.Errorf("modelfile: padding %q / truncating %q must be pre or post", p.Padding, p.Truncating)
	}
	tk := f.Meta.Tokenizer
	switch tk.Mode {
	case ModeKeras, ModeModelMaker, ModeJSStrip, ModeTextVec:
	default:
		return fmt.Errorf("modelfile: unknown tokenizer mode %q", tk.Mode)
	}
	if tk.VocabWords < 0 || tk.OOVID >= e.InputDim || tk.StartID >= e.InputDim {
		return fmt.Errorf("modelfile: tokenizer ids (oov %d, start %d) outside the embedding's %d rows", tk.OOVID, tk.StartID, e.InputDim)
	}
	v := f.Tensor(TensorVocab)
	if v == nil || v.DType != U8 {
		return fmt.Errorf("modelfile: missing U8 tensor %s", TensorVocab)
	}
	if tk.VocabWords > MaxVocabWords {
		return fmt.Errorf("modelfile: the vocabulary has %d words, more than the %d edgewatt loads", tk.VocabWords, MaxVocabWords)
	}
	for i, start, id := 0, 0, 1; i <= len(v.Data); i++ {
		if i == len(v.Data) || v.Data[i] == '\n' {
			if i-start > MaxWordBytes {
				return fmt.Errorf("modelfile: vocabulary word %d is %d bytes long, more than the %d edgewatt loads (no real word is that long: the tokenizer is corrupt or hostile)", id, i-start, MaxWordBytes)
			}
			start, id = i+1, id+1
		}
	}
	last := a.Dense[len(a.Dense)-1]
	if want := LabelCount(last.Out); len(f.Meta.Labels) != want {
		return fmt.Errorf("modelfile: %d labels for a last layer of %d %s unit(s): want %d (one per unit; two, for 0 and 1, for a single unit)", len(f.Meta.Labels), last.Out, last.Activation, want)
	}
	if tk.VocabWords >= e.InputDim && (tk.NumWords == 0 || tk.NumWords > e.InputDim) {
		return fmt.Errorf("modelfile: tokenizer can produce ids up to %d but the embedding has %d rows", tk.VocabWords, e.InputDim)
	}
	return nil
}

func checkBytes(t *Tensor) error {
	es := t.DType.Size()
	if es == 0 {
		return fmt.Errorf("modelfile: tensor %s: unknown dtype %q", t.Name, t.DType)
	}
	n := int64(es)
	for _, d := range t.Shape {
		if d < 0 || d > 0 && n > math.MaxInt64/int64(d) {
			return fmt.Errorf("modelfile: tensor %s: bad shape %v", t.Name, t.Shape)
		}
		n *= int64(d)
	}
	if n != int64(len(t.Data)) {
		return fmt.Errorf("modelfile: tensor %s: shape %v of %s needs %d bytes, have %d", t.Name, t.Shape, t.DType, n, len(t.Data))
	}
	return nil
}

func checkShape(t *Tensor, dims ...int) error {
	if len(t.Shape) != len(dims) {
		return fmt.Errorf("modelfile: tensor %s has shape %v, want %v", t.Name, t.Shape, dims)
	}
	for i := range dims {
		if t.Shape[i] != dims[i] {
			return fmt.Errorf("modelfile: tensor %s has shape %v, want %v", t.Name, t.Shape, dims)
		}
	}
	return nil
}

func checkDType(t *Tensor, d DType) error {
	if t.DType != d {
		return fmt.Errorf("modelfile: tensor %s is %s, want %s", t.Name, t.DType, d)
	}
	return nil
}
