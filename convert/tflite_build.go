package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/edgewatt/edgewatt/convert/internal/tflite"
	"github.com/edgewatt/edgewatt/quant"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// tfliteSource is a .tflite read for conversion: the graph, its metadata and its
// associated files.
type tfliteSource struct {
	model *tfModel
	meta  *tfMeta // nil without TFLITE_METADATA
	files map[string][]byte
	sum   string // sha256 of the file
}

func readTFLiteSource(path string) (*tfliteSource, error) {
	m, b, err := readTFLiteFile(path)
	if err != nil {
		return nil, err
	}
	s := &tfliteSource{model: m}
	sum := sha256.Sum256(b)
	s.sum = hex.EncodeToString(sum[:])
	if s.files, err = tfliteZip(b); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	if raw, ok := m.metadata["TFLITE_METADATA"]; ok {
		if s.meta, err = parseTFLiteMetadata(raw); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, path)
		}
	}
	return s, nil
}

// modelMakerDelim is Model Maker's average-word-vec tokenizer regex as it stores it in the
// metadata; runtime's ModeModelMaker splits on it with Python's Unicode \w, as Model Maker did
// when it trained (the Task Library's RE2 \w is ASCII-only: see README).
const modelMakerDelim = `[^\w\']+`

// tokenizer returns the tokenizer: --tokenizer when given, else the metadata's vocabulary.
func (s *tfliteSource) tokenizer(opts Options) (*Tokenizer, []byte, string, error) {
	if opts.Tokenizer != "" {
		t, data, err := ReadTokenizerFile(opts.Tokenizer, opts.Split)
		return t, data, opts.Tokenizer, err
	}
	if s.meta != nil && s.meta.vocabFile == "" {
		// Older metadata (the TFLite text-classification example) lists the vocabulary as
		// an associated file without the VOCABULARY type.
		for _, name := range []string{"vocab.txt", "vocab"} {
			if _, ok := s.files[name]; ok {
				s.meta.vocabFile = name
				break
			}
		}
	}
	if s.meta == nil || s.meta.vocabFile == "" {
		return nil, nil, "", fmt.Errorf("%w (%s has no TFLite metadata naming a vocabulary: pass the vocab.txt it was exported with)", ErrNoTokenizer, opts.Model)
	}
	data, ok := s.files[s.meta.vocabFile]
	if !ok {
		return nil, nil, "", fmt.Errorf("convert: the TFLite metadata names the vocabulary %q but the model has no such associated file (no appended zip, or a different member); pass --tokenizer vocab.txt", s.meta.vocabFile)
	}
	switch s.meta.delimRegex {
	case modelMakerDelim, "":
	default:
		return nil, nil, "", fmt.Errorf("convert: the TFLite metadata's tokenizer splits on %q, which edgewatt does not reproduce (it runs Model Maker's %s); pass --tokenizer with --split", s.meta.delimRegex, modelMakerDelim)
	}
	split := opts.Split
	if split == "" {
		split = modelfile.ModeModelMaker
	}
	t, err := ReadVocab(data, split)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w (associated file %s in %s)", err, s.meta.vocabFile, opts.Model)
	}
	return t, data, opts.Model + ":" + s.meta.vocabFile, nil
}

// labels returns the output labels: --labels, else the metadata's labels file, else the
// defaults of resolveLabels.
func (s *tfliteSource) labels(opts Options, last modelfile.DenseSpec) ([]string, string, error) {
	if opts.Labels == "" && s.meta != nil {
		// The first labels file with one label per output. (The TFLite example's older
		// metadata types its vocabulary as labels too.)
		n := max(last.Out, 2)
		for _, name := range s.meta.labelsFiles {
			data, ok := s.files[name]
			if !ok || name == s.meta.vocabFile {
				continue
			}
			var l []string
			for _, line := range strings.Split(strings.TrimRight(string(data), "\r\n"), "\n") {
				l = append(l, strings.TrimSpace(strings.TrimSuffix(line, "\r")))
			}
			if len(l) != n || slices.Contains(l, "") {
				continue
			}
			return l, name, nil
		}
	}
	l, err := resolveLabels(opts.Labels, opts.Model, last)
	return l, opts.Labels, err
}

