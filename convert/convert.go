package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// ConverterVersion is recorded in every model file's provenance.
const ConverterVersion = "edgewatt-convert 0.1.0"

// Options are the inputs of a conversion. Zero values mean the documented defaults.
type Options struct {
	Model     string // .h5, .keras or TF.js model.json
	Tokenizer string // Tokenizer.to_json() file, tokenizer pickle or vocab file
	// MaxLen is pad_sequences' maxlen; 0 takes the model's input length.
	MaxLen     int
	Padding    string // pre (default) or post
	Truncating string // pre (default) or post
	// Labels names the outputs: "a,b", or the path of a labels file (one label per line,
	// or JSON ["a","b"] / {"a":0,"b":1}). Empty: labels.txt beside the model, else "0".."n-1".
	Labels string
	Split  string // vocab files: modelmaker (default) or jsstrip
	// KeepCase: vocab-file tokenizers do not lower-case (as the TFLite Task Library runs
	// Model Maker models; Model Maker lower-cased when it trained).
	KeepCase bool
	Quant    QuantOptions
	Log      io.Writer // progress and quantization report; nil discards
}

// ErrNoTokenizer is returned for a model that carries no tokenizer (no TextVectorization
// layer, no TFLite metadata vocabulary) converted without Options.Tokenizer.
var ErrNoTokenizer = errors.New("convert: no tokenizer file: set Options.Tokenizer (--tokenizer) to the tokenizer saved with the model")

// ReadModel reads a model file of any supported format, recognised by its content.
func ReadModel(path string) (*Model, error) {
	f, _, err := openInput(path, "model")
	if err != nil {
		return nil, err
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")):
		return ReadH5(path)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return ReadKeras(path)
	case bytes.HasPrefix(bytes.TrimSpace(trimBOM(head)), []byte("{")):
		return ReadTFJS(path)
	case isTFLite(head):
		return nil, fmt.Errorf("convert: %s is a TFLite flatbuffer: convert it with Build/Convert (edgewatt convert), which read .tflite directly", path)
	}
	return nil, fmt.Errorf("convert: %s is not a Keras .h5 (HDF5), .keras (zip) or TF.js model.json; a SavedModel directory or .tflite file must be re-exported from Keras with model.save(\"model.keras\")", path)
}

// Build reads and validates the model and tokenizer and returns the float32 model file.
func Build(opts Options) (*modelfile.File, error) {
	f, _, err := build(opts)
	return f, err
}

// build is Build, also returning the extra files the model's reader opened (TF.js shards).
func build(opts Options) (_ *modelfile.File, sources []string, err error) {
	logf := func(format string, a ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format, a...)
		}
	}
	switch {
	case opts.Model == "":
		return nil, nil, errors.New("convert: no model file: set Options.Model (the .h5, .keras or TF.js model.json)")
	}
	if isTFLitePath(opts.Model) {
		f, err := buildTFLite(opts, logf)
		return f, nil, err
	}
	m, err := ReadModel(opts.Model)
	if err != nil {
		return nil, nil, err
	}
	if opts.KeepCase {
		return nil, nil, errors.New("convert: --keep-case applies to .tflite models with vocab-file tokenizers")
	}
	if m.TextVec == nil && m.Format != "keras" {
		// .h5 and TF.js have no assets: only a vocabulary in the layer's config is there.
		if m.TextVec, err = extractTextVec(m, nil); err != nil {
			return nil, nil, fmt.Errorf("%w (model %s)", err, opts.Model)
		}
		if m.TextVec != nil {
			m.TextVecData, _ = json.Marshal(m.TextVec.Index)
		}
	}
	if m.TextVec == nil && opts.Tokenizer == "" {
		return nil, nil, ErrNoTokenizer
	}
	net, err := Validate(m)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (model %s)", err, opts.Model)
	}
	logf("model %s: %s, Keras %s, %d parameters\n", opts.Model, m.Format, orDash(m.KerasVersion), net.Params())
	tok, tokData, tokFile, err := modelTokenizer(m, &opts)
	if err != nil {
		return nil, nil, err
	}
	spec, words, err := tok.ForModel(net.Arch.Embedding.InputDim)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (tokenizer %s, model %s)", err, tokFile, opts.Model)
	}
	logf("tokenizer %s: %s, %d words known, ids 1..%d kept\n", tokFile, tok.Format, spec.SourceWords, spec.VocabWords)
	if m.TextVec != nil {
		net.Arch.SourceLayers = withTextVecLayer(net.Arch.SourceLayers, m.TextVecLayer, spec, tok.SeqLen)
	}
	pre, err := preprocessFor(tok, opts, net.InputLength)
	if err != nil {
		return nil, nil, err
	}
	from := ""
	if opts.MaxLen == 0 {
		from = " (the model's input length)"
	}
	logf("preprocess: maxlen %d%s, padding %s, truncating %s\n", pre.MaxLen, from, pre.Padding, pre.Truncating)
	labels, err := resolveLabels(opts.Labels, opts.Model, net.Arch.Dense[len(net.Arch.Dense)-1])
	if err != nil {
		return nil, nil, err
	}
	modelSum, err := fileSHA256(opts.Model)
	if err != nil {
		return nil, nil, err
	}
	tokSum := sha256.Sum256(tokData)
	vocab, err := modelfile.EncodeVocab(words)
	if err != nil {
		return nil, nil, err
	}
	f := &modelfile.File{Meta: modelfile.Meta{
		Arch:       net.Arch,
		Tokenizer:  spec,
		Preprocess: pre,
		Labels:     labels,
		Provenance: modelfile.Provenance{
			SourceFile:       filepath.Base(opts.Model),
			SourceSHA256:     modelSum,
			SourceFormat:     m.Format,
			KerasVersion:     m.KerasVersion,
			Backend:          m.Backend,
			TokenizerFile:    filepath.Base(tokFile),
			TokenizerSHA256:  hex.EncodeToString(tokSum[:]),
			ConverterVersion: ConverterVersion,
		},
		Quant: modelfile.Quant{Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32},
	}}
	e := net.Arch.Embedding
	f.Tensors = append(f.Tensors, f32Tensor(modelfile.TensorEmbedding, net.Embedding, e.InputDim, e.OutputDim))
	for i, d := range net.Dense {
		s := net.Arch.Dense[i]
		f.Tensors = append(f.Tensors,
			f32Tensor(modelfile.DenseWeight(i), d.W, s.Out, s.In),
			f32Tensor(modelfile.DenseBias(i), d.B, s.Out))
	}
	f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorVocab, DType: modelfile.U8, Shape: []int{len(vocab)}, Data: vocab})
	if err := f.Validate(); err != nil {
		return nil, nil, fmt.Errorf("convert: internal error, the built file does not validate: %w", err)
	}
	return f, m.Sources, nil
}

