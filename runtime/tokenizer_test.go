package runtime

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// goldenTokenizers is runtime/testdata/golden/tokenizer.json, written by
// testdata/gen_golden.py with the real keras_preprocessing (see that script to regenerate).
type goldenTokenizers struct {
	Python     string   `json:"python"`
	Unicode    string   `json:"unicode"`
	Keras      string   `json:"keras_preprocessing"`
	MaxLen     int      `json:"maxlen"`
	Texts      []string `json:"texts"`
	Tokenizers []struct {
		Name   string                  `json:"name"`
		Source string                  `json:"source"`
		Spec   modelfile.TokenizerSpec `json:"spec"`
		Words  []string                `json:"words"`
		IDs    [][]int32               `json:"ids"`
		Padded map[string][][]int32    `json:"padded"`
	} `json:"tokenizers"`
}

func loadGolden(t testing.TB) *goldenTokenizers {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", "tokenizer.json"))
	if err != nil {
		t.Fatalf("golden ids missing (regenerate with /usr/bin/python3 testdata/gen_golden.py -update): %v", err)
	}
	var g goldenTokenizers
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Texts) < 20 || len(g.Tokenizers) < 10 || g.MaxLen <= 0 {
		t.Fatalf("golden file has %d texts, %d tokenizers, maxlen %d: too few to test anything", len(g.Texts), len(g.Tokenizers), g.MaxLen)
	}
	if g.Unicode != pyUnicodeVersion {
		t.Fatalf("golden ids are from Unicode %s but the lower tables from %s; regenerate both with testdata/gen_golden.py -update", g.Unicode, pyUnicodeVersion)
	}
	return &g
}

// exactOnly runs the exact path, bypassing the ASCII fast path.
func (t *Tokenizer) exactOnly(dst []int32, text string) []int32 {
	if t.startID >= 0 {
		dst = append(dst, t.startID)
	}
	return t.appendExact(dst, text, 0)
}

func TestTokenizerGolden(t *testing.T) {
	g := loadGolden(t)
	t.Logf("golden ids from Python %s, keras_preprocessing %s, Unicode %s", g.Python, g.Keras, g.Unicode)
	for _, c := range g.Tokenizers {
		t.Run(c.Name, func(t *testing.T) {
			if len(c.IDs) != len(g.Texts) {
				t.Fatalf("%d id rows for %d texts", len(c.IDs), len(g.Texts))
			}
			tok, err := NewTokenizer(c.Spec, c.Words)
			if err != nil {
				t.Fatal(err)
			}
			padded := make([]int32, g.MaxLen)
			for i, text := range g.Texts {
				want := c.IDs[i]
				if want == nil {
					want = []int32{}
				}
				got := tok.AppendIDs([]int32{}, text)
				if !slices.Equal(got, want) {
					t.Errorf("%s\ntext %d %q:\n got %v\nwant %v", c.Source, i, text, got, want)
				}
				if got := tok.exactOnly([]int32{}, text); !slices.Equal(got, want) {
					t.Errorf("exact path: text %d %q:\n got %v\nwant %v", i, text, got, want)
				}
				for key, rows := range c.Padded {
					padding, truncating, _ := strings.Cut(key, "/")
					p := modelfile.Preprocess{MaxLen: g.MaxLen, Padding: padding, Truncating: truncating}
					if got := Pad(padded, want, p); !slices.Equal(got, rows[i]) {
						t.Errorf("Pad(%v, %s): got %v, want %v", want, key, got, rows[i])
					}
				}
			}
			if len(c.Padded) != 4 {
				t.Errorf("%d padding/truncating combinations, want 4", len(c.Padded))
			}
		})
	}
}

