package runtime

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// TextVectorization (modelfile.ModeTextVec), as TensorFlow computes it for a layer built by
// keras.layers.TextVectorization (Keras 3, keras/src/layers/preprocessing/
// text_vectorization.py, _preprocess and call) with output_mode "int":
//
//  1. standardize "lower" and "lower_and_strip_punctuation": tf.strings.lower(text), whose
//     encoding attribute defaults to "" and then runs absl::AsciiStrToLower
//     (tensorflow/core/kernels/string_lower_op.cc): bytes 'A'..'Z' become 'a'..'z', every
//     other byte is kept. ASCII only: 'É', 'ß', Turkish 'İ' (U+0130) and 'Σ' are unchanged.
//  2. standardize "strip_punctuation" and "lower_and_strip_punctuation":
//     tf.strings.regex_replace(text, REGEX, "") with the REGEX Keras writes inline,
//     [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] (tf_keras names it DEFAULT_STRIP_REGEX).
//     RE2 matches the class, the 32 ASCII characters of Python's string.punctuation (",-\."
//     is the range ',' '-' '.'); it deletes those bytes and nothing else: Unicode punctuation
//     (“ ” ¿ — …) stays, and so does the apostrophe's look-alike U+2019.
//  3. split "whitespace": tf.strings.split(text) (StringSplitV2 with an empty sep:
//     str_util::RemoveLeadingWhitespace / ConsumeNonWhitespace), which splits on runs of
//     the six ASCII whitespace bytes " \t\n\v\f\r" only (U+00A0 and U+3000 are word bytes)
//     and yields no empty tokens. "character": tf.strings.unicode_split(text, "UTF-8"),
//     one token per code point, ill-formed UTF-8 replaced by U+FFFD per maximal subpart
//     (ICU's converter; Unicode 15 §3.9 "U+FFFD Substitution of Maximal Subparts").
//     None: the standardized text is the only token.
//  4. ngrams (widths w1, w2, ...): tf.strings.ngrams(tokens, widths, separator=" "): all
//     n-grams of width w1 in order, then all of width w2, ...; a sequence shorter than w
//     gives none of width w. No n-grams means the tokens themselves.
//  5. lookup (StringLookup, mask_token "", one OOV index): "" maps to 0, a vocabulary
//     token to its index (vocabulary line; line 0 is "", line 1 "[UNK]"), anything else
//     to 1 ("[UNK]").
//
// Because steps 1 and 2 touch ASCII bytes only, the whole standardization is a byte map
// (lower, or delete), which is how appendTextVec runs it; step 3's character split then
// decodes the mapped bytes, since deleting a byte can join the pieces of a code point.
// output_sequence_length is Preprocess{MaxLen, post, post}, applied by Pad.

// Byte classes of the textvec byte map.
const (
	tvKeep  = 0
	tvDrop  = 1 // deleted by strip_punctuation
	tvSpace = 2 // ASCII whitespace (only a separator with split "whitespace")
)

// tvStrip is the character class of Keras's strip regex: Python's string.punctuation.
const tvStrip = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"

// textVec is the ModeTextVec state of a Tokenizer.
type textVec struct {
	split  string
	ngrams []int
	class  [256]uint8
	lower  [256]uint8
}

func (t *Tokenizer) initTextVec(spec modelfile.TokenizerSpec) error {
	if spec.OOVID != 1 || spec.StartID >= 0 {
		return fmt.Errorf("runtime: textvec tokenizer has oov_id %d and start_id %d; TextVectorization's OOV id is 1 (\"[UNK]\") and it prepends nothing", spec.OOVID, spec.StartID)
	}
	tv := &textVec{split: spec.Split}
	lower, strip := false, false
	switch spec.Standardize {
	case modelfile.StandardizeLowerStrip:
		lower, strip = true, true
	case modelfile.StandardizeLower:
		lower = true
	case modelfile.StandardizeStrip:
		strip = true
	case modelfile.StandardizeNone:
	default:
		return fmt.Errorf("runtime: textvec standardize %q is unknown; use %q, %q, %q or \"\" (None)",
			spec.Standardize, modelfile.StandardizeLowerStrip, modelfile.StandardizeLower, modelfile.StandardizeStrip)
	}
	switch spec.Split {
	case modelfile.SplitWhitespace, modelfile.SplitCharacter, modelfile.SplitNone:
	default:
		return fmt.Errorf("runtime: textvec split %q is unknown; use %q, %q or \"\" (None)", spec.Split, modelfile.SplitWhitespace, modelfile.SplitCharacter)
	}
	if len(spec.NGrams) > 0 && spec.Split == modelfile.SplitNone {
		return fmt.Errorf("runtime: textvec ngrams need a split; the layer has split None")
	}
	if spec.NGrams != "" {
		for _, f := range strings.Split(spec.NGrams, ",") {
			w, err := strconv.Atoi(f)
			if err != nil || w < 1 || w > modelfile.MaxNGram {
				return fmt.Errorf("runtime: textvec n-gram widths %q: %q is not a width in 1..%d", spec.NGrams, f, modelfile.MaxNGram)
			}
			tv.ngrams = append(tv.ngrams, w)
		}
	}
	if len(tv.ngrams) == 0 {
		tv.ngrams = []int{1}
	}
	for c := range tv.lower {
		b := byte(c)
		if lower && 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		tv.lower[c] = b
	}
	if strip {
		for i := 0; i < len(tvStrip); i++ {
			tv.class[tvStrip[i]] = tvDrop
		}
	}
	if spec.Split == modelfile.SplitWhitespace {
		for _, c := range []byte(" \t\n\v\f\r") {
			tv.class[c] = tvSpace
		}
	}
	t.tv = tv
	return nil
}

