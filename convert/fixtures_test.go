package convert

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// A real fixture, converted with its author's preprocessing settings (PROVENANCE.md).
type realCase struct {
	dir, model, tok, labels, split string
	maxlen                         int // 0: from the model
	padding, truncating            string
	wantMaxLen                     int
	layers                         string // class:name of every source layer
	emb                            [2]int
	dense                          string // out/activation of each Dense
	vocabWords, oov, start         int
	refs                           []reference // PROVENANCE.md's numpy forward passes
}

type reference struct {
	ids []int
	p   []float64
}

var realCases = []realCase{
	{dir: "h5-keras2.4-sarcasm-k4u5h4l", model: "sarcasm_model.h5", tok: "tokenizer.pickle", maxlen: 100, padding: "post", truncating: "post", wantMaxLen: 100,
		layers: "InputLayer:embedding_2_input Embedding:embedding_2 GlobalAveragePooling1D:global_average_pooling1d_2 Dense:dense_4 Dense:dense_5",
		emb:    [2]int{10000, 16}, dense: "24/relu 1/sigmoid", vocabWords: 9999, oov: 1, start: -1,
		refs: []reference{
			{[]int{1, 838, 2, 907, 1, 5, 4, 2693, 376, 24, 190}, []float64{0.990434}},
			{[]int{265, 3, 1, 243, 2920, 2986, 19, 1598, 230}, []float64{0.000036}},
			{[]int{145, 838, 2, 907, 1749, 2093, 582, 4719, 221, 143, 39, 46, 2, 1}, []float64{0.998591}},
		}},
	{dir: "h5-keras2.15-sarcasm-vocab1000-rafimadani", model: "sarcasm_model.h5", tok: "tokenizer.pickle", maxlen: 120, padding: "post", truncating: "post", wantMaxLen: 120,
		layers: "InputLayer:embedding_input Embedding:embedding GlobalAveragePooling1D:global_average_pooling1d Dense:dense Dense:dense_1",
		emb:    [2]int{1000, 16}, dense: "24/relu 1/sigmoid", vocabWords: 999, oov: 1, start: -1,
		refs: []reference{
			{[]int{1, 890, 2, 891, 1, 5, 4, 1, 380, 22, 178}, []float64{0.205847}},
			{[]int{249, 3, 1, 247, 1, 1, 20, 1, 259}, []float64{0.591380}},
			{[]int{153, 890, 2, 891, 1, 1, 595, 1, 221, 133, 36, 45, 2, 1}, []float64{0.774003}},
		}},
	{dir: "h5-keras3.8-sarcasm-nisthachauhan", model: "sarcasm_model.h5", tok: "tokenizer.pickle", maxlen: 100, padding: "post", truncating: "", wantMaxLen: 100,
		layers: "InputLayer:input_layer Embedding:embedding GlobalAveragePooling1D:global_average_pooling1d Dense:dense Dense:dense_1",
		emb:    [2]int{10000, 16}, dense: "24/relu 1/sigmoid", vocabWords: 9999, oov: 1, start: -1,
		refs: []reference{
			{[]int{1, 890, 2, 891, 1, 5, 4, 2565, 380, 22, 178}, []float64{0.292888}},
			{[]int{249, 3, 1, 247, 3385, 2933, 20, 1551, 259}, []float64{0.004511}},
			{[]int{153, 890, 2, 891, 1445, 2215, 595, 5650, 221, 133, 36, 45, 2, 8864}, []float64{0.982680}},
		}},
	{dir: "dotkeras-keras3.10-sarcasm-lumb3", model: "sarcasm_model.keras", tok: "tokenizer.pickle", maxlen: 100, padding: "post", truncating: "post", wantMaxLen: 100,
		layers: "InputLayer:input_layer Embedding:embedding GlobalAveragePooling1D:global_average_pooling1d Dense:dense Dense:dense_1",
		emb:    [2]int{10000, 16}, dense: "24/relu 1/sigmoid", vocabWords: 9999, oov: 1, start: -1,
		refs: []reference{
			{[]int{1, 890, 2, 891, 1, 5, 4, 2565, 380, 22, 178}, []float64{0.462683}},
			{[]int{249, 3, 1, 247, 3385, 2933, 20, 1551, 259}, []float64{0.007801}},
			{[]int{153, 890, 2, 891, 1445, 2215, 595, 5650, 221, 133, 36, 45, 2, 8864}, []float64{0.994089}},
		}},
	{dir: "dotkeras-keras3.9-int8tflite-multiclass-houjou", model: "text_classifier.keras", tok: "tokenizer.json", labels: "label_encoder.json", wantMaxLen: 9,
		layers: "InputLayer:input_layer Embedding:embedding GlobalAveragePooling1D:global_average_pooling1d Dense:dense Dense:dense_1",
		emb:    [2]int{205, 32}, dense: "64/relu 35/softmax", vocabWords: 204, oov: -1, start: -1},
	{dir: "tfjs-layers-commentspam-trixky", model: "model.json", tok: "vocab", split: "jsstrip", padding: "post", truncating: "post", wantMaxLen: 20,
		layers: "InputLayer:input_1 Embedding:embedding GlobalAveragePooling1D:global_average_pooling1d Dense:dense Dropout:dropout Dense:dense_1",
		emb:    [2]int{2003, 7}, dense: "7/relu 2/softmax", vocabWords: 2002, oov: 2, start: 1},
}

