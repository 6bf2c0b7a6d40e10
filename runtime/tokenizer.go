package runtime

import (
	"fmt"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Tokenizer turns text into token ids exactly as the source tokenizer did on the desktop:
//
//   - modelfile.ModeKeras: keras_preprocessing's Tokenizer.texts_to_sequences for one text,
//     that is text_to_word_sequence (Python str.lower, every Filters character replaced by
//     Split, str.split(Split), empty words dropped) or, with CharLevel, every code point of
//     the lowered text, then the word_index lookup with the num_words cut-off.
//   - modelfile.ModeModelMaker: TFLite Model Maker's average-word-vec tokenizer: Python
//     str.lower, re.split(r"[^\w']+") with Python's Unicode-aware \w, empty words dropped.
//   - modelfile.ModeTextVec: Keras's TextVectorization layer as TensorFlow runs it
//     (tokenizer_textvec.go has the exact definitions and their sources).
//   - modelfile.ModeJSStrip: the TF.js comment-spam codelab: toLowerCase(),
//     replace(/[^\w\s]/g, ""), split(" "). JavaScript's split keeps empty strings, so
//     "a  b" gives "a", "", "b"; the codelab's dictionary has no "" key, so an empty string is
//     an unknown word (OOVID, or dropped when OOVID < 0), and so is the single "" that an
//     empty text splits into.
//
// Lookup: a word with id i maps to i, unless NumWords > 0 and i >= NumWords; such a word,
// and a word not in the vocabulary, maps to OOVID, or is dropped when OOVID < 0. StartID,
// when >= 0, is prepended to every sequence.
//
// Lower-casing is Python's str.lower() as of Unicode 14.0 (Debian 12's Python 3.11, which
// makes the golden ids; other Pythons differ only on code points whose case changed between
// Unicode versions), from tables generated with Python itself by testdata/gen_golden.py: full case mapping (U+0130 'İ' becomes "i̇", two code points) and
// the Final_Sigma rule for U+03A3 'Σ', decided on the whole text before filtering as Python
// does. JavaScript's toLowerCase is taken to be the same mapping.
//
// Invalid UTF-8: Python never sees it (its str holds code points), so there is no reference.
// Each byte that is not part of a valid UTF-8 sequence is treated as one U+FFFD, as Go's
// range loop decodes it, and a word containing it is looked up with U+FFFD's UTF-8 encoding.
//
// ASCII text takes a byte-at-a-time fast path that hashes each word while it scans and
// compares it in place; other text takes the exact rune path. Both give the same ids
// (FuzzTokenizer checks it against each other and against a plain transcription of the
// Python). AppendIDs does not allocate when cap(dst) suffices, except on the exact path when
// the vocabulary holds a word longer than maxStackWord bytes, and in ModeKeras with a Split
// of more than one character when the lowered text exceeds splitStackText bytes.
//
// A Tokenizer is immutable and safe for concurrent use.
type Tokenizer struct {
	mode      uint8
	lower     bool
	charLevel bool
	keepEmpty bool // ModeJSStrip: empty strings between separators are words
	numWords  int32
	oovID     int32
	startID   int32

	// ascii maps each ASCII byte to the byte that goes into the word (lowered when lower),
	// or to asciiSep (ends the word) or asciiDrop (deleted).
	ascii     [128]uint8
	fastASCII bool // the ascii table describes the whole behaviour on ASCII text
	// charIDs is, with CharLevel, the id each ASCII byte appends, or -1 for none.
	charIDs [128]int32

	split      string
	splitBytes []byte
	splitRune  rune   // ModeKeras with a one-character Split, else -1
	filterHigh []rune // sorted non-ASCII Filters characters

	vocab   *vocabTable
	maxWord int // length in bytes of the longest vocabulary word

	tv *textVec // modelfile.ModeTextVec (tokenizer_textvec.go)
}

const (
	modeKeras uint8 = iota
	modeModelMaker
	modeJSStrip
	modeTextVec
)

const (
	asciiSep  = 0x80
	asciiDrop = 0x81
)

// maxStackWord is the word buffer AppendIDs keeps on the stack; a vocabulary with a longer
// word makes AppendIDs allocate a buffer per call.
const maxStackWord = 128

// wordBufLen is the word buffer a call needs: the longest vocabulary word, but never more
// than any word of text can be once lowered and decoded (at most 3 bytes per text byte: an
// invalid byte becomes U+FFFD). A vocabulary with a 4 MB word thus costs a long text, not
// every call, a 4 MB buffer.
func wordBufLen(maxWord int, text string) int {
	if len(text) < (maxWord-4)/3 {
		return 3*len(text) + 4
	}
	return maxWord
}

// NewTokenizer returns the tokenizer of spec over words, where words[0] is "" (padding) and
// words[i] is the word of id i. An empty words[i] is an id without a word (it never
// matches); when a word occurs twice, the lower id wins.
func NewTokenizer(spec modelfile.TokenizerSpec, words []string) (*Tokenizer, error) {
	t := &Tokenizer{
		lower:     spec.Lower,
		charLevel: spec.CharLevel,
		splitRune: -1,
		oovID:     -1,
		startID:   -1,
	}
	switch spec.Mode {
	case modelfile.ModeKeras:
		t.mode = modeKeras
	case modelfile.ModeModelMaker:
		t.mode = modeModelMaker
	case modelfile.ModeJSStrip:
		t.mode = modeJSStrip
		t.keepEmpty = true
	case modelfile.ModeTextVec:
		t.mode = modeTextVec
		if err := t.initTextVec(spec); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("runtime: tokenizer mode %q is unknown; use %q, %q, %q or %q (convert the model again with this edgewatt)",
			spec.Mode, modelfile.ModeKeras, modelfile.ModeModelMaker, modelfile.ModeJSStrip, modelfile.ModeTextVec)
	}
	if len(words) > 1<<31-1 {
		return nil, fmt.Errorf("runtime: tokenizer has %d words, more than int32 ids can hold", len(words))
	}
	if spec.NumWords < 0 || spec.NumWords > 1<<31-1 {
		return nil, fmt.Errorf("runtime: tokenizer num_words %d is out of range; it must be 0 (no limit) or a positive id bound", spec.NumWords)
	}
	t.numWords = int32(spec.NumWords)
	// OOVID and StartID need not be ids of words (a vocab file's <UNKNOWN> may come after
	// every word); whoever feeds the ids to an embedding checks them against its rows.
	if spec.OOVID > 1<<31-1 || spec.StartID > 1<<31-1 {
		return nil, fmt.Errorf("runtime: tokenizer oov_id %d or start_id %d is out of range", spec.OOVID, spec.StartID)
	}
	if spec.OOVID >= 0 {
		t.oovID = int32(spec.OOVID)
	}
	if spec.StartID >= 0 {
		t.startID = int32(spec.StartID)
	}
	if t.mode == modeKeras && !t.charLevel {
		if spec.Split == "" {
			return nil, fmt.Errorf("runtime: keras tokenizer has an empty split string, which Python's str.split rejects; set split (Keras's default is \" \")")
		}
		t.split = spec.Split
		t.splitBytes = []byte(spec.Split)
		if r, n := utf8.DecodeRuneInString(spec.Split); n == len(spec.Split) && r != utf8.RuneError {
			t.splitRune = r
		}
		for _, r := range spec.Filters {
			if r >= utf8.RuneSelf {
				t.filterHigh = insertRune(t.filterHigh, r)
			}
		}
	}

	// The ASCII table: classify each byte after lowering it, as Python lowers the whole
	// text before it filters and splits.
	var class [128]uint8 // of the lowered byte: 0 word byte, asciiSep or asciiDrop
	switch t.mode {
	case modeKeras:
		if !t.charLevel {
			for _, r := range spec.Filters {
				if r < utf8.RuneSelf {
					class[r] = asciiSep
				}
			}
			if t.splitRune >= 0 && t.splitRune < utf8.RuneSelf {
				class[t.splitRune] = asciiSep
			}
		}
		t.fastASCII = t.charLevel || t.splitRune >= 0
	case modeModelMaker:
		for c := range class {
			if !isASCIIWord(byte(c)) && c != '\'' {
				class[c] = asciiSep
			}
		}
		t.fastASCII = !t.charLevel
	case modeJSStrip:
		for c := range class {
			switch {
			case c == ' ':
				class[c] = asciiSep
			case isASCIIWord(byte(c)) || isJSSpace(rune(c)):
			default:
				class[c] = asciiDrop
			}
		}
		t.fastASCII = !t.charLevel
	}
	for c := range t.ascii {
		b := uint8(c)
		if t.lower && 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if class[b] != 0 {
			b = class[b]
		}
		t.ascii[c] = b
	}

	t.vocab = newVocabTable(words)
	t.maxWord = t.vocab.maxWord
	if t.charLevel {
		for c := range t.charIDs {
			ids := t.appendID(nil, t.vocab.get([]byte{t.ascii[c]}))
			t.charIDs[c] = -1
			if len(ids) == 1 {
				t.charIDs[c] = ids[0]
			}
		}
	}
	return t, nil
}

func insertRune(s []rune, r rune) []rune {
	i := 0
	for i < len(s) && s[i] < r {
		i++
	}
	if i < len(s) && s[i] == r {
		return s
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = r
	return s
}

func isASCIIWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// isJSSpace reports whether r matches JavaScript's \s: WhiteSpace and LineTerminator
// (ECMA-262 §12.2, §12.3): TAB, VT, FF, SP, NBSP, ZWNBSP, the other Zs characters, LF,
// CR, LS and PS.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', ' ', '\n', '\r', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// AppendIDs appends the ids of text to dst and returns it: Keras's texts_to_sequences for one
// text (see Tokenizer for the modes), with StartID first when it is >= 0. It does not allocate
// when cap(dst) suffices.
func (t *Tokenizer) AppendIDs(dst []int32, text string) []int32 {
	if t.mode == modeTextVec {
		return t.appendTextVec(dst, text)
	}
	if t.startID >= 0 {
		dst = append(dst, t.startID)
	}
	from := 0
	if t.fastASCII {
		if dst, from = t.appendASCII(dst, text); from < 0 {
			return dst
		}
	}
	return t.appendExact(dst, text, from)
}

// appendASCII is the fast path: it tokenizes text a byte at a time with the ascii table,
// hashing each word as it goes, and looks the word up in place (no copy). It returns -1
// when it has done the whole text, else, at the first non-ASCII byte, the offset where the
// exact path must take over: the start of the unfinished word (the state after a
// separator is the same in both paths).
func (t *Tokenizer) appendASCII(dst []int32, text string) ([]int32, int) {
	if t.charLevel {
		for i := 0; i < len(text); i++ {
			c := text[i]
			if c >= utf8.RuneSelf {
				return dst, i
			}
			if id := t.charIDs[c]; id >= 0 {
				dst = append(dst, id)
			}
		}
		return dst, -1
	}
	var h, acc uint64
	n, start, inWord, resume := 0, 0, false, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= utf8.RuneSelf {
			return dst, resume
		}
		m := t.ascii[c]
		if m < asciiSep {
			if !inWord {
				inWord, start = true, i
			}
			acc = acc<<8 | uint64(m)
			if n&7 == 7 {
				h, acc = hashBlock(h, acc), 0
			}
			n++
			continue
		}
		if m == asciiSep {
			if inWord || t.keepEmpty {
				dst = t.lookupASCII(dst, text[start:i], n, hashEnd(h, acc, n))
			}
			h, acc, n, inWord, resume = 0, 0, 0, false, i+1
		}
	}
	if inWord || t.keepEmpty {
		dst = t.lookupASCII(dst, text[start:], n, hashEnd(h, acc, n))
	}
	return dst, -1
}

// lookupASCII appends the id of the word made of the n mapped bytes of seg, hashing to h.
func (t *Tokenizer) lookupASCII(dst []int32, seg string, n int, h uint64) []int32 {
	var id int32
	if n > 0 && n <= t.maxWord {
		id = t.vocab.getMapped(seg, n, h, &t.ascii)
	}
	return t.appendID(dst, id)
}

// lookup appends the id of word w, or of a word longer than any in the vocabulary (over).
func (t *Tokenizer) lookup(dst []int32, w []byte, over bool) []int32 {
	var id int32
	if !over {
		id = t.vocab.get(w)
	}
	return t.appendID(dst, id)
}

// appendID appends the id of a word whose vocabulary id is id (0: not in the vocabulary),
// as texts_to_sequences does with num_words and the OOV token.
func (t *Tokenizer) appendID(dst []int32, id int32) []int32 {
	if id > 0 && (t.numWords == 0 || id < t.numWords) {
		return append(dst, id)
	}
	if t.oovID >= 0 {
		dst = append(dst, t.oovID)
	}
	return dst
}