// tvSpan is a token: the text bytes [s, e), of which the kept ones, mapped, are the token;
// bad marks an ill-formed UTF-8 subpart (character split), whose token is U+FFFD.
type tvSpan struct {
	s, e int
	bad  bool
}

var replacementChar = []byte("\uFFFD")

// appendTextVec appends the ids of text in ModeTextVec (see the definitions above). It
// does not allocate when cap(dst) suffices and the longest vocabulary word fits
// maxStackWord bytes.
func (t *Tokenizer) appendTextVec(dst []int32, text string) []int32 {
	tv := t.tv
	var stack [maxStackWord]byte
	buf := stack[:]
	if n := wordBufLen(t.maxWord, text); n > len(buf) {
		buf = make([]byte, n)
	}
	if tv.split == modelfile.SplitNone {
		n, over := t.tvBuild(buf, text, []tvSpan{{0, len(text), false}}, 0, 1)
		if n == 0 && !over {
			return append(dst, 0) // the mask token ""
		}
		return append(dst, t.tvLookup(buf[:n], over))
	}
	for _, w := range tv.ngrams {
		var win [modelfile.MaxNGram]tvSpan
		count := 0
		for pos := 0; ; {
			sp, next, ok := t.tvNext(text, pos)
			if !ok {
				break
			}
			pos = next
			win[count%w] = sp
			count++
			if count >= w {
				n, over := t.tvBuild(buf, text, win[:w], count%w, w)
				dst = append(dst, t.tvLookup(buf[:n], over))
			}
		}
	}
	return dst
}

// tvLookup returns the id of a token (over: longer than any vocabulary word).
func (t *Tokenizer) tvLookup(w []byte, over bool) int32 {
	if !over {
		if id := t.vocab.get(w); id > 0 {
			return id
		}
	}
	return t.oovID
}

// tvBuild writes into buf the n-gram of the w spans of ring starting at first, joined by
// " ", and returns its length, or over when it is longer than buf.
func (t *Tokenizer) tvBuild(buf []byte, text string, ring []tvSpan, first, w int) (int, bool) {
	tv := t.tv
	n := 0
	for k := 0; k < w; k++ {
		sp := ring[(first+k)%w]
		if k > 0 {
			if n == len(buf) {
				return n, true
			}
			buf[n] = ' '
			n++
		}
		if sp.bad {
			if n+len(replacementChar) > len(buf) {
				return n, true
			}
			n += copy(buf[n:], replacementChar)
			continue
		}
		for i := sp.s; i < sp.e; i++ {
			c := text[i]
			if tv.class[c] == tvDrop {
				continue
			}
			if n == len(buf) {
				return n, true
			}
			buf[n] = tv.lower[c]
			n++
		}
	}
	return n, false
}

// tvNext returns the next token at or after pos and the position after it.
func (t *Tokenizer) tvNext(text string, pos int) (tvSpan, int, bool) {
	tv := t.tv
	if tv.split == modelfile.SplitCharacter {
		return tv.nextChar(text, pos)
	}
	// Whitespace: a run of non-space bytes with at least one kept byte. (Deleted bytes
	// between two runs leave the separators adjacent, which split merges.)
	for pos < len(text) {
		for pos < len(text) && tv.class[text[pos]] == tvSpace {
			pos++
		}
		s, kept := pos, false
		for pos < len(text) && tv.class[text[pos]] != tvSpace {
			kept = kept || tv.class[text[pos]] == tvKeep
			pos++
		}
		if kept {
			return tvSpan{s, pos, false}, pos, true
		}
	}
	return tvSpan{}, pos, false
}

// nextKept returns the index of the first byte at or after i that standardization keeps,
// or len(text).
func (tv *textVec) nextKept(text string, i int) int {
	for i < len(text) && tv.class[text[i]] == tvDrop {
		i++
	}
	return i
}

// nextChar decodes the next code point of the standardized text from pos: a well-formed
// UTF-8 sequence, or a maximal subpart of an ill-formed one (bad), or a single byte that
// starts none.
func (tv *textVec) nextChar(text string, pos int) (tvSpan, int, bool) {
	i := tv.nextKept(text, pos)
	if i >= len(text) {
		return tvSpan{}, i, false
	}
	s := i
	b0 := text[i]
	i++
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case b0 < 0x80:
		return tvSpan{s, i, false}, i, true
	case 0xC2 <= b0 && b0 <= 0xDF:
		need = 1
	case b0 == 0xE0:
		need, lo = 2, 0xA0
	case 0xE1 <= b0 && b0 <= 0xEC, b0 == 0xEE, b0 == 0xEF:
		need = 2
	case b0 == 0xED:
		need, hi = 2, 0x9F
	case b0 == 0xF0:
		need, lo = 3, 0x90
	case 0xF1 <= b0 && b0 <= 0xF3:
		need = 3
	case b0 == 0xF4:
		need, hi = 3, 0x8F
	default: // 0x80..0xC1, 0xF5..0xFF: never the start of a sequence
		return tvSpan{s, i, true}, i, true
	}
	end := i
	for k := 0; k < need; k++ {
		j := tv.nextKept(text, end)
		if j >= len(text) || text[j] < lo || text[j] > hi {
			return tvSpan{s, end, true}, end, true
		}
		end = j + 1
		lo, hi = 0x80, 0xBF
	}
	return tvSpan{s, end, false}, end, true
}
