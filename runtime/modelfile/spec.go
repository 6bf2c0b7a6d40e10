package modelfile

import "strconv"

// Format and Version identify the edgewatt model file in its metadata.
const (
	Format  = "edgewatt"
	Version = 2 // 2: the sha256 covers the metadata and does not depend on tensor order
)

// Limits a reader checks before using a file (Validate), each far above any text classifier
// for a small board; the messages name them.
const (
	MaxMaxLen     = 1 << 16 // pad_sequences maxlen: positions per input
	MaxVocabWords = 1 << 21 // words in tokenizer.vocab
	MaxWordBytes  = 1 << 12 // bytes of one vocabulary word (UTF-8)
)

// LabelCount is how many labels a model whose last layer has out units must have: one per
// unit, and two (the class of 0, the class of 1) for a single unit.
func LabelCount(out int) int {
	if out == 1 {
		return 2
	}
	return out
}

// DType is a tensor element type, spelled as in safetensors.
type DType string

// The element types edgewatt writes.
const (
	F32 DType = "F32"
	F16 DType = "F16"
	I8  DType = "I8"
	U8  DType = "U8"
	I32 DType = "I32"
)

// Size returns the element size in bytes, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F16:
		return 2
	case I8, U8:
		return 1
	}
	return 0
}

// Tensor names (see doc.go).
const (
	TensorEmbedding      = "embedding.weight"
	TensorEmbeddingScale = "embedding.scale"
	TensorVocab          = "tokenizer.vocab"
)

// DenseWeight, DenseBias and DenseScale name dense layer i's tensors.
func DenseWeight(i int) string { return "dense." + strconv.Itoa(i) + ".weight" }
func DenseBias(i int) string   { return "dense." + strconv.Itoa(i) + ".bias" }
func DenseScale(i int) string  { return "dense." + strconv.Itoa(i) + ".scale" }

// Arch is the network: one Embedding, a pooling step (Pooling), then Dense layers.
// InputLayer and Dropout are identity at inference and are not stored.
type Arch struct {
	Embedding EmbeddingSpec `json:"embedding"`
	// Pooling is how the maxlen embedding rows become dense.0's input: PoolAverage ("" in
	// files written before it existed), PoolMax or PoolFlatten.
	Pooling string      `json:"pooling,omitempty"`
	Dense   []DenseSpec `json:"dense"`
	// SourceLayers lists the source model's layers (class and name) for inspect.
	SourceLayers []SourceLayer `json:"source_layers,omitempty"`
}

// Pooling steps (Arch.Pooling).
const (
	// PoolAverage is GlobalAveragePooling1D: the mean of the maxlen rows (of the non-padding
	// rows when the Embedding has mask_zero). dense.0's input width is the embedding width D.
	PoolAverage = "average"
	// PoolMax is GlobalMaxPooling1D: the elementwise maximum of the maxlen rows, padding rows
	// included even with mask_zero (Keras 2 and 3 both drop the mask there). Width D.
	PoolMax = "max"
	// PoolFlatten is Flatten: the maxlen rows concatenated in sequence order, position p's
	// row at [p*D, (p+1)*D) (padding rows included: Flatten drops the mask too). dense.0's
	// input width is maxlen*D.
	PoolFlatten = "flatten"
)

// PoolWidth returns dense.0's input width for pooling p over maxlen rows of width d, or 0
// for an unknown pooling.
func PoolWidth(p string, maxlen, d int) int {
	switch p {
	case "", PoolAverage, PoolMax:
		return d
	case PoolFlatten:
		return maxlen * d
	}
	return 0
}

// EmbeddingSpec describes the Embedding layer.
type EmbeddingSpec struct {
	Name      string `json:"name"`
	InputDim  int    `json:"input_dim"`  // vocabulary rows V
	OutputDim int    `json:"output_dim"` // width D
	// MaskZero: the pooling averages only non-padding (id != 0) positions, as Keras does
	// when the Embedding has mask_zero=True. Otherwise it averages all maxlen positions.
	MaskZero bool `json:"mask_zero"`
}

// DenseSpec describes one Dense layer.
type DenseSpec struct {
	Name       string `json:"name"`
	In         int    `json:"in"`
	Out        int    `json:"out"`
	Activation string `json:"activation"` // relu, sigmoid, tanh, linear, softmax
}

// SourceLayer is one layer of the source model as Keras named it.
type SourceLayer struct {
	Class string `json:"class"`
	Name  string `json:"name"`
	Note  string `json:"note,omitempty"` // e.g. "identity at inference"
}

