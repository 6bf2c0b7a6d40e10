package runtime

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// goldenTextVec is runtime/testdata/golden/textvec.json, written by
// testdata/gen_textvec_golden.py (an independent Python transcription of TensorFlow's
// definitions; see that script).
type goldenTextVec struct {
	Vocab    []string `json:"vocab"`
	TextsHex []string `json:"texts_hex"`
	Configs  []struct {
		Name        string    `json:"name"`
		Standardize *string   `json:"standardize"`
		Split       *string   `json:"split"`
		NGrams      []int     `json:"ngrams"`
		SeqLen      *int      `json:"output_sequence_length"`
		IDs         [][]int32 `json:"ids"`
	} `json:"configs"`
}

func textVecSpec(standardize, split *string, ngrams []int, words []string) modelfile.TokenizerSpec {
	var ng []string
	for _, w := range ngrams {
		ng = append(ng, strconv.Itoa(w))
	}
	s := modelfile.TokenizerSpec{Mode: modelfile.ModeTextVec, OOVID: 1, StartID: -1, NGrams: strings.Join(ng, ","), VocabWords: len(words) - 1}
	if standardize != nil {
		s.Standardize = *standardize
	}
	if split != nil {
		s.Split = *split
	}
	return s
}

func TestTextVecGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden", "textvec.json"))
	if err != nil {
		t.Fatalf("golden ids missing (regenerate with /usr/bin/python3 testdata/gen_textvec_golden.py -update): %v", err)
	}
	var g goldenTextVec
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Configs) < 8 || len(g.TextsHex) < 20 {
		t.Fatalf("golden file has %d configs, %d texts: too few to test anything", len(g.Configs), len(g.TextsHex))
	}
	texts := make([]string, len(g.TextsHex))
	for i, h := range g.TextsHex {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		texts[i] = string(b)
	}
	words := append([]string{""}, g.Vocab[1:]...)
	checked := 0
	for _, c := range g.Configs {
		tok, err := NewTokenizer(textVecSpec(c.Standardize, c.Split, c.NGrams, words), words)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for i, text := range texts {
			got := tok.AppendIDs(nil, text)
			if c.SeqLen != nil {
				got = Pad(make([]int32, *c.SeqLen), got, modelfile.Preprocess{MaxLen: *c.SeqLen, Padding: modelfile.Post, Truncating: modelfile.Post})
			}
			if !slices.Equal(got, c.IDs[i]) {
				t.Errorf("%s: text %q: ids %v, TensorFlow's definitions give %v", c.Name, text, got, c.IDs[i])
			}
			if ref := refTextVec(tok, words, text); !slices.Equal(tok.AppendIDs(nil, text), ref) {
				t.Errorf("%s: text %q: ids differ from the plain Go transcription %v", c.Name, text, ref)
			}
			checked++
		}
	}
	t.Logf("%d (config, text) pairs match", checked)
}