func TestRealFixtures(t *testing.T) {
	for _, c := range realCases {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			dir := fixtures.Require(t, c.dir)
			o := Options{Model: filepath.Join(dir, c.model), Tokenizer: filepath.Join(dir, c.tok), MaxLen: c.maxlen,
				Padding: c.padding, Truncating: c.truncating, Split: c.split}
			if c.labels != "" {
				o.Labels = filepath.Join(dir, c.labels)
			}
			out := filepath.Join(t.TempDir(), "m.safetensors")
			if _, err := Convert(o, out); err != nil {
				t.Fatal(err)
			}
			f, err := modelfile.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			m := f.Meta
			var layers, dense []string
			for _, l := range m.Arch.SourceLayers {
				layers = append(layers, l.Class+":"+l.Name)
			}
			for _, d := range m.Arch.Dense {
				dense = append(dense, strconv.Itoa(d.Out)+"/"+d.Activation)
			}
			if got := strings.Join(layers, " "); got != c.layers {
				t.Errorf("layers\n got %s\nwant %s", got, c.layers)
			}
			if got := strings.Join(dense, " "); got != c.dense {
				t.Errorf("dense %s, want %s", got, c.dense)
			}
			if e := m.Arch.Embedding; e.InputDim != c.emb[0] || e.OutputDim != c.emb[1] || e.MaskZero {
				t.Errorf("embedding %+v, want %v", e, c.emb)
			}
			if p := m.Preprocess; p.MaxLen != c.wantMaxLen || p.Padding != or(c.padding, "pre") || p.Truncating != or(c.truncating, "pre") {
				t.Errorf("preprocess %+v", p)
			}
			if tk := m.Tokenizer; tk.VocabWords != c.vocabWords || tk.OOVID != c.oov || tk.StartID != c.start {
				t.Errorf("tokenizer %+v", tk)
			}
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m.Provenance.SourceSHA256) || m.Provenance.KerasVersion == "" {
				t.Errorf("provenance %+v", m.Provenance)
			}
			for _, r := range c.refs {
				got := forwardFile(t, f, pad(r.ids, c.wantMaxLen, c.padding == "post"))
				if !closeTo(got, r.p, 5e-6) {
					t.Errorf("ids %v: p = %v, PROVENANCE.md says %v", r.ids, got, r.p)
				}
			}
		})
	}
}

// The commentspam model's PROVENANCE.md quotes outputs for texts; tokenize them as the
// author's tokenizer.ts did (jsstrip) with the words stored in the model file.
func TestRealTFJSTexts(t *testing.T) {
	dir := fixtures.Require(t, "tfjs-layers-commentspam-trixky")
	out := filepath.Join(t.TempDir(), "m.safetensors")
	f, err := Convert(Options{Model: filepath.Join(dir, "model.json"), Tokenizer: filepath.Join(dir, "vocab"), Split: "jsstrip", Padding: "post", Truncating: "post"}, out)
	if err != nil {
		t.Fatal(err)
	}
	words, err := f.Words()
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for id, w := range words {
		if w != "" {
			index[w] = id
		}
	}
	strip := regexp.MustCompile(`[^\w\s]`)
	for text, want := range map[string][]float64{
		"Great article, thanks for sharing":           {0.6921, 0.3079},
		"buy cheap viagra online http www casino com": {0.0079, 0.9921},
		"I loved this blog post":                      {0.2058, 0.7942},
	} {
		ids := []int{f.Meta.Tokenizer.StartID}
		for _, w := range strings.Split(strip.ReplaceAllString(strings.ToLower(text), ""), " ") {
			if id, ok := index[w]; ok {
				ids = append(ids, id)
			} else {
				ids = append(ids, f.Meta.Tokenizer.OOVID)
			}
		}
		got := forwardFile(t, f, pad(ids, f.Meta.Preprocess.MaxLen, true))
		if !closeTo(got, want, 1e-4) {
			t.Errorf("%q (ids %v): %v, PROVENANCE.md says %v", text, ids, got, want)
		}
		if strings.Join(f.Meta.Labels, ",") != "false,true" {
			t.Errorf("labels %v", f.Meta.Labels)
		}
	}
}