// Tokenizer modes.
const (
	// ModeKeras is keras_preprocessing's Tokenizer: lower (Python str.lower), replace each
	// Filters character with Split, split on Split, drop empty words.
	ModeKeras = "keras"
	// ModeModelMaker is TFLite Model Maker's average-word-vec tokenizer: lower, split on the
	// regular expression [^\w']+ , drop empty words.
	ModeModelMaker = "modelmaker"
	// ModeJSStrip is the TF.js comment-spam codelab: lower, delete [^\w\s], split on ' '.
	ModeJSStrip = "jsstrip"
	// ModeTextVec is Keras's TextVectorization layer with output_mode "int", as TensorFlow
	// computes it: Standardize, then Split, then the NGrams, looked up with "" = 0
	// (padding/mask) and "[UNK]" = 1 (OOVID); see runtime.Tokenizer for the exact definitions.
	ModeTextVec = "textvec"
)

// TextVectorization standardize and split settings (ModeTextVec).
const (
	StandardizeLowerStrip = "lower_and_strip_punctuation"
	StandardizeLower      = "lower"
	StandardizeStrip      = "strip_punctuation"
	StandardizeNone       = "" // None
	SplitWhitespace       = "whitespace"
	SplitCharacter        = "character"
	SplitNone             = "" // None: the whole standardized text is one token
	// MaxNGram is the widest n-gram ModeTextVec runs.
	MaxNGram = 16
)

// TokenizerSpec is the tokenizer's settings. The words themselves are the tokenizer.vocab
// tensor: word of id i (1 <= i <= VocabWords) is line i-1.
type TokenizerSpec struct {
	Mode    string `json:"mode"`
	Filters string `json:"filters,omitempty"` // ModeKeras: characters replaced by Split
	Lower   bool   `json:"lower"`
	Split   string `json:"split,omitempty"` // ModeKeras: the separator, default " "; ModeTextVec: SplitWhitespace, SplitCharacter or SplitNone
	// Standardize is ModeTextVec's standardize (StandardizeLowerStrip, ...).
	Standardize string `json:"standardize,omitempty"`
	// NGrams is ModeTextVec's n-gram widths in output order, comma-separated
	// (TextVectorization's ngrams=2 is "1,2"); empty means no n-grams (tokens as split).
	// A string keeps TokenizerSpec comparable.
	NGrams    string `json:"ngrams,omitempty"`
	CharLevel bool   `json:"char_level,omitempty"`
	// NumWords is Keras's num_words: ids >= NumWords map to OOVID (or are dropped when
	// OOVID < 0). 0 means no limit.
	NumWords int `json:"num_words"`
	// OOVID is the id of unknown words, or -1 to drop them.
	OOVID int `json:"oov_id"`
	// StartID, when >= 0, is prepended to every sequence (Model Maker's <START>).
	StartID int `json:"start_id"`
	// VocabWords is the number of lines in tokenizer.vocab (ids 1..VocabWords).
	VocabWords int `json:"vocab_words"`
	// SourceWords is how many words the source tokenizer knew (before the num_words cut).
	SourceWords int `json:"source_words,omitempty"`
}

// Padding and truncating sides.
const (
	Pre  = "pre"
	Post = "post"
)

// Preprocess is what Keras never saves: the pad_sequences settings.
type Preprocess struct {
	MaxLen     int    `json:"maxlen"`
	Padding    string `json:"padding"`    // pre | post
	Truncating string `json:"truncating"` // pre | post
}

// Provenance records where a model file came from.
type Provenance struct {
	SourceFile       string `json:"source_file"`
	SourceSHA256     string `json:"source_sha256"`
	SourceFormat     string `json:"source_format"` // h5, keras, tfjs, edgewatt-train
	KerasVersion     string `json:"keras_version,omitempty"`
	Backend          string `json:"backend,omitempty"`
	TokenizerFile    string `json:"tokenizer_file,omitempty"`
	TokenizerSHA256  string `json:"tokenizer_sha256,omitempty"`
	ConverterVersion string `json:"converter_version"`
	Created          string `json:"created,omitempty"` // RFC 3339
}

// Quant schemes, per tensor group.
const (
	SchemeF32        = "f32"
	SchemeF16        = "f16"
	SchemeInt8Row    = "int8-row"     // embedding: symmetric int8, one F16 scale per row
	SchemeInt8Tensor = "int8-tensor"  // embedding: symmetric int8, one F32 scale
	SchemeInt8Chan   = "int8-channel" // dense: symmetric int8, one F32 scale per output
)

// Quant says how each tensor group is stored.
type Quant struct {
	Embedding string `json:"embedding"`
	Dense     string `json:"dense"`
}

// Report is the accuracy report of a conversion (see package quant and convert --eval).
// It is free-form JSON for forward compatibility; convert defines its fields.
type Report = map[string]any
