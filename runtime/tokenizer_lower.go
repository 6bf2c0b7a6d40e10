package runtime

import "unicode/utf8"

// Python's str.lower(), rune by rune, from the tables in tokenizer_tables.go.

type runeRange struct{ lo, hi rune }

type lowerRange struct {
	lo, hi rune
	stride int32 // 1 or 2
	delta  int32
}

type lowerMulti struct{ r, l0, l1 rune }

// inRanges reports whether r lies in one of the sorted ranges rs.
func inRanges(rs []runeRange, r rune) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if rs[m].hi < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(rs) && rs[lo].lo <= r
}

// lowerTwoByte is pyLower for the two-byte UTF-8 runes U+0080..U+07FF (Latin, Greek,
// Cyrillic, Armenian, Hebrew, Arabic...), built once from the tables: the lowered rune, or 0
// where the mapping is not one rune (U+0130) or depends on context (U+03A3).
var lowerTwoByte = func() (tab [0x800 - 0x80]uint16) {
	for r := rune(0x80); r < 0x800; r++ {
		if r == capitalSigma {
			continue
		}
		if l0, l1 := pyLowerRuneSearch(r); l1 < 0 && l0 <= 0xFFFF {
			tab[r-0x80] = uint16(l0)
		}
	}
	return tab
}()

// pyLowerRune returns Python's lower() of r, a single rune that is not U+03A3, as l0 and,
// when the mapping has two code points, l1 (else l1 < 0).
func pyLowerRune(r rune) (l0, l1 rune) {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r, -1
	}
	if r < 0x800 {
		if l := lowerTwoByte[r-0x80]; l != 0 {
			return rune(l), -1
		}
	}
	return pyLowerRuneSearch(r)
}

// pyLowerRuneSearch is pyLowerRune by binary search in the generated tables.
func pyLowerRuneSearch(r rune) (l0, l1 rune) {
	tab := pyLower[:]
	lo, hi := 0, len(tab)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if tab[m].hi < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(tab) && tab[lo].lo <= r && (r-tab[lo].lo)&(tab[lo].stride-1) == 0 {
		return r + tab[lo].delta, -1
	}
	for _, m := range pyLowerMulti {
		if m.r == r {
			return m.l0, m.l1
		}
	}
	return r, -1
}

const (
	capitalSigma = 0x3A3
	smallSigma   = 0x3C3
	finalSigma   = 0x3C2
)

// pyLowerAt returns Python's lower() of the rune r found at byte offset i of text: r's own
// mapping, except that U+03A3 becomes final sigma in the Final_Sigma context (CPython's
// handle_capital_sigma): preceded by a cased character, skipping case-ignorable ones, and
// not followed by one, skipping case-ignorable ones. The context is the whole text.
func pyLowerAt(text string, i int, r rune) (l0, l1 rune) {
	if r != capitalSigma {
		return pyLowerRune(r)
	}
	if isFinalSigma(text, i) {
		return finalSigma, -1
	}
	return smallSigma, -1
}

func isFinalSigma(text string, i int) bool {
	before := false
	for j := i; j > 0; {
		c, n := utf8.DecodeLastRuneInString(text[:j])
		j -= n
		if inRanges(pyCaseIgnorable[:], c) {
			continue
		}
		before = inRanges(pyCased[:], c)
		break
	}
	if !before {
		return false
	}
	for _, c := range text[i+len("Σ"):] {
		if inRanges(pyCaseIgnorable[:], c) {
			continue
		}
		return !inRanges(pyCased[:], c)
	}
	return true
}
