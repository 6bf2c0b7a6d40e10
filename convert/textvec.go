package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Keras TextVectorization (output_mode "int"): its get_config() and its vocabulary, read
// from a .keras archive (config.json + assets/layers/<layer>/vocabulary.txt, or the
// vocabulary inside the config) or from sidecar files (the config as JSON, the vocabulary
// as get_vocabulary()'s JSON list or one token a line). The runtime reproduces the layer
// (runtime/tokenizer_textvec.go has the definitions); this file only reads and checks.

// Special tokens of TextVectorization's StringLookup (mask_token "", one OOV index).
const (
	textVecMask = ""
	textVecOOV  = "[UNK]"
)

// maxTextVecTokens bounds a vocabulary read from a file before it is checked.
const maxTextVecTokens = 1 << 22

// textVecConfig is the part of TextVectorization.get_config() edgewatt reads.
type textVecConfig struct {
	Name        string
	Standardize string
	Split       string
	NGrams      string // comma-separated widths
	SeqLen      int    // output_sequence_length, 0 = None
	MaxTokens   int    // 0 = None
	VocabSize   int    // vocabulary_size, 0 = absent
	Vocabulary  []string
	HasVocab    bool // the config holds the vocabulary (input_vocabulary)
}

// parseTextVecConfig reads a TextVectorization config object (the layer's "config").
func parseTextVecConfig(raw map[string]json.RawMessage) (*textVecConfig, error) {
	c := &textVecConfig{Standardize: modelfile.StandardizeLowerStrip, Split: modelfile.SplitWhitespace}
	str := func(key string) (string, bool, error) {
		v, ok := raw[key]
		if !ok || string(v) == "null" {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Errorf("convert: TextVectorization %s is %s, not a string", key, abbrev(v))
		}
		return s, true, nil
	}
	intOf := func(key string) (int, error) {
		v, ok := raw[key]
		if !ok || string(v) == "null" {
			return 0, nil
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) || f < 0 || f > maxTextVecTokens {
			return 0, fmt.Errorf("convert: TextVectorization %s is %s, not an integer in 0..%d", key, abbrev(v), maxTextVecTokens)
		}
		return int(f), nil
	}
	if name, _, err := str("name"); err == nil {
		c.Name = name
	}
	callable := func(key string) error {
		v := raw[key]
		var obj struct {
			ClassName string `json:"class_name"`
			Config    any    `json:"config"`
			Module    string `json:"module"`
		}
		what := "a custom Python callable"
		if json.Unmarshal(v, &obj) == nil && obj.ClassName != "" {
			if fn, ok := obj.Config.(string); ok {
				what = fmt.Sprintf("the custom Python callable %s", strings.TrimPrefix(obj.Module+"."+fn, "."))
			}
		}
		return fmt.Errorf("convert: %w: TextVectorization %s is %s, which edgewatt cannot run (it is Python code, not data); rebuild the layer with a built-in %s (standardize: lower_and_strip_punctuation, lower, strip_punctuation or None; split: whitespace, character or None) and retrain, or tokenize outside the model and save a Tokenizer", ErrUnsupportedLayer, key, what, key)
	}
	// standardize
	if v, ok := raw["standardize"]; ok && string(v) != "null" {
		s, _, err := str("standardize")
		if err != nil {
			return nil, callable("standardize")
		}
		switch s {
		case modelfile.StandardizeLowerStrip, modelfile.StandardizeLower, modelfile.StandardizeStrip:
			c.Standardize = s
		default:
			return nil, fmt.Errorf("convert: %w: TextVectorization standardize %q is not one of lower_and_strip_punctuation, lower, strip_punctuation or None", ErrUnsupportedLayer, s)
		}
	} else if ok {
		c.Standardize = modelfile.StandardizeNone
	}
	// split
	if v, ok := raw["split"]; ok && string(v) != "null" {
		s, _, err := str("split")
		if err != nil {
			return nil, callable("split")
		}
		switch s {
		case modelfile.SplitWhitespace, modelfile.SplitCharacter:
			c.Split = s
		default:
			return nil, fmt.Errorf("convert: %w: TextVectorization split %q is not whitespace, character or None", ErrUnsupportedLayer, s)
		}
	} else if ok {
		c.Split = modelfile.SplitNone
	}
	// ngrams: None, n (widths 1..n) or a list of widths.
	if v, ok := raw["ngrams"]; ok && string(v) != "null" {
		var n float64
		var list []float64
		switch {
		case json.Unmarshal(v, &n) == nil:
			if n != math.Trunc(n) || n < 1 || n > modelfile.MaxNGram {
				return nil, fmt.Errorf("convert: TextVectorization ngrams %s must be an integer in 1..%d", abbrev(v), modelfile.MaxNGram)
			}
			var ws []string
			for w := 1; w <= int(n); w++ {
				ws = append(ws, strconv.Itoa(w))
			}
			c.NGrams = strings.Join(ws, ",")
		case json.Unmarshal(v, &list) == nil && len(list) > 0:
			var ws []string
			for _, w := range list {
				if w != math.Trunc(w) || w < 1 || w > modelfile.MaxNGram {
					return nil, fmt.Errorf("convert: TextVectorization ngrams %s: each width must be an integer in 1..%d", abbrev(v), modelfile.MaxNGram)
				}
				ws = append(ws, strconv.Itoa(int(w)))
			}
			c.NGrams = strings.Join(ws, ",")
		default:
			return nil, fmt.Errorf("convert: TextVectorization ngrams %s is not None, an integer or a list of integers", abbrev(v))
		}
		if c.Split == modelfile.SplitNone {
			return nil, fmt.Errorf("convert: %w: TextVectorization has ngrams with split None, which edgewatt does not run", ErrUnsupportedLayer)
		}
	}
	if mode, set, err := str("output_mode"); err != nil {
		return nil, err
	} else if set && mode != "int" {
		return nil, fmt.Errorf("convert: %w: TextVectorization output_mode %q gives a %s vector, not token ids; edgewatt runs output_mode \"int\" followed by an Embedding", ErrUnsupportedLayer, mode, mode)
	}
	if enc, set, err := str("encoding"); err != nil {
		return nil, err
	} else if set && !strings.EqualFold(strings.ReplaceAll(enc, "-", ""), "utf8") {
		return nil, fmt.Errorf("convert: %w: TextVectorization encoding %q; edgewatt reads UTF-8 text only", ErrUnsupportedLayer, enc)
	}
	for _, key := range []string{"ragged", "sparse"} {
		if v, ok := raw[key]; ok && string(v) == "true" {
			return nil, fmt.Errorf("convert: %w: TextVectorization %s=True is not supported (edgewatt pads to output_sequence_length)", ErrUnsupportedLayer, key)
		}
	}
	if v, ok := raw["idf_weights"]; ok && string(v) != "null" {
		return nil, fmt.Errorf("convert: %w: TextVectorization has idf_weights, which only output_mode tf_idf uses", ErrUnsupportedLayer)
	}
	var err error
	if c.SeqLen, err = intOf("output_sequence_length"); err != nil {
		return nil, err
	}
	if c.MaxTokens, err = intOf("max_tokens"); err != nil {
		return nil, err
	}
	if c.VocabSize, err = intOf("vocabulary_size"); err != nil {
		return nil, err
	}
	if v, ok := raw["vocabulary"]; ok && string(v) != "null" {
		var path string
		if json.Unmarshal(v, &path) == nil {
			return nil, fmt.Errorf("convert: TextVectorization vocabulary is the file path %q, which is not in the model; pass the vocabulary itself (layer.get_vocabulary() saved as JSON)", path)
		}
		if err := json.Unmarshal(v, &c.Vocabulary); err != nil {
			return nil, fmt.Errorf("convert: TextVectorization vocabulary is not a list of strings: %v", err)
		}
		c.HasVocab = true
	}
	return c, nil
}