// buildTFLite is Build for a .tflite: the float32 model file (weights dequantized).
func buildTFLite(opts Options, logf func(string, ...any)) (*modelfile.File, error) {
	s, err := readTFLiteSource(opts.Model)
	if err != nil {
		return nil, err
	}
	m := s.model
	logf("model %s: tflite (%s), operators %s\n", opts.Model, strings.TrimSpace(m.description), m.opsString())
	if s.meta != nil {
		logf("TFLite metadata: %q %s, vocabulary %q, labels %q, tokenizer regex %q\n", s.meta.name, s.meta.version, s.meta.vocabFile, s.meta.labelsFiles, s.meta.delimRegex)
	}
	if m.actQuant {
		logf("TFLite activations pass through QUANTIZE/DEQUANTIZE: edgewatt runs them in float32 (identity)\n")
	}
	e := m.emb
	net := &Network{Embedding: e.f32, InputLength: m.inputLen}
	net.Arch.Embedding = modelfile.EmbeddingSpec{Name: e.name, InputDim: e.shape[0], OutputDim: e.shape[1]}
	net.Arch.SourceLayers = append(net.Arch.SourceLayers, modelfile.SourceLayer{Class: "GATHER", Name: e.name, Note: "embedding " + e.dtype.String()})
	net.Arch.SourceLayers = append(net.Arch.SourceLayers, modelfile.SourceLayer{Class: "MEAN", Name: "axis 1", Note: "GlobalAveragePooling1D"})
	for i, d := range m.dense {
		out, in := d.w.shape[0], d.w.shape[1]
		dw := DenseWeights{W: d.w.f32, B: make([]float32, out)}
		if d.b != nil {
			copy(dw.B, d.b.f32)
		}
		name := fmt.Sprintf("fully_connected_%d", i)
		net.Arch.Dense = append(net.Arch.Dense, modelfile.DenseSpec{Name: name, In: in, Out: out, Activation: d.act})
		net.Arch.SourceLayers = append(net.Arch.SourceLayers, modelfile.SourceLayer{Class: "FULLY_CONNECTED", Name: d.w.name, Note: d.w.dtype.String() + " " + d.act})
		net.Dense = append(net.Dense, dw)
	}
	tok, tokData, tokFile, err := s.tokenizer(opts)
	if err != nil {
		return nil, err
	}
	if opts.KeepCase {
		if tok.Spec.Mode != modelfile.ModeModelMaker && tok.Spec.Mode != modelfile.ModeJSStrip {
			return nil, fmt.Errorf("convert: --keep-case applies to vocab-file tokenizers; %s is %s", tokFile, tok.Format)
		}
		tok.Spec.Lower = false
	}
	spec, words, err := tok.ForModel(net.Arch.Embedding.InputDim)
	if err != nil {
		return nil, fmt.Errorf("%w (tokenizer %s, model %s)", err, tokFile, opts.Model)
	}
	lower := "lower-cased as Model Maker trained"
	if !spec.Lower {
		lower = "not lower-cased, as the TFLite Task Library runs it"
	}
	logf("tokenizer %s: %s, %d words known, ids 1..%d kept, %s\n", tokFile, tok.Format, spec.SourceWords, spec.VocabWords, lower)
	// Model Maker and the TFLite examples pad and truncate at the end; a Keras tokenizer
	// file keeps pad_sequences' defaults (pre), as for Keras models.
	if tok.Format == "vocab" {
		if opts.Padding == "" {
			opts.Padding = modelfile.Post
		}
		if opts.Truncating == "" {
			opts.Truncating = modelfile.Post
		}
	}
	pre, err := preprocess(opts, m.inputLen)
	if err != nil {
		return nil, err
	}
	logf("preprocess: maxlen %d (the model's input), padding %s, truncating %s\n", pre.MaxLen, pre.Padding, pre.Truncating)
	labels, labelsFrom, err := s.labels(opts, net.Arch.Dense[len(net.Arch.Dense)-1])
	if err != nil {
		return nil, err
	}
	if labelsFrom != "" {
		logf("labels %s from %s\n", strings.Join(labels, ", "), labelsFrom)
	}
	vocab, err := modelfile.EncodeVocab(words)
	if err != nil {
		return nil, err
	}
	tokSum := sha256.Sum256(tokData)
	f := &modelfile.File{Meta: modelfile.Meta{
		Arch: net.Arch, Tokenizer: spec, Preprocess: pre, Labels: labels,
		Provenance: modelfile.Provenance{
			SourceFile: filepath.Base(opts.Model), SourceSHA256: s.sum, SourceFormat: "tflite",
			Backend: strings.TrimSpace(m.description), TokenizerFile: filepath.Base(tokFile),
			TokenizerSHA256: hex.EncodeToString(tokSum[:]), ConverterVersion: ConverterVersion,
		},
		Quant: modelfile.Quant{Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32},
	}}
	f.Tensors = append(f.Tensors, f32Tensor(modelfile.TensorEmbedding, net.Embedding, e.shape[0], e.shape[1]))
	for i, d := range net.Dense {
		sp := net.Arch.Dense[i]
		f.Tensors = append(f.Tensors, f32Tensor(modelfile.DenseWeight(i), d.W, sp.Out, sp.In), f32Tensor(modelfile.DenseBias(i), d.B, sp.Out))
	}
	f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorVocab, DType: modelfile.U8, Shape: []int{len(vocab)}, Data: vocab})
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("convert: internal error, the built file does not validate: %w", err)
	}
	return f, nil
}

