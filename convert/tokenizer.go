package convert

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/internal/safeio"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// defaultFilters is keras Tokenizer's default filters argument.
const defaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"

// maxTokenID bounds ids read from a tokenizer file before they are checked against the model.
const maxTokenID = 1 << 24

// Tokenizer is a tokenizer read from a file: its settings and its id -> word map.
type Tokenizer struct {
	Format string // keras-json, keras-pickle, vocab
	Spec   modelfile.TokenizerSpec
	// Index maps each id to its word. Special ids of vocab files (<PAD>, <START>,
	// <UNKNOWN>) are not in it.
	Index map[int]string
	// SeqLen is a TextVectorization's output_sequence_length (0: None): the model file's
	// maxlen, padded and truncated at the end.
	SeqLen int
}

// kerasTokConfig is the part of a keras Tokenizer's config edgewatt uses.
type kerasTokConfig struct {
	NumWords  int
	Filters   string
	Lower     bool
	Split     string
	CharLevel bool
	OOVToken  *string
	wordIndex map[string]int
}

func (c *kerasTokConfig) tokenizer(format string) (*Tokenizer, error) {
	if len(c.wordIndex) == 0 {
		return nil, fmt.Errorf("convert: %s tokenizer has an empty word_index; was it fitted (fit_on_texts) before saving?", format)
	}
	t := &Tokenizer{Format: format, Index: make(map[int]string, len(c.wordIndex))}
	for w, id := range c.wordIndex {
		if id <= 0 || id > maxTokenID {
			return nil, fmt.Errorf("convert: %s tokenizer: word %q has id %d; Keras ids run from 1 (0 is padding)", format, w, id)
		}
		if prev, dup := t.Index[id]; dup {
			return nil, fmt.Errorf("convert: %s tokenizer: words %q and %q share id %d", format, prev, w, id)
		}
		t.Index[id] = w
	}
	t.Spec = modelfile.TokenizerSpec{
		Mode: modelfile.ModeKeras, Filters: c.Filters, Lower: c.Lower, Split: c.Split, CharLevel: c.CharLevel,
		NumWords: c.NumWords, OOVID: -1, StartID: -1, SourceWords: len(c.wordIndex),
	}
	if c.OOVToken != nil {
		if id, ok := c.wordIndex[*c.OOVToken]; ok {
			t.Spec.OOVID = id
		}
	}
	return t, nil
}

// ReadTokenizerJSON reads the output of keras Tokenizer.to_json(): the JSON object, or a
// JSON string holding it (json.dumps(tokenizer.to_json())). Inside, word_index and the
// other tables are JSON text again.
func ReadTokenizerJSON(data []byte) (*Tokenizer, error) {
	data = bytes.TrimSpace(trimBOM(data))
	if len(data) > 0 && data[0] == '"' {
		var inner string
		if err := json.Unmarshal(data, &inner); err != nil {
			return nil, fmt.Errorf("convert: tokenizer JSON string: %v; is the file truncated?", err)
		}
		data = []byte(inner)
	}
	var top struct {
		ClassName string                     `json:"class_name"`
		Config    map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("convert: tokenizer JSON: %v; is the file truncated?", err)
	}
	if top.ClassName != "Tokenizer" || top.Config == nil {
		return nil, fmt.Errorf("convert: tokenizer JSON has class_name %q, want \"Tokenizer\" with a config (the output of keras Tokenizer.to_json())", top.ClassName)
	}
	c := kerasTokConfig{Filters: defaultFilters, Lower: true, Split: " "}
	get := func(key string, dst any) error {
		raw, ok := top.Config[key]
		if !ok || string(raw) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return fmt.Errorf("convert: tokenizer JSON: config.%s: %v", key, err)
		}
		return nil
	}
	var numWords *float64
	for _, e := range []error{get("filters", &c.Filters), get("lower", &c.Lower), get("split", &c.Split),
		get("char_level", &c.CharLevel), get("oov_token", &c.OOVToken), get("num_words", &numWords)} {
		if e != nil {
			return nil, e
		}
	}
	if numWords != nil {
		if *numWords < 0 || *numWords != float64(int(*numWords)) || *numWords > maxTokenID {
			return nil, fmt.Errorf("convert: tokenizer JSON: num_words %v is not a non-negative integer", *numWords)
		}
		c.NumWords = int(*numWords)
	}
	if v, ok := top.Config["analyzer"]; ok && string(v) != "null" {
		return nil, fmt.Errorf("convert: tokenizer JSON: the Tokenizer has a custom analyzer, which edgewatt cannot reproduce")
	}
	raw, ok := top.Config["word_index"]
	if !ok {
		return nil, fmt.Errorf("convert: tokenizer JSON has no config.word_index")
	}
	// word_index is JSON text inside a string (Keras), or, leniently, an object.
	var text string
	if json.Unmarshal(raw, &text) == nil {
		raw = json.RawMessage(text)
	}
	if err := json.Unmarshal(raw, &c.wordIndex); err != nil {
		return nil, fmt.Errorf("convert: tokenizer JSON: word_index is not a word -> id map: %v", err)
	}
	return c.tokenizer("keras-json")
}

