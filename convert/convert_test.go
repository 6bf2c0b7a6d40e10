package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

func td(name string) string { return filepath.Join("testdata", name) }

// Every generated model converts, parses back, and gives numpy's outputs.
func TestTinyModels(t *testing.T) {
	exp := loadExpected(t)
	cases := []struct {
		model, tok string
		maxlen     int
		format     string
		acts       []string
		layers     []string
		labels     []string
	}{
		{"tiny_k24.h5", "tok.json", 0, "h5", []string{"relu", "sigmoid"},
			[]string{"InputLayer", "Embedding", "GlobalAveragePooling1D", "Dense", "Dropout", "Dense"}, []string{"0", "1"}},
		{"tiny_k3.h5", "tok.pickle", 0, "h5", []string{"relu", "sigmoid"},
			[]string{"InputLayer", "Embedding", "GlobalAveragePooling1D", "Dense", "Dense"}, []string{"0", "1"}},
		{"tiny_mask.h5", "tok.json", 0, "h5", []string{"relu", "linear"},
			[]string{"InputLayer", "Embedding", "GlobalAveragePooling1D", "Dense", "Dense"}, []string{"0", "1"}},
		{"tiny_k22.h5", "tok_string.json", 6, "h5", []string{"tanh", "softmax"},
			[]string{"Embedding", "GlobalAveragePooling1D", "Dense", "Dense"}, []string{"0", "1", "2"}},
		{"tiny.keras", "tok.json", 0, "keras", []string{"relu", "softmax"},
			[]string{"InputLayer", "Embedding", "GlobalAveragePooling1D", "Dense", "Dense"}, []string{"0", "1", "2"}},
		{"tfjs/model.json", "vocab.txt", 0, "tfjs", []string{"relu", "softmax"},
			[]string{"InputLayer", "Embedding", "GlobalAveragePooling1D", "Dense", "Dropout", "Dense"}, []string{"ham", "spam"}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.safetensors")
			if _, err := Convert(Options{Model: td(c.model), Tokenizer: td(c.tok), MaxLen: c.maxlen}, out); err != nil {
				t.Fatal(err)
			}
			f, err := modelfile.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			e := exp.Models[c.model]
			if f.Meta.Preprocess.MaxLen != e.MaxLen {
				t.Errorf("maxlen %d, want %d", f.Meta.Preprocess.MaxLen, e.MaxLen)
			}
			if f.Meta.Provenance.SourceFormat != c.format {
				t.Errorf("format %q, want %q", f.Meta.Provenance.SourceFormat, c.format)
			}
			var classes []string
			for _, l := range f.Meta.Arch.SourceLayers {
				classes = append(classes, l.Class)
			}
			if strings.Join(classes, ",") != strings.Join(c.layers, ",") {
				t.Errorf("layers %v, want %v", classes, c.layers)
			}
			var acts []string
			for _, d := range f.Meta.Arch.Dense {
				acts = append(acts, d.Activation)
			}
			if strings.Join(acts, ",") != strings.Join(c.acts, ",") {
				t.Errorf("activations %v, want %v", acts, c.acts)
			}
			if strings.Join(f.Meta.Labels, ",") != strings.Join(c.labels, ",") {
				t.Errorf("labels %v, want %v", f.Meta.Labels, c.labels)
			}
			if got, want := f.Meta.Arch.Embedding.MaskZero, c.model == "tiny_mask.h5"; got != want {
				t.Errorf("mask_zero %v, want %v", got, want)
			}
			for i, row := range e.Rows {
				got := forwardFile(t, f, row)
				if !closeTo(got, e.Outputs[i], 1e-6) {
					t.Errorf("row %v: got %v, numpy %v", row, got, e.Outputs[i])
				}
			}
		})
	}
}

// Refused models name the reason, wrap the right sentinel and leave no file.
func TestRefused(t *testing.T) {
	cases := []struct {
		model    string
		sentinel error
		want     string
	}{
		{"neg_lstm.h5", ErrUnsupportedLayer, `"lstm" (LSTM)`},
		{"neg_noweights.h5", ErrNoWeights, "no weight tensors"},
		{"neg_nan.h5", nil, "NaN"},
		{"neg_shape.h5", nil, "kernel is [4 5], want [4, 6]"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.safetensors")
			_, err := Convert(Options{Model: td(c.model), Tokenizer: td("tok.json"), MaxLen: 8}, out)
			if err == nil {
				t.Fatal("converted; want an error")
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("error %v does not wrap %v", err, c.sentinel)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if c.sentinel == ErrUnsupportedLayer && !strings.Contains(err.Error(), Supported) {
				t.Errorf("error %q does not list the supported layers", err)
			}
			assertNoFile(t, out)
		})
	}
}