// tokenizer checks vocab as Keras's StringLookup.set_vocabulary does and returns the
// tokenizer: when vocab starts with "" and "[UNK]" those are ids 0 and 1, else they are
// prepended (the tokens get ids from 2).
func (c *textVecConfig) tokenizer(vocab []string, format string) (*Tokenizer, error) {
	if len(vocab) == 0 {
		return nil, errors.New("convert: TextVectorization vocabulary is empty; was the layer adapted (adapt) before saving?")
	}
	if len(vocab) > maxTextVecTokens {
		return nil, fmt.Errorf("convert: TextVectorization vocabulary has %d tokens, more than edgewatt reads (%d)", len(vocab), maxTextVecTokens)
	}
	tokens := vocab
	if len(vocab) >= 2 && vocab[0] == textVecMask && vocab[1] == textVecOOV {
		tokens = vocab[2:]
	}
	t := &Tokenizer{Format: format, Index: make(map[int]string, len(tokens)+1), SeqLen: c.SeqLen}
	t.Index[1] = textVecOOV
	seen := make(map[string]int, len(tokens))
	for i, w := range tokens {
		id := i + 2
		switch {
		case w == textVecMask:
			return nil, fmt.Errorf("convert: TextVectorization vocabulary has the mask token \"\" at index %d; Keras allows it only first (followed by \"[UNK]\")", id)
		case !utf8.ValidString(w):
			return nil, fmt.Errorf("convert: TextVectorization vocabulary token %d is not UTF-8", id)
		case strings.ContainsRune(w, '\n'):
			return nil, fmt.Errorf("convert: TextVectorization vocabulary token %d (%q) contains a newline, which the model file cannot hold", id, w)
		}
		if prev, dup := seen[w]; dup {
			return nil, fmt.Errorf("convert: TextVectorization vocabulary repeats %q (indices %d and %d); Keras refuses such a vocabulary", w, prev, id)
		}
		seen[w] = id
		t.Index[id] = w
	}
	if n := len(tokens) + 2; c.MaxTokens > 0 && n > c.MaxTokens {
		return nil, fmt.Errorf("convert: TextVectorization vocabulary has %d entries with \"\" and \"[UNK]\", more than its max_tokens %d; the vocabulary does not belong to this layer", n, c.MaxTokens)
	}
	if n := len(tokens) + 2; c.VocabSize > 0 && n != c.VocabSize {
		return nil, fmt.Errorf("convert: TextVectorization vocabulary has %d entries with \"\" and \"[UNK]\" but the layer's vocabulary_size is %d; the vocabulary does not belong to this layer", n, c.VocabSize)
	}
	t.Spec = modelfile.TokenizerSpec{
		Mode: modelfile.ModeTextVec, Standardize: c.Standardize, Split: c.Split, NGrams: c.NGrams,
		Lower: c.Standardize == modelfile.StandardizeLower || c.Standardize == modelfile.StandardizeLowerStrip,
		OOVID: 1, StartID: -1, SourceWords: len(tokens),
	}
	return t, nil
}