// Special words of Model Maker / TF.js vocab files.
const (
	vocabPad     = "<PAD>"
	vocabStart   = "<START>"
	vocabUnknown = "<UNKNOWN>"
)

// ReadVocab reads a Model Maker / TFLite / TF.js vocab file: "word id" per line with
// "<PAD> 0", "<START> 1" (prepended to every sequence) and "<UNKNOWN> 2" (the id of unknown
// words). mode is modelfile.ModeModelMaker or modelfile.ModeJSStrip.
func ReadVocab(data []byte, mode string) (*Tokenizer, error) {
	if mode != modelfile.ModeModelMaker && mode != modelfile.ModeJSStrip {
		return nil, fmt.Errorf("convert: vocab split mode %q must be %s or %s", mode, modelfile.ModeModelMaker, modelfile.ModeJSStrip)
	}
	t := &Tokenizer{Format: "vocab", Index: map[int]string{}}
	t.Spec = modelfile.TokenizerSpec{Mode: mode, Lower: true, OOVID: -1, StartID: -1}
	lines := strings.Split(string(data), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("convert: vocab file is empty")
	}
	seen := map[string]bool{}
	for n, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("convert: vocab line %d is not UTF-8", n+1)
		}
		// ASCII whitespace only: words such as U+0085 or U+00A0 occur in real vocabularies
		// (the TFLite IMDB example's), and Unicode-aware Fields would split them away.
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\v' || r == '\f' || r == '\r' })
		if len(f) != 2 {
			return nil, fmt.Errorf("convert: vocab line %d is %q, want \"word id\"; is this a vocab file (Model Maker vocab.txt / TF.js vocab)?", n+1, line)
		}
		id, err := strconv.Atoi(f[1])
		if err != nil || id < 0 || id > maxTokenID {
			return nil, fmt.Errorf("convert: vocab line %d: id %q is not a non-negative integer", n+1, f[1])
		}
		w := f[0]
		if seen[w] {
			return nil, fmt.Errorf("convert: vocab line %d: word %q appears twice", n+1, w)
		}
		seen[w] = true
		if _, dup := t.Index[id]; dup {
			return nil, fmt.Errorf("convert: vocab line %d: id %d is used twice", n+1, id)
		}
		switch w {
		case vocabPad:
			if id != 0 {
				return nil, fmt.Errorf("convert: vocab line %d: <PAD> has id %d, want 0", n+1, id)
			}
			continue
		case vocabStart:
			t.Spec.StartID = id
		case vocabUnknown:
			t.Spec.OOVID = id
		default:
			if id == 0 {
				return nil, fmt.Errorf("convert: vocab line %d: word %q has id 0, which is padding", n+1, w)
			}
			t.Spec.SourceWords++
		}
		t.Index[id] = w
	}
	if t.Spec.StartID >= 0 {
		delete(t.Index, t.Spec.StartID)
	}
	if t.Spec.OOVID >= 0 {
		delete(t.Index, t.Spec.OOVID)
	}
	return t, nil
}

