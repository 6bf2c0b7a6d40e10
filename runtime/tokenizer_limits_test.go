package runtime

import (
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Issue 11, item 5: a vocabulary with one very long word made every call allocate a buffer
// of that word's length (16.6 s and 375 MB for 20,000 non-ASCII lines with a 4 MB word).
// The buffer is now bounded by the text: short texts allocate nothing, and the long word is
// still found in a text that holds it.
func TestLongVocabularyWordCostsNothingPerCall(t *testing.T) {
	long := strings.Repeat("é", modelfile.MaxWordBytes/2) // 4096 bytes, the limit
	words := []string{"", "<OOV>", "héllo", "wörld", long}
	for _, mode := range []string{modelfile.ModeKeras, modelfile.ModeModelMaker} {
		spec := modelfile.TokenizerSpec{Mode: mode, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", Lower: true, Split: " ",
			OOVID: 1, StartID: -1, VocabWords: len(words) - 1}
		tok, err := NewTokenizer(spec, words)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]int32, 0, 64)
		text := "Héllo Wörld, ça va?"
		if a := testing.AllocsPerRun(100, func() { dst = tok.AppendIDs(dst[:0], text) }); a != 0 {
			t.Errorf("%s: %v allocations per call with a %d-byte vocabulary word", mode, a, len(long))
		}
		if got := tok.AppendIDs(nil, "x "+strings.ToUpper(long)+" héllo"); len(got) != 3 || got[1] != 4 || got[2] != 2 {
			t.Errorf("%s: the long word in a text: ids %v, want [1 4 2]", mode, got)
		}
	}
}