// splitVocabAsset splits a vocabulary.txt asset as Keras's IndexLookup.load_assets reads it:
// open(path, "r").read().splitlines() (universal newlines, then Python's line boundaries),
// trailing empty lines dropped.
func splitVocabAsset(b []byte) ([]string, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("convert: TextVectorization vocabulary.txt is not UTF-8")
	}
	var lines []string
	s := string(b)
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n++
			}
			start = i + n
		}
		i += n
		if len(lines) > maxTextVecTokens {
			return nil, fmt.Errorf("convert: TextVectorization vocabulary.txt has more than %d lines", maxTextVecTokens)
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, nil
}

// readVocabList reads a vocabulary sidecar: get_vocabulary() as a JSON list, or one token
// a line like the .keras asset.
func readVocabList(b []byte) ([]string, error) {
	t := bytes.TrimSpace(trimBOM(b))
	if len(t) > 0 && t[0] == '[' {
		var v []string
		if err := json.Unmarshal(t, &v); err != nil {
			return nil, fmt.Errorf("convert: TextVectorization vocabulary JSON is not a list of strings: %v", err)
		}
		return v, nil
	}
	return splitVocabAsset(b)
}

// textVecSidecars are the vocabulary file names looked for beside a sidecar config that
// holds no vocabulary.
var textVecSidecars = []string{"vocabulary.json", "vocabulary.txt", "vocab.json"}

// isTextVecConfig reports whether a JSON object is a TextVectorization config (bare, or as
// {"class_name": "TextVectorization", "config": {...}}) and returns the bare config.
func isTextVecConfig(data []byte) (map[string]json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(trimBOM(data)), &obj) != nil {
		return nil, false
	}
	var cls string
	if json.Unmarshal(obj["class_name"], &cls) == nil && cls == "TextVectorization" {
		var inner map[string]json.RawMessage
		if json.Unmarshal(obj["config"], &inner) != nil || inner == nil {
			return nil, false
		}
		return inner, true
	}
	_, hasMode := obj["output_mode"]
	_, hasStd := obj["standardize"]
	return obj, hasMode && hasStd
}