func assertNoFile(t *testing.T, out string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("refused conversion left %s", e.Name())
	}
}

func TestReadH5Layouts(t *testing.T) {
	m, err := ReadH5(td("tiny_k24.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if m.KerasVersion != "2.4.0" || m.Backend != "tensorflow" {
		t.Errorf("version %q backend %q", m.KerasVersion, m.Backend)
	}
	l := m.layer("dense_6")
	if l == nil || len(l.Weights) != 2 || l.Weights[0].Name != "kernel" || !sameShape(l.Weights[0].Shape, 4, 5) || l.Weights[1].Name != "bias" {
		t.Fatalf("dense_6 weights: %+v", l)
	}
	m3, err := ReadH5(td("tiny_k3.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if e := m3.layer("embedding"); e == nil || len(e.Weights) != 1 || !sameShape(e.Weights[0].Shape, 20, 4) {
		t.Fatalf("Keras 3 embedding: %+v", e)
	}
	if n := m3.InputLength(); n != 8 {
		t.Errorf("Keras 3 batch_shape [32, 8]: input length %d, want 8", n)
	}
	k22, err := ReadH5(td("tiny_k22.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if n := k22.InputLength(); n != 0 {
		t.Errorf("Keras 2.2 [null, null]: input length %d, want 0", n)
	}
}

func TestKerasPathsByClass(t *testing.T) {
	m, err := ReadKeras(td("tiny.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if m.KerasVersion != "3.10.0" {
		t.Errorf("keras version %q", m.KerasVersion)
	}
	// Layer "out" is the second Dense: its weights are layers/dense_1/vars.
	out := m.layer("out")
	if out == nil || len(out.Weights) != 2 || !sameShape(out.Weights[0].Shape, 5, 3) || !sameShape(out.Weights[1].Shape, 3) {
		t.Fatalf("layer out: %+v", out)
	}
}

func TestAttrStringsSplit(t *testing.T) {
	got, err := attrStrings(map[string]any{"layer_names0": []string{"a", "b"}, "layer_names1": "c"}, "layer_names")
	if err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Errorf("split attribute: %v %v", got, err)
	}
	if got, err := attrStrings(map[string]any{"weight_names": []any{}}, "weight_names"); err != nil || len(got) != 0 {
		t.Errorf("empty float64 weight_names: %v %v", got, err)
	}
	if _, err := attrStrings(map[string]any{"weight_names": []int64{3}}, "weight_names"); err == nil {
		t.Error("int array taken for strings")
	}
}

func TestDenseActivationForms(t *testing.T) {
	for raw, want := range map[string]string{`"relu"`: "relu", `null`: "linear", `{"module":"keras.activations","class_name":"function","config":"tanh","registered_name":"function"}`: "tanh"} {
		l := Layer{Class: "Dense", Name: "d", Config: map[string]json.RawMessage{"activation": json.RawMessage(raw)}}
		if got, err := l.activation(); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", raw, got, err, want)
		}
	}
	l := Layer{Class: "Dense", Name: "d", Config: map[string]json.RawMessage{"activation": json.RawMessage(`{"class_name":"MyAct","config":{}}`)}}
	if _, err := l.activation(); !errors.Is(err, ErrUnsupportedLayer) {
		t.Errorf("custom activation: %v", err)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"GlobalAveragePooling1D": "global_average_pooling1d", "Dense": "dense",
		"Embedding": "embedding", "InputLayer": "input_layer", "LSTM": "lstm", "Conv1D": "conv1d", "TextVectorization": "text_vectorization"} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenizers(t *testing.T) {
	exp := loadExpected(t)
	for _, c := range []struct{ file, golden, format string }{
		{"tok.json", "tok.json", "keras-json"},
		{"tok.pickle", "tok.json", "keras-pickle"},
		{"tok_p0.pickle", "tok.json", "keras-pickle"},
		{"tok_string.json", "tok_string.json", "keras-json"},
	} {
		t.Run(c.file, func(t *testing.T) {
			tok, _, err := ReadTokenizerFile(td(c.file), "")
			if err != nil {
				t.Fatal(err)
			}
			g := exp.Tokenizers[c.golden]
			if tok.Format != c.format || tok.Spec.Mode != modelfile.ModeKeras {
				t.Errorf("format %q mode %q", tok.Format, tok.Spec.Mode)
			}
			if tok.Spec.NumWords != g.NumWords || tok.Spec.OOVID != g.OOVID || tok.Spec.StartID != -1 {
				t.Errorf("num_words %d oov %d start %d, want %d %d -1", tok.Spec.NumWords, tok.Spec.OOVID, tok.Spec.StartID, g.NumWords, g.OOVID)
			}
			if tok.Spec.Filters != defaultFilters || tok.Spec.Split != " " || !tok.Spec.Lower || tok.Spec.CharLevel {
				t.Errorf("settings %+v", tok.Spec)
			}
			if len(tok.Index) != len(g.WordIndex) {
				t.Errorf("%d words, want %d", len(tok.Index), len(g.WordIndex))
			}
			for w, id := range g.WordIndex {
				if tok.Index[id] != w {
					t.Errorf("id %d is %q, want %q", id, tok.Index[id], w)
				}
			}
			spec, words, err := tok.ForModel(20)
			if err != nil {
				t.Fatal(err)
			}
			want := len(g.WordIndex)
			if g.NumWords > 0 {
				want = g.NumWords - 1
			}
			if spec.VocabWords != want || len(words) != want+1 {
				t.Errorf("vocab words %d (%d), want %d", spec.VocabWords, len(words), want)
			}
			for id := 1; id < len(words); id++ {
				if words[id] != tok.Index[id] {
					t.Errorf("word %d %q, want %q", id, words[id], tok.Index[id])
				}
			}
		})
	}
}

func TestTokenizerBeyondEmbedding(t *testing.T) {
	tok, _, err := ReadTokenizerFile(td("tok_string.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = tok.ForModel(10)
	if err == nil || !strings.Contains(err.Error(), "only 10 rows") {
		t.Fatalf("err = %v, want an error about the embedding's 10 rows", err)
	}
	out := filepath.Join(t.TempDir(), "m.safetensors")
	// 32 words, num_words 12, but a model of 20 rows is fine; the vocab of tok_string has 12.
	if _, err := Convert(Options{Model: td("tiny_k24.h5"), Tokenizer: td("tok_string.json")}, out); err != nil {
		t.Fatal(err)
	}
}

func TestVocab(t *testing.T) {
	for _, mode := range []string{modelfile.ModeModelMaker, modelfile.ModeJSStrip} {
		tok, _, err := ReadTokenizerFile(td("vocab.txt"), mode)
		if err != nil {
			t.Fatal(err)
		}
		s := tok.Spec
		if s.Mode != mode || s.StartID != 1 || s.OOVID != 2 || s.NumWords != 0 || !s.Lower || s.SourceWords != 5 {
			t.Errorf("spec %+v", s)
		}
		spec, words, err := tok.ForModel(8)
		if err != nil {
			t.Fatal(err)
		}
		if spec.VocabWords != 7 || strings.Join(words, "|") != "|||movie|great|bad|it's|the" {
			t.Errorf("words %q (vocab %d)", words, spec.VocabWords)
		}
		if _, _, err := tok.ForModel(7); err == nil {
			t.Error("id 7 accepted for a 7-row embedding")
		}
	}
	for _, bad := range []string{"", "<PAD> 0\nword\n", "<PAD> 1\n", "a 3\nb 3\n", "a 3\na 4\n", "a x\n", "a 0\n", "a -1\n", "a 1 2\n"} {
		if _, err := ReadVocab([]byte(bad), modelfile.ModeModelMaker); err == nil {
			t.Errorf("vocab %q accepted", bad)
		}
	}
	if _, err := ReadVocab([]byte("a 1\n"), "regex"); err == nil {
		t.Error("unknown split mode accepted")
	}
	if _, _, err := ReadTokenizerFile(td("tok.json"), modelfile.ModeJSStrip); err == nil {
		t.Error("--split accepted for a Keras tokenizer")
	}
}

func TestPickleAllowList(t *testing.T) {
	_, _, err := ReadTokenizerFile(td("tok_evil.pickle"), "")
	if err == nil || !strings.Contains(err.Error(), "system") || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("evil pickle: err = %v, want a refusal naming the class", err)
	}
	// A pickle of a plain dict is not a tokenizer.
	if _, err := ReadPickle([]byte("\x80\x04}\x94.")); err == nil || !strings.Contains(err.Error(), "not a keras Tokenizer") {
		t.Errorf("dict pickle: %v", err)
	}
	// A hostile length must not allocate: BINUNICODE8 of 2^62 bytes.
	if _, err := ReadPickle([]byte("\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x40.")); err == nil {
		t.Error("huge length accepted")
	}
}

func TestTokenizerJSONForms(t *testing.T) {
	for _, bad := range []string{``, `{}`, `"x"`, `{"class_name":"Tokenizer"}`, `{"class_name":"Tokenizer","config":{}}`,
		`{"class_name":"Tokenizer","config":{"word_index":"{\"a\":0}"}}`, `{"class_name":"Tokenizer","config":{"word_index":"{\"a\":1,\"b\":1}"}}`,
		`{"class_name":"Tokenizer","config":{"num_words":-1,"word_index":"{\"a\":1}"}}`} {
		if _, err := ReadTokenizerJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	tok, err := ReadTokenizerJSON([]byte(`{"class_name":"Tokenizer","config":{"num_words":null,"oov_token":null,"lower":false,"split":"|","filters":"","char_level":true,"word_index":{"A":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := tok.Spec; s.Lower || s.Split != "|" || s.Filters != "" || !s.CharLevel || s.OOVID != -1 || s.NumWords != 0 {
		t.Errorf("settings not kept exactly: %+v", s)
	}
}

func TestPreprocessAndLabels(t *testing.T) {
	dir := t.TempDir()
	run := func(o Options) error {
		o.Model, o.Tokenizer = td(o.Model), td("tok.json")
		_, err := Convert(o, filepath.Join(dir, "m.safetensors"))
		return err
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Model: "tiny_k22.h5"}, "--maxlen"},
		{Options{Model: "tiny_k24.h5", MaxLen: 9}, "input length 8"},
		{Options{Model: "tiny_k24.h5", Padding: "left"}, "padding"},
		{Options{Model: "tiny_k24.h5", Truncating: "both"}, "truncating"},
		{Options{Model: "tiny_k24.h5", Labels: "a,b,c"}, "3 labels"},
		{Options{Model: "tiny.keras", Labels: "a,,c"}, "empty"},
		{Options{Model: "tiny.keras", Labels: "nosuch/labels.txt"}, "not found"},
	} {
		err := run(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want mention of %q", c.o, err, c.want)
		}
	}
	assertNoFile(t, filepath.Join(dir, "m.safetensors"))
	// The output must never replace an input.
	src := filepath.Join(dir, "model.h5")
	orig, _ := os.ReadFile(td("tiny_k24.h5"))
	os.WriteFile(src, orig, 0o644)
	if _, err := Convert(Options{Model: src, Tokenizer: td("tok.json")}, src); err == nil || !strings.Contains(err.Error(), "is the input") {
		t.Errorf("output = input: %v", err)
	}
	if b, _ := os.ReadFile(src); !bytes.Equal(b, orig) {
		t.Error("the input model was overwritten")
	}
	os.Remove(src)
	lf := filepath.Join(t.TempDir(), "labels.json")
	os.WriteFile(lf, []byte(`{"c": 2, "a": 0, "b": 1}`), 0o644)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	f, err := Convert(Options{Model: td("tiny.keras"), Tokenizer: td("tok.json"), Labels: lf, Padding: "post", Truncating: "post"}, out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.Meta.Labels, ",") != "a,b,c" || f.Meta.Preprocess.Padding != "post" || f.Meta.Preprocess.Truncating != "post" {
		t.Errorf("labels %v preprocess %+v", f.Meta.Labels, f.Meta.Preprocess)
	}
}

// Truncated and corrupted inputs give errors, never panics.
func TestCorruptInputs(t *testing.T) {
	for _, name := range []string{"tiny_k24.h5", "tiny_k3.h5", "tiny.keras", "tfjs/model.json", "tok.pickle", "tok.json"} {
		data, err := os.ReadFile(td(name))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		cuts := []int{0, 1, 8, 64, 512, len(data) / 3, len(data) / 2, len(data) - 100, len(data) - 1}
		for _, n := range cuts {
			if n < 0 || n >= len(data) {
				continue
			}
			p := filepath.Join(dir, filepath.Base(name))
			if err := os.WriteFile(p, data[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(name, "tok") {
				if _, _, err := ReadTokenizerFile(p, ""); err == nil {
					t.Errorf("%s cut to %d bytes: accepted", name, n)
				}
				continue
			}
			if m, err := ReadModel(p); err == nil {
				if _, err := Validate(m); err == nil {
					t.Errorf("%s cut to %d bytes: accepted", name, n)
				}
			}
		}
	}
}

func TestFunctionalChain(t *testing.T) {
	layer := func(cls, name, inbound string) string {
		return `{"class_name":"` + cls + `","config":{"name":"` + name + `"},"inbound_nodes":` + inbound + `}`
	}
	k2 := func(prev string) string { return `[[["` + prev + `",0,0,{}]]]` }
	k3 := func(prev string) string {
		return `[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,8],"keras_history":["` + prev + `",0,0]}}],"kwargs":{}}]`
	}
	model := func(out string, ls ...string) string {
		return `{"class_name":"Functional","config":{"name":"m","layers":[` + strings.Join(ls, ",") + `],"output_layers":[["` + out + `",0,0]]}}`
	}
	chain := model("d2", layer("InputLayer", "in", "[]"), layer("Embedding", "e", k2("in")), layer("GlobalAveragePooling1D", "p", k3("e")),
		layer("Dense", "d1", k2("p")), layer("Dense", "d2", k3("d1")))
	if _, err := parseModelConfig([]byte(chain)); err != nil {
		t.Fatalf("chain refused: %v", err)
	}
	for name, cfg := range map[string]string{
		"skip": model("d2", layer("InputLayer", "in", "[]"), layer("Embedding", "e", k2("in")), layer("GlobalAveragePooling1D", "p", k2("e")),
			layer("Dense", "d1", k2("p")), layer("Dense", "d2", `[[["d1",0,0,{}],["p",0,0,{}]]]`)),
		"output": model("d1", layer("InputLayer", "in", "[]"), layer("Embedding", "e", k2("in")), layer("GlobalAveragePooling1D", "p", k2("e")),
			layer("Dense", "d1", k2("p")), layer("Dense", "d2", k2("d1"))),
		"order": model("d2", layer("InputLayer", "in", "[]"), layer("Embedding", "e", k2("in")), layer("Dense", "d1", k2("p")),
			layer("GlobalAveragePooling1D", "p", k2("e")), layer("Dense", "d2", k2("d1"))),
	} {
		if _, err := parseModelConfig([]byte(cfg)); !errors.Is(err, ErrUnsupportedLayer) {
			t.Errorf("%s: err = %v, want ErrUnsupportedLayer", name, err)
		}
	}
}

func TestDenseDuplicateWeights(t *testing.T) {
	emb := Weight{Name: "embeddings", Shape: []int{3, 2}, Data: make([]float32, 6)}
	kernel := func(v float32) Weight {
		return Weight{Name: "kernel", Shape: []int{2, 1}, Data: []float32{v, v}}
	}
	bias := Weight{Name: "bias", Shape: []int{1}, Data: []float32{0}}
	model := func(dense ...Weight) *Model {
		return &Model{Layers: []Layer{
			{Class: "Embedding", Name: "e", Config: map[string]json.RawMessage{"input_dim": json.RawMessage("3"), "output_dim": json.RawMessage("2")}, Weights: []Weight{emb}},
			{Class: "GlobalAveragePooling1D", Name: "p", Config: map[string]json.RawMessage{}},
			{Class: "Dense", Name: "d", Config: map[string]json.RawMessage{"units": json.RawMessage("1")}, Weights: dense},
		}}
	}
	if _, err := Validate(model(kernel(1), bias)); err != nil {
		t.Fatalf("valid model refused: %v", err)
	}
	// A weight listed twice (a corrupt weight_names, a TF.js manifest naming dense/kernel
	// twice) used to be resolved silently to the last copy.
	for name, ws := range map[string][]Weight{
		"kernel": {kernel(1), bias, kernel(2)},
		"bias":   {kernel(1), bias, bias},
	} {
		if _, err := Validate(model(ws...)); err == nil || !strings.Contains(err.Error(), "two "+name) {
			t.Errorf("two %ss: err = %v, want a refusal", name, err)
		}
	}
}

// gopickle converts pickled integers to a Go int, which is 32 bits on GOARCH=arm: a word id
// of 2^32+3 became 3 there (and was accepted) while amd64 refused it. Integers beyond 32
// bits, which no Keras tokenizer pickle holds, are now refused on every architecture.
func TestPickleIntBeyond32Bits(t *testing.T) {
	tok := func(bigID string) []byte {
		return []byte("\x80\x02ckeras_preprocessing.text\nTokenizer\n)\x81}(X\x0a\x00\x00\x00word_index}(" +
			"X\x01\x00\x00\x00aK\x02X\x01\x00\x00\x00b" + bigID + "uub.")
	}
	if _, err := ReadPickle(tok("K\x03")); err != nil {
		t.Fatalf("small ids refused: %v", err)
	}
	for name, id := range map[string]string{
		"LONG1": "\x8a\x05\x03\x00\x00\x00\x01",
		"LONG4": "\x8b\x05\x00\x00\x00\x03\x00\x00\x00\x01",
		"INT":   "I4294967299\n",
		"LONG":  "L4294967299L\n",
	} {
		if tk, err := ReadPickle(tok(id)); err == nil {
			t.Errorf("%s id 2^32+3 accepted: %v", name, tk.Index)
		}
	}
}

func TestConfigIntBound(t *testing.T) {
	l := Layer{Class: "Dense", Name: "d", Config: map[string]json.RawMessage{"a": json.RawMessage("2147483647"), "b": json.RawMessage("2147483648")}}
	if n, err := l.configInt("a", 0); err != nil || n != math.MaxInt32 {
		t.Errorf("2^31-1: %d %v", n, err)
	}
	// 2^31 was accepted, and int(2^31) does not fit a 32-bit int (GOARCH=arm).
	if n, err := l.configInt("b", 0); err == nil {
		t.Errorf("2^31 accepted as %d", n)
	}
}

// A manifest that names its shard many times used to read and concatenate it every time
// before comparing with what the weights need: a small hostile model.json could make the
// converter read without bound. Shards are now read only up to what the weights need.
func TestTFJSShardsBounded(t *testing.T) {
	j, err := os.ReadFile(td("tfjs/model.json"))
	if err != nil {
		t.Fatal(err)
	}
	shard, err := os.ReadFile(td("tfjs/group1-shard1of1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(j, &doc); err != nil {
		t.Fatal(err)
	}
	group := doc["weightsManifest"].([]any)[0].(map[string]any)
	paths := make([]any, 1000)
	for i := range paths {
		paths[i] = "group1-shard1of1.bin"
	}
	group["paths"] = paths
	many, _ := json.Marshal(doc)
	reads := 0
	_, err = parseTFJS(many, "model.json", func(_ string, max int) ([]byte, error) {
		reads++
		return shard[:min(len(shard), max+1)], nil
	})
	if err == nil || reads > 2 {
		t.Errorf("a shard named 1000 times: err = %v after %d reads, want a refusal after at most 2", err, reads)
	}

	// Through the file system: an oversized shard is refused, a right-sized one read.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data []byte
		ok   bool
	}{{shard, true}, {append(append([]byte(nil), shard...), make([]byte, 1<<20)...), false}, {shard[:len(shard)-4], false}} {
		if err := os.WriteFile(filepath.Join(dir, "group1-shard1of1.bin"), c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadTFJS(filepath.Join(dir, "model.json")); (err == nil) != c.ok {
			t.Errorf("shard of %d bytes (need %d): err = %v", len(c.data), len(shard), err)
		}
	}
}

// A model.json re-saved by an editor that writes a UTF-8 byte-order mark (Windows Notepad)
// used to be "not a Keras .h5, .keras or TF.js model.json".
func TestTFJSWithByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"model.json", "group1-shard1of1.bin"} {
		b, err := os.ReadFile(td("tfjs/" + name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "model.json" {
			b = append([]byte("\xef\xbb\xbf"), b...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := ReadModel(filepath.Join(dir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Validate(m); err != nil {
		t.Fatal(err)
	}
}

func TestBuildNeedsBothFiles(t *testing.T) {
	// Used to fail with "convert: open : no such file or directory".
	for _, o := range []Options{{Tokenizer: td("tok.json")}, {Model: td("tiny_k24.h5")}} {
		if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "set Options.") {
			t.Errorf("%+v: err = %v, want one naming the missing option", o, err)
		}
	}
}