// Numerical check: a float64 forward pass straight from the Keras weights as read agrees
// with the same pass over the written file's tensors (guards the kernel transposition).
func TestRealForwardMatchesKeras(t *testing.T) {
	rows := [][]int{{1, 5, 4, 2}, {999, 998, 3, 17, 250, 1, 1, 1}, {7}}
	for _, c := range realCases[:4] {
		t.Run(c.dir, func(t *testing.T) {
			dir := fixtures.Require(t, c.dir)
			m, err := ReadModel(filepath.Join(dir, c.model))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "m.safetensors")
			// The tokenizer does not enter the forward pass: a small one keeps this fast.
			f, err := Convert(Options{Model: filepath.Join(dir, c.model), Tokenizer: td("tok.json"), MaxLen: c.maxlen, Padding: c.padding, Truncating: c.truncating}, out)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				row := pad(r, c.wantMaxLen, c.padding == "post")
				k, g := forwardKeras(t, m, row), forwardFile(t, f, row)
				if !closeTo(k, g, 1e-12) {
					t.Errorf("row %v: Keras weights give %v, model file %v", r, k, g)
				}
			}
		})
	}
}

// The real pickles read to the same tokenizer as the JSON derived from them.
func TestRealPickleMatchesJSON(t *testing.T) {
	for _, c := range realCases[:4] {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			dir := fixtures.Require(t, c.dir)
			p, _, err := ReadTokenizerFile(filepath.Join(dir, "tokenizer.pickle"), "")
			if err != nil {
				t.Fatal(err)
			}
			j, _, err := ReadTokenizerFile(filepath.Join(dir, "tokenizer.derived.json"), "")
			if err != nil {
				t.Fatal(err)
			}
			if p.Spec != j.Spec || len(p.Index) != len(j.Index) {
				t.Fatalf("pickle %+v (%d words), json %+v (%d words)", p.Spec, len(p.Index), j.Spec, len(j.Index))
			}
			for id, w := range j.Index {
				if p.Index[id] != w {
					t.Fatalf("id %d: pickle %q, json %q", id, p.Index[id], w)
				}
			}
		})
	}
}

func TestRealNegatives(t *testing.T) {
	for _, c := range []struct {
		path     string
		sentinel error
		mention  string
	}{
		{"negative-h5-keras2.3-bilstm-nirajkale/sarcasm.h5", ErrUnsupportedLayer, `"bidirectional" (Bidirectional)`},
		{"negative-h5-keras3.8-unbuilt-noweights-nisthachauhan/sarcasm_model.h5", ErrNoWeights, "no weight tensors"},
	} {
		t.Run(filepath.Dir(c.path), func(t *testing.T) {
			p := fixtures.Require(t, c.path)
			tok := filepath.Join("testdata", "tok.json")
			out := filepath.Join(t.TempDir(), "m.safetensors")
			_, err := Convert(Options{Model: p, Tokenizer: tok, MaxLen: 120}, out)
			if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("err = %v, want %v mentioning %s", err, c.sentinel, c.mention)
			}
			// The unbuilt model's Bidirectional is unsupported too (its Flatten is supported).
			if c.sentinel == ErrNoWeights && (!errors.Is(err, ErrUnsupportedLayer) || !strings.Contains(err.Error(), `"bidirectional" (Bidirectional)`) || strings.Contains(err.Error(), `"flatten" (Flatten)`)) {
				t.Errorf("err = %v, want it to name the unsupported layers as well", err)
			}
			assertNoFile(t, out)
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func BenchmarkReadPickle(b *testing.B) {
	data, err := os.ReadFile(fixtures.Require(b, "h5-keras2.4-sarcasm-k4u5h4l/tokenizer.pickle"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadPickle(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadTokenizerJSON(b *testing.B) {
	data, err := os.ReadFile(fixtures.Require(b, "h5-keras2.4-sarcasm-k4u5h4l/tokenizer.derived.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadTokenizerJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadH5(b *testing.B) {
	p := fixtures.Require(b, "h5-keras2.4-sarcasm-k4u5h4l/sarcasm_model.h5")
	for b.Loop() {
		if _, err := ReadH5(p); err != nil {
			b.Fatal(err)
		}
	}
}