// readTextVecSidecar reads a TextVectorization config saved beside a model, with its
// vocabulary from the config or from a vocabulary file in the same directory. It returns
// the tokenizer and the bytes it was made from (config, then vocabulary).
func readTextVecSidecar(path string, raw map[string]json.RawMessage, data []byte) (*Tokenizer, []byte, error) {
	c, err := parseTextVecConfig(raw)
	if err != nil {
		return nil, nil, err
	}
	vocab := c.Vocabulary
	if !c.HasVocab {
		var tried []string
		for _, name := range textVecSidecars {
			p := filepath.Join(filepath.Dir(path), name)
			tried = append(tried, p)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			b, err := readInput(p, "TextVectorization vocabulary", safeio.MaxTextFile)
			if err != nil {
				return nil, nil, err
			}
			if vocab, err = readVocabList(b); err != nil {
				return nil, nil, fmt.Errorf("%w (%s)", err, p)
			}
			data = append(append(data[:len(data):len(data)], '\n'), b...)
			break
		}
		if vocab == nil {
			return nil, nil, fmt.Errorf("convert: the TextVectorization config %s holds no vocabulary and none was found beside it (%s); save layer.get_vocabulary() as JSON next to it", path, strings.Join(tried, ", "))
		}
	}
	t, err := c.tokenizer(vocab, "keras-textvec-json")
	if err != nil {
		return nil, nil, err
	}
	return t, data, nil
}

// extractTextVec removes a TextVectorization layer from a model and returns its tokenizer,
// with the vocabulary from the config or a .keras archive's assets (asset reads a member,
// ok=false when absent; nil for formats without assets: legacy .h5, TF.js). It returns nil
// when the model has no such layer.
func extractTextVec(m *Model, asset func(name string) ([]byte, bool, error)) (*Tokenizer, error) {
	idx := -1
	for i, l := range m.Layers {
		if l.Class == "TextVectorization" {
			if idx >= 0 {
				return nil, fmt.Errorf("convert: %w: the model has two TextVectorization layers", ErrUnsupportedLayer)
			}
			idx = i
		}
	}
	if idx < 0 {
		return nil, nil
	}
	l := m.Layers[idx]
	for _, prev := range m.Layers[:idx] {
		if prev.Class != "InputLayer" {
			return nil, fmt.Errorf("convert: %w: TextVectorization %q comes after %q (%s); edgewatt runs it only as the model's first layer", ErrUnsupportedLayer, l.Name, prev.Name, prev.Class)
		}
	}
	if idx+1 >= len(m.Layers) || m.Layers[idx+1].Class != "Embedding" {
		return nil, fmt.Errorf("convert: %w: TextVectorization %q is not followed by an Embedding; edgewatt runs TextVectorization, %s", ErrUnsupportedLayer, l.Name, Supported)
	}
	c, err := parseTextVecConfig(l.Config)
	if err != nil {
		return nil, fmt.Errorf("%w (layer %q)", err, l.Name)
	}
	vocab := c.Vocabulary
	if !c.HasVocab {
		// Keras 3 saves the layer's assets under its snake-case class name; the lookup
		// layer inside it writes the same file again under _lookup_layer/.
		var b []byte
		var found bool
		for _, name := range []string{"assets/layers/text_vectorization/vocabulary.txt", "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"} {
			if asset == nil {
				break
			}
			if b, found, err = asset(name); err != nil {
				return nil, fmt.Errorf("convert: %s: %v", name, err)
			} else if found {
				break
			}
		}
		if !found && asset == nil {
			return nil, fmt.Errorf("convert: %w: TextVectorization %q keeps its adapted vocabulary outside the config, which a %s file does not store; save the model as .keras (model.save(\"model.keras\")), or save the layer's get_config() and get_vocabulary() as JSON and pass the config as --tokenizer to a model without the layer", ErrUnsupportedLayer, l.Name, m.Format)
		}
		if !found {
			return nil, fmt.Errorf("convert: TextVectorization %q has no vocabulary in its config and the archive has no assets/layers/text_vectorization/vocabulary.txt; was the layer adapted before model.save?", l.Name)
		}
		if vocab, err = splitVocabAsset(b); err != nil {
			return nil, err
		}
	}
	t, err := c.tokenizer(vocab, "keras-textvec")
	if err != nil {
		return nil, fmt.Errorf("%w (layer %q)", err, l.Name)
	}
	if len(l.Weights) != 0 {
		return nil, fmt.Errorf("convert: TextVectorization %q has %d weight tensors, want none", l.Name, len(l.Weights))
	}
	m.TextVecLayer = l.Name
	m.Layers = append(m.Layers[:idx:idx], m.Layers[idx+1:]...)
	// The string InputLayer before it says nothing about the sequence length.
	for i := range m.Layers[:idx] {
		delete(m.Layers[i].Config, "batch_shape")
		delete(m.Layers[i].Config, "batch_input_shape")
	}
	return t, nil
}