// ForModel cuts the vocabulary to the ids the runtime can produce (ids < num_words when
// num_words is set) and checks them against the embedding's rows. It returns the spec and
// the words of ids 0..VocabWords (index 0 and special ids are "").
func (t *Tokenizer) ForModel(rows int) (modelfile.TokenizerSpec, []string, error) {
	spec := t.Spec
	maxID := 0
	for id := range t.Index {
		if (spec.NumWords == 0 || id < spec.NumWords) && id > maxID {
			maxID = id
		}
	}
	produced := max(maxID, spec.OOVID, spec.StartID)
	if produced >= rows {
		ids := make([]int, 0, len(t.Index))
		for id := range t.Index {
			if id >= rows && (spec.NumWords == 0 || id < spec.NumWords) {
				ids = append(ids, id)
			}
		}
		sort.Ints(ids)
		example := ""
		if len(ids) > 0 {
			example = fmt.Sprintf(" (e.g. %q = %d)", t.Index[ids[0]], ids[0])
		}
		limit := "no num_words limit"
		if spec.NumWords > 0 {
			limit = fmt.Sprintf("num_words %d", spec.NumWords)
		}
		return spec, nil, fmt.Errorf("convert: the tokenizer produces ids up to %d%s but the model's Embedding has only %d rows (input_dim); the tokenizer (%d words, %s) does not belong to this model: pass the one saved with it", produced, example, rows, len(t.Index), limit)
	}
	words := make([]string, maxID+1)
	for id, w := range t.Index {
		if id <= maxID && (spec.NumWords == 0 || id < spec.NumWords) {
			if strings.ContainsRune(w, '\n') {
				return spec, nil, fmt.Errorf("convert: tokenizer word %d (%q) contains a newline, which the model file cannot hold", id, w)
			}
			words[id] = w
		}
	}
	spec.VocabWords = maxID
	return spec, words, nil
}

// looksLikeOldPickle reports whether data is a protocol 0 or 1 pickle (text opcodes, no
// PROTO header): it starts with GLOBAL ("cmodule\nname\n"), MARK, EMPTY_DICT or EMPTY_LIST
// and ends with STOP ('.'), which no vocab file (words, then newlines) does.
func looksLikeOldPickle(data []byte) bool {
	if len(data) < 2 || data[len(data)-1] != '.' {
		return false
	}
	switch data[0] {
	case '(', '}', ']':
		return true
	case 'c':
		// GLOBAL: a module path and a name, each on its own line, without spaces.
		lines := bytes.SplitN(data[1:min(len(data), 512)], []byte("\n"), 3)
		return len(lines) == 3 && len(lines[0]) > 0 && len(lines[1]) > 0 &&
			!bytes.ContainsAny(lines[0], " \t") && !bytes.ContainsAny(lines[1], " \t")
	}
	return false
}

// ReadTokenizerFile reads a tokenizer of any supported kind, recognised by its content: a
// pickle (protocol 2+), Tokenizer.to_json() output, or a vocab file (split gives the vocab
// file's mode).
func ReadTokenizerFile(path, split string) (*Tokenizer, []byte, error) {
	data, err := readInput(path, "tokenizer", safeio.MaxTextFile)
	if err != nil {
		return nil, nil, err
	}
	if what := modelfile.Sniff(data); what != "" {
		return nil, nil, fmt.Errorf("convert: --tokenizer %s is %s, not a tokenizer: give the model as the first argument and the tokenizer saved with it (Tokenizer.to_json() file, tokenizer pickle or vocab file) as --tokenizer", path, what)
	}
	var t *Tokenizer
	trimmed := bytes.TrimLeft(trimBOM(data), " \t\r\n")
	switch {
	case len(data) > 0 && data[0] == 0x80, looksLikeOldPickle(data):
		t, err = ReadPickle(data) // protocol 2+, or a protocol 0/1 pickle
	case len(trimmed) > 0 && trimmed[0] == '{':
		if raw, ok := isTextVecConfig(data); ok {
			if split != "" {
				return nil, nil, fmt.Errorf("convert: --split applies to vocab files; %s is a TextVectorization config, whose split is stored in it", path)
			}
			t, data, err = readTextVecSidecar(path, raw, data)
			if err != nil {
				return nil, nil, fmt.Errorf("%w (tokenizer %s)", err, path)
			}
			return t, data, nil
		}
		t, err = ReadTokenizerJSON(data)
	case len(trimmed) > 0 && trimmed[0] == '"':
		t, err = ReadTokenizerJSON(data)
	default:
		if split == "" {
			split = modelfile.ModeModelMaker
		}
		t, err = ReadVocab(data, split)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w (tokenizer %s)", err, path)
	}
	if t.Format != "vocab" && split != "" {
		return nil, nil, fmt.Errorf("convert: --split applies to vocab files; %s is a Keras tokenizer, whose settings are stored in it", path)
	}
	return t, data, nil
}
