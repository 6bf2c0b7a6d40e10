package e2e

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
)

// The newer formats end to end: a .keras with a TextVectorization inside, its sidecar-JSON
// twin, and .tflite files with and without metadata, converted with the options README's
// commands give (convert.Convert, as `edgewatt convert` calls it; internal/cli is not
// imported so that this package builds for every target), written, loaded and predicted,
// against the scores in their PROVENANCE.md (printed by the author's demo, or computed there).
func TestNewFormats(t *testing.T) {
	F := fixtures.Require(t, "dotkeras-textvec-keras3.10-sarcasm-signalflowsean")
	F = filepath.Dir(F)
	type score struct {
		text  string
		class int
		want  float64
	}
	cases := []struct {
		name   string
		opts   convert.Options
		quant  string // storage the file must have
		scores []score
	}{
		{"textvec-in-model", convert.Options{Model: F + "/dotkeras-textvec-keras3.10-sarcasm-signalflowsean/sarcasm_model.keras"}, "f32/f32", []score{
			{"granny starting to fear spiders in the garden might be real", 0, 0.950513},
			{"the dog has really soft fur and is very friendly", 0, 0.103031},
			{"and he has got rainbows coming out of his butt", 0, 0.160758}}},
		{"textvec-sidecar", convert.Options{Model: F + "/dotkeras-sidecar-textvec-json-sarcasm-signalflowsean/sarcasm_model.keras", Tokenizer: F + "/dotkeras-sidecar-textvec-json-sarcasm-signalflowsean/vectorizer_config.json", Padding: "post", Truncating: "post"}, "f32/f32", []score{
			{"granny starting to fear spiders in the garden might be real", 0, 0.952322},
			{"and he has got rainbows coming out of his butt", 0, 0.232026}}},
		{"tflite-fp16-metadata-demo", convert.Options{Model: F + "/tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier.tflite", KeepCase: true}, "f16/f16", []score{
			{"The Deeply Flawed Racism Index", 1, 0.510715},
			{"The Deeply Flawed Racism Index", 2, 0.294421},
			{"Over 60 dead, dozens missing as severe floods strike Europe", 0, 0.999998}}},
		{"tflite-f32-no-metadata", convert.Options{Model: F + "/tflite-float32-imdb-avgwordvec-afzaalsatti/text_classification.tflite", Tokenizer: F + "/tflite-float32-imdb-avgwordvec-afzaalsatti/vocab.txt"}, "f32/f32", []score{
			{"Terrible film. Boring, awful and a waste of time", 0, 0.9382}}},
		{"tflite-int8", convert.Options{Model: F + "/dotkeras-keras3.9-int8tflite-multiclass-houjou/text_classifier.tflite", Tokenizer: F + "/dotkeras-keras3.9-int8tflite-multiclass-houjou/tokenizer.json", Labels: F + "/dotkeras-keras3.9-int8tflite-multiclass-houjou/label_encoder.json", Padding: "pre", Truncating: "pre"}, "int8-tensor/int8-channel", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.safetensors")
			if _, err := convert.Convert(c.opts, out); err != nil {
				t.Fatal(err)
			}
			m, err := runtime.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if q := m.Meta.Quant.Embedding + "/" + m.Meta.Quant.Dense; q != c.quant {
				t.Errorf("storage %s, want %s", q, c.quant)
			}
			defer m.Close()
			p := m.NewPredictor()
			for _, s := range c.scores {
				got := float64(p.PredictText(s.text).Scores[s.class])
				tol := 1e-5
				if strings.HasSuffix(c.name, "no-metadata") {
					tol = 5e-5 // the reference is printed with 4 decimals
				}
				if d := math.Abs(got - s.want); d > tol {
					t.Errorf("%q: score %d = %.6f, reference %.6f", s.text, s.class, got, s.want)
				}
			}
		})
	}
}

// The TextVectorization model's held-out accuracy, as PROVENANCE.md computes it.
func TestTextVecHeldOut(t *testing.T) {
	dir := fixtures.Require(t, "dotkeras-textvec-keras3.10-sarcasm-signalflowsean")
	texts, labels := heldOut(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := convert.Convert(convert.Options{Model: filepath.Join(dir, "sarcasm_model.keras")}, out); err != nil {
		t.Fatal(err)
	}
	m, err := runtime.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p := m.NewPredictor()
	ok := 0
	for i, text := range texts {
		if p.PredictText(text).Label == labels[i] {
			ok++
		}
	}
	acc := float64(ok) / float64(len(texts))
	t.Logf("TextVectorization .keras on v1[20000:]: accuracy %.4f (PROVENANCE.md 0.8290)", acc)
	if math.Abs(acc-0.8290) > 0.001 {
		t.Errorf("accuracy %.4f, PROVENANCE.md 0.8290", acc)
	}
}