// refTextVec is a plain transcription of the definitions in tokenizer_textvec.go, with
// allocations and no shortcuts, for the fuzz target and the golden test.
func refTextVec(tok *Tokenizer, words []string, text string) []int32 {
	tv := tok.tv
	b := []byte(text)
	var std []byte
	for _, c := range b {
		if tv.class[c] == tvDrop {
			continue
		}
		std = append(std, tv.lower[c])
	}
	var toks [][]byte
	switch tv.split {
	case modelfile.SplitWhitespace:
		toks = bytes.FieldsFunc(std, func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
		})
		// FieldsFunc decodes runes; ill-formed bytes are never ASCII whitespace, so the
		// fields are the same as a byte-wise split.
	case modelfile.SplitCharacter:
		for len(std) > 0 {
			_, n := decodeMaximalSubpart(std)
			if n < 0 {
				toks = append(toks, replacementChar)
				std = std[-n:]
				continue
			}
			toks = append(toks, std[:n])
			std = std[n:]
		}
	default:
		toks = [][]byte{std}
	}
	var grams [][]byte
	for _, w := range tv.ngrams {
		for i := 0; i+w <= len(toks); i++ {
			grams = append(grams, bytes.Join(toks[i:i+w], []byte(" ")))
		}
	}
	if tv.split == modelfile.SplitNone {
		grams = toks
	}
	ids := []int32{}
	for _, g := range grams {
		switch {
		case len(g) == 0:
			ids = append(ids, 0)
		default:
			id := int32(1)
			if i := slices.Index(words[2:], string(g)); i >= 0 {
				id = int32(i + 2)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

// decodeMaximalSubpart decodes the first code point of b. For a well-formed sequence it
// returns the rune and its length; for an ill-formed one RuneError and minus the length of
// its maximal subpart (at least 1), written from Unicode Table 3-7 independently of
// nextChar.
func decodeMaximalSubpart(b []byte) (rune, int) {
	if r, n := utf8.DecodeRune(b); r != utf8.RuneError || n != 1 {
		return r, n
	}
	type rng struct{ lo, hi byte }
	var table = []struct {
		lead rng
		next []rng
	}{
		{rng{0xC2, 0xDF}, []rng{{0x80, 0xBF}}},
		{rng{0xE0, 0xE0}, []rng{{0xA0, 0xBF}, {0x80, 0xBF}}},
		{rng{0xE1, 0xEC}, []rng{{0x80, 0xBF}, {0x80, 0xBF}}},
		{rng{0xED, 0xED}, []rng{{0x80, 0x9F}, {0x80, 0xBF}}},
		{rng{0xEE, 0xEF}, []rng{{0x80, 0xBF}, {0x80, 0xBF}}},
		{rng{0xF0, 0xF0}, []rng{{0x90, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}},
		{rng{0xF1, 0xF3}, []rng{{0x80, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}},
		{rng{0xF4, 0xF4}, []rng{{0x80, 0x8F}, {0x80, 0xBF}, {0x80, 0xBF}}},
	}
	for _, row := range table {
		if b[0] < row.lead.lo || b[0] > row.lead.hi {
			continue
		}
		n := 1
		for _, r := range row.next {
			if n >= len(b) || b[n] < r.lo || b[n] > r.hi {
				break
			}
			n++
		}
		return utf8.RuneError, -n
	}
	return utf8.RuneError, -1
}

// tvStrip is the set of Python's string.punctuation, which the RE2 class
// [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] spells (",-\." is the range ',' '-' '.').
func TestTextVecStripSet(t *testing.T) {
	const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" // Python's string.punctuation
	a, b := []byte(tvStrip), []byte(punctuation)
	slices.Sort(a)
	slices.Sort(b)
	if len(a) != 32 || !slices.Equal(a, b) {
		t.Errorf("strip set %q, want string.punctuation %q", a, b)
	}
}

func TestTextVecNoAlloc(t *testing.T) {
	words := []string{"", "[UNK]", "new", "york", "new york", "city"}
	for _, split := range []string{modelfile.SplitWhitespace, modelfile.SplitCharacter, modelfile.SplitNone} {
		std := modelfile.StandardizeLowerStrip
		ngrams := []int{1, 2}
		if split == modelfile.SplitNone {
			ngrams = nil
		}
		tok, err := NewTokenizer(textVecSpec(&std, &split, ngrams, words), words)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]int32, 0, 256)
		text := "New York, new YORK city! Café \xe2!\x82\xac  "
		if n := testing.AllocsPerRun(100, func() { dst = tok.AppendIDs(dst[:0], text) }); n != 0 {
			t.Errorf("split %q: AppendIDs allocates %.1f times per call", split, n)
		}
	}
}

func TestTextVecSpecErrors(t *testing.T) {
	words := []string{"", "[UNK]", "a"}
	ws := modelfile.SplitWhitespace
	none := modelfile.SplitNone
	bad := "upper"
	std := modelfile.StandardizeLower
	for name, spec := range map[string]modelfile.TokenizerSpec{
		"standardize": textVecSpec(&bad, &ws, nil, words),
		"split":       textVecSpec(&std, &bad, nil, words),
		"ngram0":      textVecSpec(&std, &ws, []int{0}, words),
		"ngram17":     textVecSpec(&std, &ws, []int{17}, words),
		"ngram-none":  textVecSpec(&std, &none, []int{2}, words),
		"oov":         func() modelfile.TokenizerSpec { s := textVecSpec(&std, &ws, nil, words); s.OOVID = 2; return s }(),
	} {
		if _, err := NewTokenizer(spec, words); err == nil {
			t.Errorf("%s: NewTokenizer accepted a bad spec", name)
		}
	}
}

func FuzzTextVec(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "new york new york", "caf\xe9 \xe2!\x82\xac", "İ ß 👍🏽", " \t\n"} {
		f.Add(s, uint8(0))
	}
	words := []string{"", "[UNK]", "hello", "world", "new", "york", "new york", "café", "€", "\ufffd", "h", "e", " ", "new york new"}
	stds := []string{modelfile.StandardizeLowerStrip, modelfile.StandardizeLower, modelfile.StandardizeStrip, modelfile.StandardizeNone}
	splits := []string{modelfile.SplitWhitespace, modelfile.SplitCharacter, modelfile.SplitNone}
	var toks []*Tokenizer
	for _, std := range stds {
		for _, split := range splits {
			for _, ng := range [][]int{nil, {1, 2}, {3, 1}} {
				if split == modelfile.SplitNone && ng != nil {
					continue
				}
				tok, err := NewTokenizer(textVecSpec(&std, &split, ng, words), words)
				if err != nil {
					f.Fatal(err)
				}
				toks = append(toks, tok)
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		tok := toks[int(which)%len(toks)]
		got := tok.AppendIDs(nil, text)
		if want := refTextVec(tok, words, text); !slices.Equal(got, want) {
			t.Fatalf("split %q ngrams %v: %q gives %v, the transcription %v", tok.tv.split, tok.tv.ngrams, text, got, want)
		}
	})
}

// BenchmarkTextVec tokenizes a headline with TextVectorization's default settings over a
// 10,000-word vocabulary, and with bigrams.
func BenchmarkTextVec(b *testing.B) {
	words := []string{"", "[UNK]"}
	for i := 0; len(words) < 10000; i++ {
		words = append(words, "w"+strconv.Itoa(i))
	}
	words[100], words[101], words[102] = "mom", "starting", "to"
	text := "Mom starting to fear son's web series closest thing she will have to grandchild"
	for _, ng := range [][]int{nil, {1, 2}} {
		std, split := modelfile.StandardizeLowerStrip, modelfile.SplitWhitespace
		tok, err := NewTokenizer(textVecSpec(&std, &split, ng, words), words)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("ngrams"+strconv.Itoa(len(ng)), func(b *testing.B) {
			dst := make([]int32, 0, 64)
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				dst = tok.AppendIDs(dst[:0], text)
			}
		})
	}
}