// refTokenize is a deliberately plain transcription of the Python and JavaScript code, over
// whole strings: the oracle for the fast and exact paths in FuzzTokenizer.
func refTokenize(spec modelfile.TokenizerSpec, index map[string]int, text string) []int32 {
	// Decode as Tokenizer documents: each invalid byte is one U+FFFD.
	runes := []rune(text)
	if spec.Lower {
		var low []rune
		for i, r := range runes {
			if r == capitalSigma {
				// Final_Sigma over the whole string, as CPython's handle_capital_sigma.
				j := i - 1
				for j >= 0 && inRanges(pyCaseIgnorable[:], runes[j]) {
					j--
				}
				final := j >= 0 && inRanges(pyCased[:], runes[j])
				if final {
					k := i + 1
					for k < len(runes) && inRanges(pyCaseIgnorable[:], runes[k]) {
						k++
					}
					final = k == len(runes) || !inRanges(pyCased[:], runes[k])
				}
				if final {
					low = append(low, finalSigma)
				} else {
					low = append(low, smallSigma)
				}
				continue
			}
			l0, l1 := pyLowerRune(r)
			low = append(low, l0)
			if l1 >= 0 {
				low = append(low, l1)
			}
		}
		runes = low
	}
	var seq []string
	switch {
	case spec.Mode == modelfile.ModeKeras && spec.CharLevel:
		for _, r := range runes {
			seq = append(seq, string(r))
		}
	case spec.Mode == modelfile.ModeKeras:
		var b strings.Builder
		for _, r := range runes {
			if strings.ContainsRune(spec.Filters, r) {
				b.WriteString(spec.Split)
			} else {
				b.WriteRune(r)
			}
		}
		for _, w := range strings.Split(b.String(), spec.Split) {
			if w != "" {
				seq = append(seq, w)
			}
		}
	case spec.Mode == modelfile.ModeModelMaker:
		seq = strings.FieldsFunc(string(runes), func(r rune) bool {
			return !(r == '\'' || r == '_' || r < utf8.RuneSelf && isASCIIWord(byte(r)) || r >= utf8.RuneSelf && inRanges(pyWord[:], r))
		})
	case spec.Mode == modelfile.ModeJSStrip:
		kept := strings.Map(func(r rune) rune {
			if r < utf8.RuneSelf && isASCIIWord(byte(r)) || isJSSpace(r) {
				return r
			}
			return -1
		}, string(runes))
		seq = strings.Split(kept, " ")
	}
	ids := []int32{}
	if spec.StartID >= 0 {
		ids = append(ids, int32(spec.StartID))
	}
	for _, w := range seq {
		i, ok := index[w]
		if w != "" && ok && (spec.NumWords == 0 || i < spec.NumWords) {
			ids = append(ids, int32(i))
		} else if spec.OOVID >= 0 {
			ids = append(ids, int32(spec.OOVID))
		}
	}
	return ids
}