// abbrev returns raw JSON shortened for an error message.
func abbrev(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// modelTokenizer returns the tokenizer for m: its own TextVectorization, or the file
// opts.Tokenizer names. It also returns the bytes it came from and a name for them.
func modelTokenizer(m *Model, opts *Options) (*Tokenizer, []byte, string, error) {
	if m.TextVec == nil {
		t, data, err := ReadTokenizerFile(opts.Tokenizer, opts.Split)
		return t, data, opts.Tokenizer, err
	}
	switch {
	case opts.Tokenizer != "":
		return nil, nil, "", fmt.Errorf("convert: %s carries its own TextVectorization layer (settings and vocabulary); drop --tokenizer %s", opts.Model, opts.Tokenizer)
	case opts.Split != "":
		return nil, nil, "", fmt.Errorf("convert: --split applies to vocab files; %s carries a TextVectorization layer whose split is stored in it", opts.Model)
	}
	return m.TextVec, m.TextVecData, opts.Model + ":TextVectorization", nil
}

// preprocessFor is preprocess for tok: a TextVectorization with output_sequence_length fixes
// maxlen and pads and truncates at the end, and one inside the model pads at the end
// whatever its length.
func preprocessFor(tok *Tokenizer, opts Options, inputLen int) (modelfile.Preprocess, error) {
	if tok.Spec.Mode != modelfile.ModeTextVec || (tok.SeqLen == 0 && tok.Format != "keras-textvec") {
		return preprocess(opts, inputLen)
	}
	if tok.SeqLen > 0 {
		switch {
		case opts.MaxLen != 0 && opts.MaxLen != tok.SeqLen:
			return modelfile.Preprocess{}, fmt.Errorf("convert: --maxlen %d but the TextVectorization's output_sequence_length is %d; drop --maxlen", opts.MaxLen, tok.SeqLen)
		case inputLen != 0 && inputLen != tok.SeqLen:
			return modelfile.Preprocess{}, fmt.Errorf("convert: the TextVectorization's output_sequence_length %d differs from the model's input length %d; the vectorizer does not belong to this model", tok.SeqLen, inputLen)
		}
		opts.MaxLen = tok.SeqLen
	}
	for _, side := range []struct{ flag, val string }{{"--padding", opts.Padding}, {"--truncating", opts.Truncating}} {
		if side.val != "" && side.val != modelfile.Post {
			return modelfile.Preprocess{}, fmt.Errorf("convert: %s %s, but TextVectorization pads and truncates at the end (post); drop %s", side.flag, side.val, side.flag)
		}
	}
	opts.Padding, opts.Truncating = modelfile.Post, modelfile.Post
	return preprocess(opts, inputLen)
}

// withTextVecLayer lists the removed TextVectorization among the source layers, after the
// InputLayer, for inspect.
func withTextVecLayer(src []modelfile.SourceLayer, name string, spec modelfile.TokenizerSpec, seqLen int) []modelfile.SourceLayer {
	none := func(s string) string {
		if s == "" {
			return "None"
		}
		return s
	}
	note := fmt.Sprintf("tokenizer: standardize %s, split %s, ngrams %s, output_sequence_length %d", none(spec.Standardize), none(spec.Split), none(spec.NGrams), seqLen)
	tv := modelfile.SourceLayer{Class: "TextVectorization", Name: name, Note: note}
	i := 0
	for i < len(src) && src[i].Class == "InputLayer" {
		i++
	}
	return append(src[:i:i], append([]modelfile.SourceLayer{tv}, src[i:]...)...)
}
