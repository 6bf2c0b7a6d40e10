package runtime

import (
	"testing"
	"unicode/utf8"
)

// TestLowerTwoByte checks the two-byte table against the binary search it is built from.
func TestLowerTwoByte(t *testing.T) {
	changed := 0
	for r := rune(0x80); r < 0x800; r++ {
		if r == capitalSigma {
			continue
		}
		a0, a1 := pyLowerRune(r)
		b0, b1 := pyLowerRuneSearch(r)
		if a0 != b0 || a1 != b1 {
			t.Errorf("U+%04X: table %U %d, search %U %d", r, a0, a1, b0, b1)
		}
		// The table must hold every one-rune mapping (pyLowerRune would hide a hole by
		// falling back to the search).
		if b1 < 0 && rune(lowerTwoByte[r-0x80]) != b0 {
			t.Errorf("U+%04X: table holds %U, want %U", r, rune(lowerTwoByte[r-0x80]), b0)
		}
		if b0 != r {
			changed++
		}
	}
	t.Logf("%d two-byte runes change under lower()", changed)
}

// TestDecodeRune compares decodeRune with utf8.DecodeRuneInString on every two-byte
// pattern, alone and followed by a third byte.
func TestDecodeRune(t *testing.T) {
	for x := 0; x < 1<<16; x++ {
		for _, s := range []string{string([]byte{byte(x >> 8), byte(x)}), string([]byte{byte(x >> 8), byte(x), 0x80}), string([]byte{byte(x >> 8)})} {
			r, n := decodeRune(s, 0)
			wr, wn := utf8.DecodeRuneInString(s)
			if r != wr || n != wn {
				t.Fatalf("decodeRune(%q) = %U, %d; utf8 says %U, %d", s, r, n, wr, wn)
			}
		}
	}
}