// fuzzTokenizers builds one tokenizer per behaviour, with vocabularies that include
// non-ASCII words, a word of maxStackWord+ bytes and words past num_words.
func fuzzTokenizers(t testing.TB) []struct {
	spec  modelfile.TokenizerSpec
	index map[string]int // word -> lowest id, for refTokenize
	tok   *Tokenizer
} {
	base := []string{"", "<OOV>", "the", "a", "man", "dog", "i̇stanbul", "σας", "straße", "son's", "café", "'", "a\u00a0b",
		"x", "y", "ǆ", "🐍", "ab", "_", "i", "\u0307", "ς", "σ", strings.Repeat("w", maxStackWord+3), "tab\tsep", "", "dog"}
	specs := []modelfile.TokenizerSpec{
		{Mode: modelfile.ModeKeras, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", Lower: true, Split: " ", NumWords: 12, OOVID: 1, StartID: -1},
		{Mode: modelfile.ModeKeras, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", Lower: true, Split: " ", OOVID: -1, StartID: -1},
		{Mode: modelfile.ModeKeras, Filters: "aeσ\u0307\u00a0", Lower: false, Split: "-", NumWords: 20, OOVID: -1, StartID: -1},
		{Mode: modelfile.ModeKeras, Filters: "xyz ", Lower: true, Split: "ab", OOVID: 1, StartID: -1},
		{Mode: modelfile.ModeKeras, Filters: ".", Lower: true, Split: "\u00a0", OOVID: 1, StartID: 3},
		{Mode: modelfile.ModeKeras, Lower: true, CharLevel: true, NumWords: 18, OOVID: 1, StartID: -1},
		{Mode: modelfile.ModeKeras, Lower: false, CharLevel: true, OOVID: -1, StartID: -1},
		{Mode: modelfile.ModeModelMaker, Lower: true, OOVID: 2, StartID: 1},
		{Mode: modelfile.ModeJSStrip, Lower: true, OOVID: 2, StartID: 1},
		{Mode: modelfile.ModeJSStrip, Lower: false, OOVID: -1, StartID: -1},
	}
	var out []struct {
		spec  modelfile.TokenizerSpec
		index map[string]int
		tok   *Tokenizer
	}
	for _, s := range specs {
		tok, err := NewTokenizer(s, base)
		if err != nil {
			t.Fatal(err)
		}
		index := map[string]int{}
		for i := len(base) - 1; i >= 1; i-- {
			index[base[i]] = i
		}
		out = append(out, struct {
			spec  modelfile.TokenizerSpec
			index map[string]int
			tok   *Tokenizer
		}{s, index, tok})
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzTokenizer checks, on arbitrary bytes, that nothing panics and that AppendIDs, the
// exact path alone and the plain reference agree; on ASCII text that is the fast path
// against the exact path.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{"", "The man's DOG", "a  b", "ΣΑΣ ΑΣ.Β", "İstanbul", "\xff\xfe", "ab\xe2\x82",
		"x" + strings.Repeat("W", 200) + " the", "tab\tsep", "café\u0301", "🐍 👨\u200d👩", "ǅ a\u00a0b", " 'a' ",
		"the man  dog's  ΑΣ", "a!b  c-d café", "the\tman\u00a0dog", "x y  \xff z"} {
		f.Add(s)
	}
	toks := fuzzTokenizers(f)
	f.Fuzz(func(t *testing.T, text string) {
		for i, c := range toks {
			got := c.tok.AppendIDs(nil, text)
			exact := c.tok.exactOnly(nil, text)
			if !slices.Equal(got, exact) {
				t.Fatalf("tokenizer %d (%+v), ascii=%v: AppendIDs %v, exact path %v for %q", i, c.spec, isASCII(text), got, exact, text)
			}
			if want := refTokenize(c.spec, c.index, text); !slices.Equal(nonNil(got), want) {
				t.Fatalf("tokenizer %d (%+v): got %v, reference %v for %q", i, c.spec, got, want, text)
			}
		}
	})
}

func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

func TestTokenizerLongWords(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes, longer than the stack buffer
	words := []string{"", "<OOV>", long, "a"}
	tok, err := NewTokenizer(modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Filters: "!", Lower: true, Split: " ", OOVID: 1, StartID: -1}, words)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []int32
	}{
		{strings.ToUpper(long) + " a", []int32{2, 3}},
		{long + "é a!" + long, []int32{1, 3, 2}},
		{strings.Repeat("a", 1000), []int32{1}},
	} {
		if got := tok.AppendIDs(nil, tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%.20q...: got %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestNewTokenizerErrors(t *testing.T) {
	words := []string{"", "a", "b"}
	specs := []modelfile.TokenizerSpec{
		{Mode: "bert", Split: " ", OOVID: -1, StartID: -1},
		{Mode: modelfile.ModeKeras, Split: "", OOVID: -1, StartID: -1},
		{Mode: modelfile.ModeKeras, Split: " ", NumWords: -1, OOVID: -1, StartID: -1},
	}
	if strconv.IntSize == 64 { // ids beyond int32
		specs = append(specs, modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Split: " ", OOVID: math.MaxInt, StartID: -1},
			modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Split: " ", NumWords: math.MaxInt, OOVID: -1, StartID: -1})
	}
	for _, spec := range specs {
		if tok, err := NewTokenizer(spec, words); err == nil {
			t.Errorf("NewTokenizer(%+v) = %v, want an error", spec, tok)
		} else {
			t.Log(err)
		}
	}
}

// TestTokenizerDuplicateWords pins the documented choice: the lower id wins.
func TestTokenizerDuplicateWords(t *testing.T) {
	tok, err := NewTokenizer(modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Split: " ", OOVID: -1, StartID: -1}, []string{"", "a", "", "b", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.AppendIDs(nil, "b a  a"); !slices.Equal(got, []int32{3, 1, 1}) {
		t.Errorf("got %v, want [3 1 1]", got)
	}
}

// TestPyLowerTables checks the generated tables against Go's unicode package where Python
// and Go agree by construction, and that the known differences are there.
func TestPyLowerTables(t *testing.T) {
	diff := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF || r == capitalSigma {
			continue
		}
		l0, l1 := pyLowerRune(r)
		if l1 >= 0 || l0 != unicode.ToLower(r) {
			diff++
			if diff <= 20 {
				t.Logf("U+%04X %q: Python lower %q %q, Go unicode.ToLower %q", r, r, l0, max(l1, 0), unicode.ToLower(r))
			}
		}
	}
	t.Logf("%d code points where Python %s's lower() differs from Go's unicode.ToLower (Unicode %s)", diff, pyUnicodeVersion, unicode.Version)
	if l0, l1 := pyLowerRune('İ'); l0 != 'i' || l1 != 0x307 {
		t.Errorf("lower(U+0130) = %q %q, want i U+0307", l0, l1)
	}
	if diff == 0 || diff > 200 {
		t.Errorf("%d differences; the tables look wrong", diff)
	}
	// Final sigma: Python's "ΣΑΣ ΟΔΥΣΣΕΥΣ".lower() is "σας οδυσσευς".
	var b []rune
	text := "ΣΑΣ ΟΔΥΣΣΕΥΣ Σ ΑΣ.Β"
	for i, r := range text {
		l0, _ := pyLowerAt(text, i, r)
		b = append(b, l0)
	}
	if got, want := string(b), "σας οδυσσευς σ ασ.β"; got != want {
		t.Errorf("lower(%q) = %q, want %q", text, got, want)
	}
	for _, tc := range []struct {
		r    rune
		word bool
	}{{'é', true}, {'\u0301', false}, {'٣', true}, {'Ⅻ', true}, {'\u00a0', false}, {'🐍', false}, {'中', true}} {
		if got := inRanges(pyWord[:], tc.r); got != tc.word {
			t.Errorf("Python \\w matches %q: %v, want %v", tc.r, got, tc.word)
		}
	}
}

func TestPad(t *testing.T) {
	seq := []int32{1, 2, 3, 4, 5, 6, 7}
	for _, tc := range []struct {
		n                   int
		padding, truncating string
		seq                 []int32
		want                []int32
	}{
		{4, "pre", "pre", seq, []int32{4, 5, 6, 7}},
		{4, "pre", "post", seq, []int32{1, 2, 3, 4}},
		{4, "post", "pre", seq, []int32{4, 5, 6, 7}},
		{9, "pre", "pre", seq, []int32{0, 0, 1, 2, 3, 4, 5, 6, 7}},
		{9, "post", "pre", seq, []int32{1, 2, 3, 4, 5, 6, 7, 0, 0}},
		{3, "post", "post", nil, []int32{0, 0, 0}},
		{0, "post", "post", seq, []int32{}},
		{7, "", "", seq, seq},
	} {
		dst := make([]int32, tc.n)
		for i := range dst {
			dst[i] = -9 // garbage must be overwritten
		}
		p := modelfile.Preprocess{MaxLen: tc.n, Padding: tc.padding, Truncating: tc.truncating}
		if got := Pad(dst, tc.seq, p); !slices.Equal(got, tc.want) {
			t.Errorf("Pad(%v, %+v) = %v, want %v", tc.seq, p, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Pad with len(dst) != MaxLen did not panic")
		}
	}()
	Pad(make([]int32, 3), seq, modelfile.Preprocess{MaxLen: 4})
}

// headlineVocab is a 10000-word vocabulary like the sarcasm models': the words of the
// benchmark headlines first, then synthetic ones.
func headlineVocab() []string {
	words := []string{"", "<OOV>"}
	for _, w := range strings.Fields("to of the a in for on and is with man new trump about says after how from at by his out up") {
		words = append(words, w)
	}
	for i := len(words); i <= 10000; i++ {
		words = append(words, fmt.Sprintf("w%dx", i))
	}
	return words
}

var kerasDefault = modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n",
	Lower: true, Split: " ", NumWords: 10000, OOVID: 1, StartID: -1}

const (
	headlineASCII    = "Man Says He's Tired Of Trump's Tweets About The New Economy Report"
	headlineNonASCII = "Straße in Berlin: Man Says ΣΑΣ İstanbul café is the New Trump"
)

func TestTokenizerAllocs(t *testing.T) {
	tok, err := NewTokenizer(kerasDefault, headlineVocab())
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]int32, 0, 64)
	for _, text := range []string{headlineASCII, headlineNonASCII} {
		if n := testing.AllocsPerRun(100, func() { dst = tok.AppendIDs(dst[:0], text) }); n != 0 {
			t.Errorf("AppendIDs(%q): %v allocs per call, want 0", text, n)
		}
		if len(dst) < 10 {
			t.Errorf("AppendIDs(%q) = %v: too few ids", text, dst)
		}
	}
	for _, c := range fuzzTokenizers(t) {
		// Multi-character Split included: the headlines are shorter than splitStackText.
		// Without the fuzz vocabulary's word longer than maxStackWord (documented to allocate).
		tok, err := NewTokenizer(c.spec, headlineVocab())
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{headlineASCII, headlineNonASCII} {
			if n := testing.AllocsPerRun(20, func() { dst = tok.AppendIDs(dst[:0], text) }); n != 0 {
				t.Errorf("%+v: %v allocs per call, want 0", c.spec, n)
			}
		}
	}
	padded := make([]int32, 20)
	p := modelfile.Preprocess{MaxLen: 20, Padding: "post", Truncating: "post"}
	if n := testing.AllocsPerRun(100, func() { Pad(padded, dst, p) }); n != 0 {
		t.Errorf("Pad: %v allocs per call, want 0", n)
	}
}

