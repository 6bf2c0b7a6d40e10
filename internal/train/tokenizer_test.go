package train

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata golden files with /usr/bin/python3 (python3-keras-preprocessing)")

const python = "/usr/bin/python3"

// havePython reports whether /usr/bin/python3 can import all of mods.
func havePython(t *testing.T, mods ...string) bool {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		return false
	}
	return exec.Command(python, "-c", "import "+strings.Join(mods, ", ")).Run() == nil
}

type golden struct {
	NumWords      int            `json:"num_words"`
	MaxLen        int            `json:"maxlen"`
	DocumentCount int            `json:"document_count"`
	WordCounts    [][2]any       `json:"word_counts"`
	WordIndex     map[string]int `json:"word_index"`
	Sequences     [][]int        `json:"sequences"`
	PaddedPost    [][]int32      `json:"padded_post"`
	PaddedPre     [][]int32      `json:"padded_pre"`
}

func goldenTexts(t *testing.T) []string {
	b, err := os.ReadFile("testdata/tokenizer_texts.txt")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			texts = append(texts, l)
		}
	}
	return texts
}

// TestTokenizerGolden compares fit_on_texts, texts_to_sequences and pad_sequences with the
// output of the real Keras Tokenizer, stored by testdata/tokenizer_golden.py.
func TestTokenizerGolden(t *testing.T) {
	if *update {
		if !havePython(t, "keras_preprocessing") {
			t.Fatal("-update needs /usr/bin/python3 with keras_preprocessing (apt-get install python3-keras-preprocessing)")
		}
		out, err := exec.Command(python, "testdata/tokenizer_golden.py", "testdata/tokenizer_texts.txt", "testdata/tokenizer_golden.json").CombinedOutput()
		if err != nil {
			t.Fatalf("tokenizer_golden.py: %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile("testdata/tokenizer_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	texts := goldenTexts(t)
	tok := NewTokenizer(g.NumWords, "<OOV>")
	tok.FitOnTexts(texts)
	if tok.DocumentCount != g.DocumentCount {
		t.Errorf("document_count %d, keras %d", tok.DocumentCount, g.DocumentCount)
	}
	if len(tok.words) != len(g.WordCounts) {
		t.Fatalf("%d distinct words, keras %d", len(tok.words), len(g.WordCounts))
	}
	for i, wc := range g.WordCounts {
		w, c := wc[0].(string), int(wc[1].(float64))
		if tok.words[i] != w || tok.counts[w] != c {
			t.Errorf("word_counts[%d] = %q:%d, keras %q:%d", i, tok.words[i], tok.counts[tok.words[i]], w, c)
		}
	}
	if !reflect.DeepEqual(tok.index, g.WordIndex) {
		t.Errorf("word_index differs from keras:\n go    %v\n keras %v", tok.index, g.WordIndex)
	}
	for i, text := range texts {
		seq := tok.TextToSequence(text)
		if len(seq) == 0 && len(g.Sequences[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(seq, g.Sequences[i]) {
			t.Errorf("text %d: sequence %v, keras %v", i, seq, g.Sequences[i])
		}
		for _, pad := range []struct {
			mode string
			want []int32
		}{{"post", g.PaddedPost[i]}, {"pre", g.PaddedPre[i]}} {
			got := make([]int32, g.MaxLen)
			PadSequence(seq, g.MaxLen, pad.mode, pad.mode, got)
			if !reflect.DeepEqual(got, pad.want) {
				t.Errorf("text %d padded %s: %v, keras %v", i, pad.mode, got, pad.want)
			}
		}
	}
}

// TestTokenizerJSONParses checks the to_json() shape: an object whose dictionaries are
// JSON strings, in Keras's key order, consistent with the fitted tokenizer.
func TestTokenizerJSONParses(t *testing.T) {
	tok := NewTokenizer(20, "<OOV>")
	tok.FitOnTexts(goldenTexts(t))
	var outer struct {
		ClassName string                     `json:"class_name"`
		Config    map[string]json.RawMessage `json:"config"`
	}
	js := tok.ToJSON()
	if err := json.Unmarshal(js, &outer); err != nil {
		t.Fatalf("to_json output is not JSON: %v", err)
	}
	if outer.ClassName != "Tokenizer" {
		t.Errorf("class_name %q", outer.ClassName)
	}
	var wiText string
	if err := json.Unmarshal(outer.Config["word_index"], &wiText); err != nil {
		t.Fatalf("word_index is not a JSON string: %v", err)
	}
	var wi map[string]int
	if err := json.Unmarshal([]byte(wiText), &wi); err != nil {
		t.Fatalf("word_index string is not JSON: %v", err)
	}
	if !reflect.DeepEqual(wi, tok.index) {
		t.Errorf("word_index in JSON differs from the tokenizer's")
	}
	wantOrder := []string{`"num_words"`, `"filters"`, `"lower"`, `"split"`, `"char_level"`, `"oov_token"`, `"document_count"`,
		`"word_counts"`, `"word_docs"`, `"index_docs"`, `"index_word"`, `"word_index"`}
	last := -1
	for _, k := range wantOrder {
		i := strings.Index(string(js), k+": ")
		if i <= last {
			t.Errorf("config key %s missing or out of Keras's order", k)
		}
		last = i
	}
	for _, c := range js {
		if c >= 0x80 {
			t.Fatalf("to_json output has a non-ASCII byte; json.dumps escapes them")
		}
	}
}

// TestTokenizerJSONLoadsInKeras has the real keras_preprocessing load the JSON with
// tokenizer_from_json and tokenize the texts: it must give Go's sequences.
func TestTokenizerJSONLoadsInKeras(t *testing.T) {
	if !havePython(t, "keras_preprocessing") {
		t.Skip("SKIP: /usr/bin/python3 with keras_preprocessing not found (apt-get install python3-keras-preprocessing); Keras round trip of to_json not checked")
	}
	tok := NewTokenizer(20, "<OOV>")
	texts := goldenTexts(t)
	tok.FitOnTexts(texts)
	dir := t.TempDir()
	p := filepath.Join(dir, "tok.json")
	if err := os.WriteFile(p, tok.ToJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import json, sys
from keras_preprocessing.text import tokenizer_from_json
tok = tokenizer_from_json(open(sys.argv[1]).read())
texts = [l for l in open(sys.argv[2], encoding="utf-8").read().split("\n") if l]
print(json.dumps(tok.texts_to_sequences(texts)))`
	out, err := exec.Command(python, "-c", script, p, "testdata/tokenizer_texts.txt").CombinedOutput()
	if err != nil {
		t.Fatalf("keras tokenizer_from_json failed on our JSON: %v\n%s", err, out)
	}
	var seqs [][]int
	if err := json.Unmarshal(out, &seqs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, text := range texts {
		got := tok.TextToSequence(text)
		if len(got) == 0 && len(seqs[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, seqs[i]) {
			t.Errorf("text %d: go %v, keras from our JSON %v", i, got, seqs[i])
		}
	}
}

func TestPyString(t *testing.T) {
	for in, want := range map[string]string{
		`a"b\c`:     `"a\"b\\c"`,
		"tab\tnl\n": `"tab\tnl\n"`,
		"café":      `"caf\u00e9"`,
		"🙂":         `"\ud83d\ude42"`,
		"\x01\x7f":  `"\u0001` + "\x7f" + `"`,
	} {
		if got := pyString(in); got != want {
			t.Errorf("pyString(%q) = %s, want %s", in, got, want)
		}
	}
}