// tfliteNative stores f32 (built from the .tflite at path) with the weights as the .tflite
// holds them where a runtime scheme can hold them exactly:
//
//	FLOAT16 embedding / dense weights           -> f16 (the same bits)
//	INT8 embedding, one scale, zero point 0     -> int8-tensor (the same bytes and scale)
//	INT8 dense, per-channel on the output axis
//	  (or one scale), zero points 0             -> int8-channel (the same bytes and scales)
//
// Int8 storage no scheme holds exactly is requantized from the dequantized weights, and the
// log and the file's report give each such tensor's max |w - w'|: an INT8 embedding with
// per-row scales becomes int8-row (F16 scales), one with a zero point int8-tensor; INT8
// dense layers with zero points, or next to float dense layers, make all dense layers
// int8-channel. Float storage stays exact: FLOAT32 is f32, and dense layers mixing FLOAT16
// and FLOAT32 are f32 (float16 widens exactly). Biases are float32 in every scheme (FLOAT16
// and INT32 biases widen exactly or dequantize).
func tfliteNative(f32 *modelfile.File, path string, log io.Writer) (*modelfile.File, error) {
	m, _, err := readTFLiteFile(path)
	if err != nil {
		return nil, err
	}
	out := &modelfile.File{Meta: f32.Meta}
	var notes []string
	requant := func(name, scaleName string, c *tfConst, s *quant.Scheme, rows, cols int) error {
		qt, err := s.Quantize(c.f32, rows, cols)
		if err != nil {
			return fmt.Errorf("convert: requantize %s as %s: %w", name, s.Name, err)
		}
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: name, DType: modelfile.DType(s.WeightDType), Shape: []int{rows, cols}, Data: qt.WeightBytes()})
		n := rows
		if s.Granularity == quant.PerTensor {
			n = 1
		}
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: scaleName, DType: modelfile.DType(s.ScaleDType), Shape: []int{n}, Data: qt.ScaleBytes()})
		st := quant.Compare(c.f32, qt.Dequantize())
		notes = append(notes, fmt.Sprintf("%s: %s (%s) -> %s, max |w - w'| %.3g", name, c.dtype, storageOf(c), s.Name, st.MaxAbs))
		return nil
	}
	// Embedding.
	e := m.emb
	rows, cols := e.shape[0], e.shape[1]
	var embScheme string
	switch {
	case e.dtype == tflite.TensorTypeFLOAT16:
		embScheme = modelfile.SchemeF16
		out.Tensors = append(out.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.F16, Shape: []int{rows, cols}, Data: e.raw})
	case e.dtype == tflite.TensorTypeINT8 && len(e.scale) == 1 && e.zero[0] == 0:
		embScheme = modelfile.SchemeInt8Tensor
		out.Tensors = append(out.Tensors,
			modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.I8, Shape: []int{rows, cols}, Data: e.raw},
			f32Tensor(modelfile.TensorEmbeddingScale, e.scale, 1))
	case e.dtype == tflite.TensorTypeINT8:
		s := quant.Int8Tensor
		if len(e.scale) > 1 {
			s = quant.Int8Row
		}
		embScheme = s.Name
		if err := requant(modelfile.TensorEmbedding, modelfile.TensorEmbeddingScale, e, s, rows, cols); err != nil {
			return nil, err
		}
	default:
		embScheme = modelfile.SchemeF32
		out.Tensors = append(out.Tensors, *f32.Tensor(modelfile.TensorEmbedding))
	}
	// Dense weights: one scheme for all layers.
	kinds := map[string]bool{}
	for _, d := range m.dense {
		switch {
		case d.w.dtype == tflite.TensorTypeFLOAT16:
			kinds["f16"] = true
		case d.w.dtype == tflite.TensorTypeINT8:
			kinds["int8"] = true
		default:
			kinds["f32"] = true
		}
	}
	denseScheme := modelfile.SchemeF32
	switch {
	case kinds["int8"]:
		denseScheme = modelfile.SchemeInt8Chan
	case kinds["f16"] && !kinds["f32"]:
		denseScheme = modelfile.SchemeF16
	}
	for i, d := range m.dense {
		sp := f32.Meta.Arch.Dense[i]
		switch {
		case denseScheme == modelfile.SchemeF16:
			out.Tensors = append(out.Tensors, modelfile.Tensor{Name: modelfile.DenseWeight(i), DType: modelfile.F16, Shape: []int{sp.Out, sp.In}, Data: d.w.raw})
		case denseScheme == modelfile.SchemeInt8Chan && d.w.dtype == tflite.TensorTypeINT8 && symmetric(d.w) && (len(d.w.scale) == 1 || d.w.qdim == 0):
			scales := d.w.scale
			if len(scales) == 1 {
				scales = make([]float32, sp.Out)
				for o := range scales {
					scales[o] = d.w.scale[0]
				}
			}
			out.Tensors = append(out.Tensors,
				modelfile.Tensor{Name: modelfile.DenseWeight(i), DType: modelfile.I8, Shape: []int{sp.Out, sp.In}, Data: d.w.raw},
				f32Tensor(modelfile.DenseScale(i), scales, sp.Out))
		case denseScheme == modelfile.SchemeInt8Chan:
			if err := requant(modelfile.DenseWeight(i), modelfile.DenseScale(i), d.w, quant.Int8Channel, sp.Out, sp.In); err != nil {
				return nil, err
			}
		default:
			out.Tensors = append(out.Tensors, *f32.Tensor(modelfile.DenseWeight(i)))
		}
		out.Tensors = append(out.Tensors, *f32.Tensor(modelfile.DenseBias(i)))
	}
	out.Tensors = append(out.Tensors, *f32.Tensor(modelfile.TensorVocab))
	out.Meta.Quant = modelfile.Quant{Embedding: embScheme, Dense: denseScheme}
	out.Meta.Report = modelfile.Report{"tflite_storage": map[string]any{"embedding": storageOf(e), "stored": embScheme + "/" + denseScheme, "requantized": notes}}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("convert: internal error, the TFLite-quantized file does not validate: %w", err)
	}
	fmt.Fprintf(log, "weights stored as the .tflite has them where the runtime holds them exactly: embedding %s, dense %s\n", embScheme, denseScheme)
	for _, n := range notes {
		fmt.Fprintf(log, "requantized %s\n", n)
	}
	return out, nil
}

// storageOf describes a constant's TFLite storage for the report.
func storageOf(c *tfConst) string {
	switch {
	case c.dtype != tflite.TensorTypeINT8:
		return c.dtype.String()
	case len(c.scale) > 1 && symmetric(c):
		return fmt.Sprintf("%d symmetric scales on axis %d", len(c.scale), c.qdim)
	case len(c.scale) > 1:
		return fmt.Sprintf("%d scales on axis %d with zero points", len(c.scale), c.qdim)
	}
	return fmt.Sprintf("one scale, zero point %d", c.zero[0])
}

func symmetric(c *tfConst) bool {
	for _, z := range c.zero {
		if z != 0 {
			return false
		}
	}
	return true
}
