package train

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// DefaultFilters are the characters Keras's Tokenizer removes by default.
const DefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"

// Tokenizer is Keras's keras_preprocessing.text.Tokenizer with lower=True, split=' ',
// char_level=False and the default filters.
type Tokenizer struct {
	NumWords int    // ids >= NumWords become the OOV id; 0 keeps all words
	OOV      string // "" for no OOV token

	DocumentCount int
	words         []string       // in first-appearance order (word_counts / word_docs order)
	counts        map[string]int // word_counts
	docs          map[string]int // word_docs
	index         map[string]int // word_index
	byIndex       []string       // index_word: byIndex[i-1] has index i
}

// NewTokenizer returns an unfitted tokenizer.
func NewTokenizer(numWords int, oov string) *Tokenizer {
	return &Tokenizer{NumWords: numWords, OOV: oov, counts: map[string]int{}, docs: map[string]int{}}
}

// filterSet marks the ASCII characters of DefaultFilters.
var filterSet = func() (s [128]bool) {
	for _, c := range DefaultFilters {
		s[c] = true
	}
	return s
}()

// TextToWordSequence is keras text_to_word_sequence with the defaults: lower-case, every
// filter character becomes a space, split on ' ' and drop empty strings. (Python's str.lower
// and Go's strings.ToLower agree except for a few special-cased code points.)
func TextToWordSequence(text string) []string {
	text = strings.ToLower(text)
	b := []byte(text)
	for i, c := range b {
		if c < 128 && filterSet[c] {
			b[i] = ' '
		}
	}
	parts := strings.Split(string(b), " ")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// FitOnTexts is Tokenizer.fit_on_texts: count words, then index them by count, most
// frequent first, ties in order of first appearance, with the OOV token (if any) at 1.
func (t *Tokenizer) FitOnTexts(texts []string) {
	for _, text := range texts {
		t.DocumentCount++
		seq := TextToWordSequence(text)
		seen := make(map[string]bool, len(seq))
		for _, w := range seq {
			if _, ok := t.counts[w]; !ok {
				t.words = append(t.words, w)
			}
			t.counts[w]++
			if !seen[w] {
				seen[w] = true
				t.docs[w]++
			}
		}
	}
	sorted := append([]string(nil), t.words...)
	sort.SliceStable(sorted, func(i, j int) bool { return t.counts[sorted[i]] > t.counts[sorted[j]] })
	t.byIndex = t.byIndex[:0]
	if t.OOV != "" {
		t.byIndex = append(t.byIndex, t.OOV)
	}
	t.byIndex = append(t.byIndex, sorted...)
	// dict(zip(sorted_voc, range(1, …))): a later duplicate (the OOV token also seen as a
	// word) overwrites the earlier index, as in Python.
	t.index = make(map[string]int, len(t.byIndex))
	for i, w := range t.byIndex {
		t.index[w] = i + 1
	}
}

// WordIndex returns the index of w (0, false when unknown).
func (t *Tokenizer) WordIndex(w string) (int, bool) {
	i, ok := t.index[w]
	return i, ok
}

// VocabSize is the number of indexed words, including the OOV token.
func (t *Tokenizer) VocabSize() int { return len(t.byIndex) }

// TextToSequence is texts_to_sequences for one text.
func (t *Tokenizer) TextToSequence(text string) []int {
	oov, hasOOV := 0, false
	if t.OOV != "" {
		oov, hasOOV = t.index[t.OOV]
	}
	var out []int
	for _, w := range TextToWordSequence(text) {
		i, ok := t.index[w]
		switch {
		case ok && t.NumWords > 0 && i >= t.NumWords:
			if hasOOV {
				out = append(out, oov)
			}
		case ok:
			out = append(out, i)
		case hasOOV:
			out = append(out, oov)
		}
	}
	return out
}

// PadSequence is pad_sequences for one sequence with value 0: padding and truncating are
// "pre" or "post".
func PadSequence(seq []int, maxlen int, padding, truncating string, dst []int32) {
	if len(seq) > maxlen {
		if truncating == "pre" {
			seq = seq[len(seq)-maxlen:]
		} else {
			seq = seq[:maxlen]
		}
	}
	clear(dst[:maxlen])
	if padding == "pre" {
		off := maxlen - len(seq)
		for i, v := range seq {
			dst[off+i] = int32(v)
		}
	} else {
		for i, v := range seq {
			dst[i] = int32(v)
		}
	}
}

// ToJSON is Tokenizer.to_json(): the JSON text json.dumps writes (", " and ": "
// separators, non-ASCII escaped), with the five dictionaries as JSON strings inside it.
// word_docs and index_docs list words in first-appearance order; Python lists them in an
// order that depends on its string hashing, so no order is canonical there.
func (t *Tokenizer) ToJSON() []byte {
	var counts, docs, idocs, iword, windex strings.Builder
	counts.WriteByte('{')
	docs.WriteByte('{')
	idocs.WriteByte('{')
	for i, w := range t.words {
		if i > 0 {
			counts.WriteString(", ")
			docs.WriteString(", ")
			idocs.WriteString(", ")
		}
		counts.WriteString(pyString(w) + ": " + strconv.Itoa(t.counts[w]))
		docs.WriteString(pyString(w) + ": " + strconv.Itoa(t.docs[w]))
		idocs.WriteString(pyString(strconv.Itoa(t.index[w])) + ": " + strconv.Itoa(t.docs[w]))
	}
	counts.WriteByte('}')
	docs.WriteByte('}')
	idocs.WriteByte('}')
	// word_index in insertion order of the zip (a duplicated key keeps its first position
	// but its last value, as a Python dict does); index_word in that dict's order.
	iword.WriteByte('{')
	windex.WriteByte('{')
	done := map[string]bool{}
	first := true
	for _, w := range t.byIndex {
		if done[w] {
			continue
		}
		done[w] = true
		if !first {
			iword.WriteString(", ")
			windex.WriteString(", ")
		}
		first = false
		i := t.index[w]
		iword.WriteString(pyString(strconv.Itoa(i)) + ": " + pyString(w))
		windex.WriteString(pyString(w) + ": " + strconv.Itoa(i))
	}
	iword.WriteByte('}')
	windex.WriteByte('}')

	num := "null"
	if t.NumWords > 0 {
		num = strconv.Itoa(t.NumWords)
	}
	oov := "null"
	if t.OOV != "" {
		oov = pyString(t.OOV)
	}
	var b strings.Builder
	b.WriteString(`{"class_name": "Tokenizer", "config": {"num_words": ` + num)
	b.WriteString(`, "filters": ` + pyString(DefaultFilters))
	b.WriteString(`, "lower": true, "split": " ", "char_level": false, "oov_token": ` + oov)
	b.WriteString(`, "document_count": ` + strconv.Itoa(t.DocumentCount))
	b.WriteString(`, "word_counts": ` + pyString(counts.String()))
	b.WriteString(`, "word_docs": ` + pyString(docs.String()))
	b.WriteString(`, "index_docs": ` + pyString(idocs.String()))
	b.WriteString(`, "index_word": ` + pyString(iword.String()))
	b.WriteString(`, "word_index": ` + pyString(windex.String()))
	b.WriteString("}}")
	return []byte(b.String())
}

// pyString quotes s as Python's json.dumps does with ensure_ascii=True.
func pyString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r >= 0x7f && r < 0x10000):
			if r == 0x7f {
				b.WriteRune(r)
				continue
			}
			b.WriteString(`\u` + hex4(r))
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			b.WriteString(`\u` + hex4(r1) + `\u` + hex4(r2))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hex4(r rune) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15]})
}
