package convert

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

func textVecFromJSON(t *testing.T, cfg string) (*Tokenizer, error) {
	t.Helper()
	raw, ok := isTextVecConfig([]byte(cfg))
	if !ok {
		t.Fatalf("%s is not recognised as a TextVectorization config", cfg)
	}
	c, err := parseTextVecConfig(raw)
	if err != nil {
		return nil, err
	}
	return c.tokenizer(c.Vocabulary, "test")
}

func TestTextVecConfig(t *testing.T) {
	// Vocabulary passed to the constructor, without the special tokens: Keras prepends
	// "" and "[UNK]", so the tokens get ids from 2.
	tok, err := textVecFromJSON(t, `{"class_name":"TextVectorization","config":{"name":"tv","standardize":null,"split":"character","ngrams":2,"output_mode":"int","output_sequence_length":5,"vocabulary":["a","b","a b"],"max_tokens":null,"encoding":"utf-8"}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := modelfile.TokenizerSpec{Mode: modelfile.ModeTextVec, Standardize: modelfile.StandardizeNone, Split: modelfile.SplitCharacter, NGrams: "1,2", OOVID: 1, StartID: -1, SourceWords: 3}
	if tok.Spec != want || tok.SeqLen != 5 || tok.Index[2] != "a" || tok.Index[4] != "a b" || tok.Index[1] != "[UNK]" {
		t.Errorf("got %+v seqlen %d index %v, want %+v", tok.Spec, tok.SeqLen, tok.Index, want)
	}
	// With the special tokens first they keep ids 0 and 1.
	tok, err = textVecFromJSON(t, `{"standardize":"lower","split":"whitespace","ngrams":[3,1],"output_mode":"int","vocabulary":["","[UNK]","x"],"max_tokens":3,"vocabulary_size":3}`)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Index[2] != "x" || tok.Spec.NGrams != "3,1" || tok.Spec.Standardize != modelfile.StandardizeLower {
		t.Errorf("got %+v index %v", tok.Spec, tok.Index)
	}
	for name, c := range map[string]struct{ cfg, msg string }{
		"callable":    {`{"standardize":{"module":"builtins","class_name":"function","config":"custom_standardization","registered_name":"function"},"output_mode":"int","vocabulary":["a"]}`, "custom Python callable builtins.custom_standardization"},
		"split fn":    {`{"standardize":"lower","split":{"class_name":"function","config":"my_split"},"output_mode":"int","vocabulary":["a"]}`, "custom Python callable"},
		"multi_hot":   {`{"standardize":"lower","output_mode":"multi_hot","vocabulary":["a"]}`, "output_mode \"multi_hot\""},
		"ragged":      {`{"standardize":"lower","output_mode":"int","ragged":true,"vocabulary":["a"]}`, "ragged"},
		"path":        {`{"standardize":"lower","output_mode":"int","vocabulary":"/etc/passwd"}`, "file path"},
		"dup":         {`{"standardize":"lower","output_mode":"int","vocabulary":["a","b","a"]}`, "repeats \"a\""},
		"mask":        {`{"standardize":"lower","output_mode":"int","vocabulary":["a",""]}`, "mask token"},
		"max_tokens":  {`{"standardize":"lower","output_mode":"int","vocabulary":["a","b"],"max_tokens":3}`, "max_tokens 3"},
		"size":        {`{"standardize":"lower","output_mode":"int","vocabulary":["a","b"],"vocabulary_size":9}`, "vocabulary_size is 9"},
		"ngrams0":     {`{"standardize":"lower","output_mode":"int","ngrams":0,"vocabulary":["a"]}`, "ngrams"},
		"ngrams none": {`{"standardize":"lower","split":null,"output_mode":"int","ngrams":2,"vocabulary":["a"]}`, "split None"},
		"encoding":    {`{"standardize":"lower","output_mode":"int","encoding":"latin-1","vocabulary":["a"]}`, "latin-1"},
		"empty":       {`{"standardize":"lower","output_mode":"int","vocabulary":[]}`, "empty"},
	} {
		_, err := textVecFromJSON(t, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.msg)
		}
	}
	_, err = textVecFromJSON(t, `{"standardize":{"class_name":"function","config":"f"},"output_mode":"int"}`)
	if !errors.Is(err, ErrUnsupportedLayer) {
		t.Errorf("a callable standardize: %v does not wrap ErrUnsupportedLayer", err)
	}
}

// splitVocabAsset reads vocabulary.txt as Python's open().read().splitlines() does.
func TestSplitVocabAsset(t *testing.T) {
	got, err := splitVocabAsset([]byte("\n[UNK]\r\nthe\rof\u2028x\u0085y\x1cz\u00a0w\n\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "[UNK]", "the", "of", "x", "y", "z\u00a0w"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := splitVocabAsset([]byte("a\n\xff")); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

// A sidecar config without a vocabulary finds vocabulary.json beside it, and says where
// it looked when there is none.
func TestTextVecSidecarFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vectorizer_config.json")
	os.WriteFile(cfg, []byte(`{"name":"text_vectorization","standardize":"lower_and_strip_punctuation","split":"whitespace","ngrams":null,"output_mode":"int","output_sequence_length":null,"vocabulary":null}`), 0o644)
	if _, _, err := ReadTokenizerFile(cfg, ""); err == nil || !strings.Contains(err.Error(), "vocabulary.json") {
		t.Errorf("no vocabulary: error %v, want one naming vocabulary.json", err)
	}
	v, _ := json.Marshal([]string{"", "[UNK]", "the", "café"})
	os.WriteFile(filepath.Join(dir, "vocabulary.json"), v, 0o644)
	tok, data, err := ReadTokenizerFile(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Index[3] != "café" || tok.Format != "keras-textvec-json" || !strings.Contains(string(data), "café") {
		t.Errorf("got %+v %v", tok.Spec, tok.Index)
	}
	if _, _, err := ReadTokenizerFile(cfg, "jsstrip"); err == nil {
		t.Error("--split accepted with a TextVectorization config")
	}
}

func FuzzTextVecConfig(f *testing.F) {
	f.Add([]byte(`{"standardize":"lower","split":"whitespace","ngrams":[1,2],"output_mode":"int","output_sequence_length":4,"vocabulary":["","[UNK]","a"],"max_tokens":3}`), []byte("\n[UNK]\na\r\nb"))
	f.Add([]byte(`{"class_name":"TextVectorization","config":{"standardize":{"class_name":"function","config":"f"},"output_mode":"int"}}`), []byte(""))
	f.Fuzz(func(t *testing.T, cfg, asset []byte) {
		if lines, err := splitVocabAsset(asset); err == nil {
			for _, l := range lines {
				if strings.ContainsAny(l, "\n\r") {
					t.Fatalf("line %q holds a line break", l)
				}
			}
		}
		raw, ok := isTextVecConfig(cfg)
		if !ok {
			return
		}
		c, err := parseTextVecConfig(raw)
		if err != nil {
			return
		}
		vocab := c.Vocabulary
		if !c.HasVocab {
			if vocab, err = readVocabList(asset); err != nil {
				return
			}
		}
		tok, err := c.tokenizer(vocab, "fuzz")
		if err != nil {
			return
		}
		// What the converter accepts the runtime must accept.
		spec, words, err := tok.ForModel(1 << 30)
		if err != nil {
			return
		}
		if _, err := modelfile.EncodeVocab(words); err != nil {
			t.Fatalf("accepted vocabulary does not encode: %v", err)
		}
		if _, err := runtime.NewTokenizer(spec, words); err != nil {
			t.Fatalf("the runtime refuses an accepted TextVectorization: %v", err)
		}
	})
}

// tinyTextVecKeras rewrites testdata/tiny.keras (Embedding(20,4), input length 8) into a
// model that starts with a TextVectorization layer (layer config tv), with vocabulary as
// its asset when asset is not nil.
func tinyTextVecKeras(t *testing.T, tv map[string]any, asset []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(td("tiny.keras"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "config.json" {
			var cfg map[string]any
			if err := json.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			c := cfg["config"].(map[string]any)
			layers := c["layers"].([]any)
			in := layers[0].(map[string]any)["config"].(map[string]any)
			in["batch_shape"], in["dtype"] = []any{32}, "string"
			tvl := map[string]any{"module": "keras.layers", "class_name": "TextVectorization", "config": tv}
			c["layers"] = append([]any{layers[0], tvl}, layers[1:]...)
			data, _ = json.Marshal(cfg)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		w.Write(data)
	}
	if asset != nil {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "assets/layers/text_vectorization/vocabulary.txt", Method: zip.Store})
		w.Write(asset)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "tv.keras")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A .keras with a TextVectorization inside converts without --tokenizer (vocabulary from
// the assets or the config) and tokenizes as the layer does; without ../shared.
func TestTextVecInKerasSynthetic(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"name": "text_vectorization", "max_tokens": 20, "standardize": "lower_and_strip_punctuation",
			"split": "whitespace", "ngrams": 2, "output_mode": "int", "output_sequence_length": 8, "vocabulary": nil, "encoding": "utf-8"}
	}
	asset := []byte("\n[UNK]\nthe\ncat\nsat\nthe cat\ncat sat\nİstanbul")
	p := tinyTextVecKeras(t, base(), asset)
	f, err := Build(Options{Model: p})
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Tokenizer.NGrams != "1,2" || f.Meta.Preprocess != (modelfile.Preprocess{MaxLen: 8, Padding: "post", Truncating: "post"}) {
		t.Fatalf("tokenizer %+v preprocess %+v", f.Meta.Tokenizer, f.Meta.Preprocess)
	}
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	// "THE CAT, sat!" -> the cat sat | the cat, cat sat; "İstanbul" keeps its İ (ASCII-only
	// lower-casing), "ISTANBUL" becomes "istanbul", which is unknown.
	if got, want := m.Tokenizer().AppendIDs(nil, "THE CAT, sat! İstanbul ISTANBUL"), []int32{2, 3, 4, 7, 1, 5, 6, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	// Vocabulary in the config, without the special tokens: ids from 2.
	cfg := base()
	cfg["vocabulary"], cfg["ngrams"] = []string{"the", "cat"}, nil
	f, err = Build(Options{Model: tinyTextVecKeras(t, cfg, nil)})
	if err != nil {
		t.Fatal(err)
	}
	m, err = runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Tokenizer().AppendIDs(nil, "the dog cat"); !slices.Equal(got, []int32{2, 1, 3}) {
		t.Errorf("config vocabulary: ids %v, want [2 1 3]", got)
	}
	// Refusals, with no file written.
	custom := base()
	custom["standardize"] = map[string]any{"module": "__main__", "class_name": "function", "config": "custom_standardization", "registered_name": "function"}
	tooBig := base()
	tooBig["max_tokens"] = 4
	for name, c := range map[string]struct {
		path, msg string
		opts      Options
	}{
		"callable":   {tinyTextVecKeras(t, custom, asset), "custom Python callable __main__.custom_standardization", Options{}},
		"no asset":   {tinyTextVecKeras(t, base(), nil), "vocabulary.txt", Options{}},
		"max_tokens": {tinyTextVecKeras(t, tooBig, asset), "max_tokens 4", Options{}},
		"tokenizer":  {p, "drop --tokenizer", Options{Tokenizer: td("tok.json")}},
		"maxlen":     {p, "output_sequence_length is 8", Options{MaxLen: 9}},
	} {
		out := filepath.Join(t.TempDir(), "x.safetensors")
		c.opts.Model = c.path
		_, err := Convert(c.opts, out)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.msg)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%s: wrote %s", name, out)
		}
	}
}

// Formats without assets (legacy .h5, TF.js) carry a TextVectorization's vocabulary only in
// its config; without it the refusal says to save as .keras.
func TestExtractTextVecWithoutAssets(t *testing.T) {
	layer := func(vocab string) Layer {
		var cfg map[string]json.RawMessage
		json.Unmarshal([]byte(`{"name":"tv","standardize":"lower","split":"whitespace","output_mode":"int","output_sequence_length":8,"vocabulary":`+vocab+`}`), &cfg)
		return Layer{Class: "TextVectorization", Name: "tv", Config: cfg}
	}
	model := func(vocab string) *Model {
		return &Model{Format: "h5", Layers: []Layer{{Class: "InputLayer", Name: "in", Config: map[string]json.RawMessage{}}, layer(vocab), {Class: "Embedding", Name: "emb"}}}
	}
	m := model(`["a","b"]`)
	tok, err := extractTextVec(m, nil)
	if err != nil || tok == nil || tok.Index[2] != "a" || len(m.Layers) != 2 || m.TextVecLayer != "tv" {
		t.Fatalf("config vocabulary: %v %v, layers %d", tok, err, len(m.Layers))
	}
	_, err = extractTextVec(model(`null`), nil)
	if err == nil || !strings.Contains(err.Error(), "save the model as .keras") || !errors.Is(err, ErrUnsupportedLayer) {
		t.Errorf("no vocabulary in an h5: %v", err)
	}
}