// Convert builds the float32 model file, quantizes it as opts.Quant says and writes it to
// out atomically. On any error nothing is written. out may not be one of the conversion's
// inputs (the model, TF.js weight shards, tokenizer, labels file or labels.txt beside the
// model, --eval and --calib files; compared by device and inode), nor an existing
// non-regular file.
func Convert(opts Options, out string) (*modelfile.File, error) {
	if out == "" {
		return nil, errors.New("convert: no output path")
	}
	outs := []safeio.Path{{Flag: "-o", Path: out}}
	if err := safeio.CheckOutputs(outs, convertInputs(opts, nil)); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	f32, sources, err := build(opts)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	var f *modelfile.File
	if f32.Meta.Provenance.SourceFormat == "tflite" && opts.Quant.Scheme == "" {
		if q := opts.Quant; q.EvalFile != "" || q.CalibFile != "" || q.Percentile != 0 || q.EvalRows != nil || q.CalibTexts != nil {
			return nil, errors.New("convert: --eval, --calib and --percentile measure a requantization, and a .tflite without --quant keeps its own storage; add --quant f32, f16 or int8, or convert without them and run edgewatt eval on the result")
		}
		f, err = tfliteNative(f32, opts.Model, log)
	} else {
		f, err = Quantize(f32, opts.Quant, log)
	}
	if err != nil {
		return nil, err
	}
	// Again with the files the readers opened (TF.js shards), just before writing.
	if err := safeio.CheckOutputs(outs, convertInputs(opts, sources)); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	b, err := modelfile.Marshal(f)
	if err != nil {
		return nil, err
	}
	if err := safeio.WriteAtomic(out, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return f, nil
}

// convertInputs lists every file a conversion reads.
func convertInputs(opts Options, sources []string) []safeio.Path {
	in := []safeio.Path{{Flag: "model", Path: opts.Model}, {Flag: "--tokenizer", Path: opts.Tokenizer},
		{Flag: "--eval", Path: opts.Quant.EvalFile}, {Flag: "--calib", Path: opts.Quant.CalibFile}}
	if opts.Labels != "" && fileExists(opts.Labels) {
		in = append(in, safeio.Path{Flag: "--labels", Path: opts.Labels})
	}
	if opts.Model != "" {
		in = append(in, safeio.Path{Flag: "labels beside the model", Path: filepath.Join(filepath.Dir(opts.Model), "labels.txt")})
	}
	for _, s := range sources {
		in = append(in, safeio.Path{Flag: "weights shard", Path: s})
	}
	return in
}

func preprocess(opts Options, inputLen int) (modelfile.Preprocess, error) {
	p := modelfile.Preprocess{MaxLen: opts.MaxLen, Padding: opts.Padding, Truncating: opts.Truncating}
	if p.Padding == "" {
		p.Padding = modelfile.Pre
	}
	if p.Truncating == "" {
		p.Truncating = modelfile.Pre
	}
	if p.Padding != modelfile.Pre && p.Padding != modelfile.Post {
		return p, fmt.Errorf("convert: padding %q must be pre or post (pad_sequences' padding=)", p.Padding)
	}
	if p.Truncating != modelfile.Pre && p.Truncating != modelfile.Post {
		return p, fmt.Errorf("convert: truncating %q must be pre or post (pad_sequences' truncating=)", p.Truncating)
	}
	switch {
	case p.MaxLen < 0 || p.MaxLen > modelfile.MaxMaxLen:
		return p, fmt.Errorf("convert: maxlen %d must be between 1 and %d", p.MaxLen, modelfile.MaxMaxLen)
	case p.MaxLen == 0 && inputLen == 0:
		return p, errors.New("convert: the model does not fix its input length; pass --maxlen N, the maxlen given to pad_sequences in training")
	case p.MaxLen == 0:
		p.MaxLen = inputLen
	case inputLen != 0 && p.MaxLen != inputLen:
		return p, fmt.Errorf("convert: --maxlen %d but the model was built for input length %d; the pooling runs over maxlen positions (Flatten's first Dense is maxlen x width wide), so give the maxlen used in training (%d)", p.MaxLen, inputLen, inputLen)
	}
	return p, nil
}

// resolveLabels returns one label per output unit (two for a single sigmoid unit).
func resolveLabels(arg, model string, last modelfile.DenseSpec) ([]string, error) {
	n := modelfile.LabelCount(last.Out)
	var labels []string
	source := "--labels"
	switch {
	case arg != "" && fileExists(arg):
		l, err := readLabelsFile(arg)
		if err != nil {
			return nil, err
		}
		labels, source = l, arg
	case arg != "" && !strings.Contains(arg, ",") && (strings.HasSuffix(arg, ".txt") || strings.HasSuffix(arg, ".json")):
		return nil, fmt.Errorf("convert: labels file %s not found (--labels takes \"a,b\" or a labels file)", arg)
	case arg != "":
		for _, s := range strings.Split(arg, ",") {
			labels = append(labels, strings.TrimSpace(s))
		}
	default:
		p := filepath.Join(filepath.Dir(model), "labels.txt")
		if fileExists(p) {
			l, err := readLabelsFile(p)
			if err != nil {
				return nil, err
			}
			labels, source = l, p
		} else {
			for i := 0; i < n; i++ {
				labels = append(labels, strconv.Itoa(i))
			}
		}
	}
	if len(labels) != n {
		what := fmt.Sprintf("%d output units (%s)", last.Out, last.Activation)
		if last.Out == 1 {
			what = "1 sigmoid output (two classes: label for 0, label for 1)"
		}
		return nil, fmt.Errorf("convert: %s gives %d labels but the model has %s; pass --labels with %d comma-separated names", source, len(labels), what, n)
	}
	for i, l := range labels {
		if l == "" {
			return nil, fmt.Errorf("convert: label %d from %s is empty", i, source)
		}
	}
	return labels, nil
}

func readLabelsFile(path string) ([]string, error) {
	b, err := readInput(path, "labels", safeio.MaxTextFile)
	if err != nil {
		return nil, err
	}
	b = trimBOM(b)
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '[' {
		var l []string
		if err := json.Unmarshal(t, &l); err != nil {
			return nil, fmt.Errorf("convert: labels file %s: %v", path, err)
		}
		return l, nil
	}
	if len(t) > 0 && t[0] == '{' {
		// {"label": index}, as written by sklearn-style label encoders.
		var m map[string]int
		if err := json.Unmarshal(t, &m); err != nil {
			return nil, fmt.Errorf("convert: labels file %s: want {\"label\": index}: %v", path, err)
		}
		l := make([]string, len(m))
		for name, i := range m {
			if i < 0 || i >= len(m) || l[i] != "" {
				return nil, fmt.Errorf("convert: labels file %s: indices must be 0..%d, each once", path, len(m)-1)
			}
			l[i] = name
		}
		return l, nil
	}
	var l []string
	for _, s := range strings.Split(strings.TrimRight(string(b), "\r\n"), "\n") {
		l = append(l, strings.TrimSpace(strings.TrimSuffix(s, "\r")))
	}
	return l, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func fileSHA256(path string) (string, error) {
	f, _, err := openInput(path, "model")
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("convert: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func f32Tensor(name string, xs []float32, shape ...int) modelfile.Tensor {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return modelfile.Tensor{Name: name, DType: modelfile.F32, Shape: shape, Data: b}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