func benchmarkTokenize(b *testing.B, text string) {
	tok, err := NewTokenizer(kerasDefault, headlineVocab())
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]int32, 0, 64)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		dst = tok.AppendIDs(dst[:0], text)
	}
}

func BenchmarkTokenizeHeadline(b *testing.B)         { benchmarkTokenize(b, headlineASCII) }
func BenchmarkTokenizeHeadlineNonASCII(b *testing.B) { benchmarkTokenize(b, headlineNonASCII) }

func BenchmarkPad(b *testing.B) {
	seq := []int32{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	dst := make([]int32, 100)
	p := modelfile.Preprocess{MaxLen: 100, Padding: "post", Truncating: "post"}
	b.ReportAllocs()
	for b.Loop() {
		Pad(dst, seq, p)
	}
}

// TestTokenizerConcurrent shares one Tokenizer between goroutines (run with -race).
func TestTokenizerConcurrent(t *testing.T) {
	g := loadGolden(t)
	c := g.Tokenizers[0]
	tok, err := NewTokenizer(c.Spec, c.Words)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var dst []int32
			for rep := 0; rep < 20; rep++ {
				for i, text := range g.Texts {
					if dst = tok.AppendIDs(dst[:0], text); !slices.Equal(nonNil(dst), nonNil(c.IDs[i])) {
						errs <- fmt.Errorf("text %d: got %v, want %v", i, dst, c.IDs[i])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkTokenizeCyrillic is an all non-ASCII headline (every rune takes the exact path).
func BenchmarkTokenizeCyrillic(b *testing.B) {
	benchmarkTokenize(b, "Мужчина Говорит, Что Устал От Твитов Трампа О Новой Экономике")
}
