package runtime

import (
	"bytes"
	"unicode/utf8"
)

// wordBuf accumulates one word's UTF-8 bytes in buf. A word that does not fit is longer than
// every vocabulary word (buf has the longest one's length), so only the fact is kept (over).
type wordBuf struct {
	buf  []byte
	n    int
	over bool
	in   bool // a character was added since the last separator
}

func (w *wordBuf) add(r rune) {
	w.in = true
	if r < utf8.RuneSelf {
		if w.n < len(w.buf) {
			w.buf[w.n] = byte(r)
			w.n++
		} else {
			w.over = true
		}
		return
	}
	if r < 0x800 {
		if w.n+2 <= len(w.buf) {
			w.buf[w.n] = byte(0xC0 | r>>6)
			w.buf[w.n+1] = byte(0x80 | r&0x3F)
			w.n += 2
		} else {
			w.over = true
		}
		return
	}
	if w.n+utf8.RuneLen(r) <= len(w.buf) {
		w.n += utf8.EncodeRune(w.buf[w.n:], r)
	} else {
		w.over = true
	}
}

// decodeRune is utf8.DecodeRuneInString(text[i:]) with the two-byte runes inline.
func decodeRune(text string, i int) (rune, int) {
	if i+1 < len(text) {
		c0, c1 := text[i], text[i+1]
		if 0xC2 <= c0 && c0 < 0xE0 && c1&0xC0 == 0x80 {
			return rune(c0&0x1F)<<6 | rune(c1&0x3F), 2
		}
	}
	return utf8.DecodeRuneInString(text[i:])
}

func (w *wordBuf) reset() { w.n, w.over, w.in = 0, false, false }

// appendExact is the exact path: it decodes text rune by rune from byte offset from (0, or
// just after a separator), lowers each rune with Python's mapping in its context (the
// whole text), and classifies the lowered runes.
func (t *Tokenizer) appendExact(dst []int32, text string, from int) []int32 {
	if t.mode == modeKeras && !t.charLevel && t.splitRune < 0 {
		return t.appendSplitString(dst, text)
	}
	var stack [maxStackWord]byte
	var buf []byte
	if n := wordBufLen(t.maxWord, text); n <= len(stack) {
		buf = stack[:n]
	} else {
		buf = make([]byte, n)
	}
	w := wordBuf{buf: buf}
	for i := from; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			// ASCII: the ascii table has the lowered byte and its class already.
			i++
			if t.charLevel {
				if id := t.charIDs[c]; id >= 0 {
					dst = append(dst, id)
				}
				continue
			}
			switch m := t.ascii[c]; m {
			case asciiSep:
				if w.in || t.keepEmpty {
					dst = t.lookup(dst, w.buf[:w.n], w.over)
				}
				w.reset()
			case asciiDrop:
			default:
				w.in = true
				if w.n < len(w.buf) {
					w.buf[w.n] = m
					w.n++
				} else {
					w.over = true
				}
			}
			continue
		}
		r, size := decodeRune(text, i)
		if !t.lower {
			dst = t.exactRune(dst, &w, r)
		} else {
			l0, l1 := pyLowerAt(text, i, r)
			dst = t.exactRune(dst, &w, l0)
			if l1 >= 0 {
				dst = t.exactRune(dst, &w, l1)
			}
		}
		i += size
	}
	if !t.charLevel && (w.in || t.keepEmpty) {
		dst = t.lookup(dst, w.buf[:w.n], w.over)
	}
	return dst
}

// exactRune feeds one lowered rune to the word in w, appending ids of finished words.
func (t *Tokenizer) exactRune(dst []int32, w *wordBuf, r rune) []int32 {
	if t.charLevel {
		w.reset()
		w.add(r)
		return t.lookup(dst, w.buf[:w.n], w.over)
	}
	var class uint8
	if r < utf8.RuneSelf {
		class = t.ascii[r]
	} else {
		class = t.classHigh(r)
	}
	switch class {
	case asciiSep:
		if w.in || t.keepEmpty {
			dst = t.lookup(dst, w.buf[:w.n], w.over)
		}
		w.reset()
	case asciiDrop:
	default:
		w.add(r)
	}
	return dst
}

// classHigh classifies a non-ASCII rune like the ascii table: asciiSep, asciiDrop or 0 (a
// word character).
func (t *Tokenizer) classHigh(r rune) uint8 {
	switch t.mode {
	case modeKeras:
		if r == t.splitRune || hasRune(t.filterHigh, r) {
			return asciiSep
		}
	case modeModelMaker:
		if !inRanges(pyWord[:], r) {
			return asciiSep
		}
	case modeJSStrip:
		// JavaScript's \w is ASCII only; non-ASCII white space is kept (it is \s) and does
		// not split (split(" ") splits on U+0020 only).
		if !isJSSpace(r) {
			return asciiDrop
		}
	}
	return 0
}

func hasRune(s []rune, r rune) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(s) && s[lo] == r
}

// splitStackText is the transformed text appendSplitString keeps on the stack.
const splitStackText = 512

// appendSplitString handles ModeKeras with a Split of more than one character, where an
// occurrence of Split may span replaced filter characters and text: it builds the lowered,
// filtered text and splits it as Python's str.split(Split) does, left to right without
// overlaps. It allocates when the transformed text exceeds splitStackText bytes.
func (t *Tokenizer) appendSplitString(dst []int32, text string) []int32 {
	var stack [splitStackText]byte
	b := stack[:0]
	put := func(r rune) {
		if r < utf8.RuneSelf && t.ascii[r] == asciiSep || r >= utf8.RuneSelf && hasRune(t.filterHigh, r) {
			b = append(b, t.split...)
			return
		}
		b = utf8.AppendRune(b, r)
	}
	for i, r := range text {
		if !t.lower {
			put(r)
			continue
		}
		l0, l1 := pyLowerAt(text, i, r)
		put(l0)
		if l1 >= 0 {
			put(l1)
		}
	}
	sep := t.splitBytes
	for len(b) > 0 {
		var word []byte
		if k := bytes.Index(b, sep); k >= 0 {
			word, b = b[:k], b[k+len(sep):]
		} else {
			word, b = b, nil
		}
		if len(word) > 0 {
			dst = t.lookup(dst, word, len(word) > t.maxWord)
		}
	}
	return dst
}
