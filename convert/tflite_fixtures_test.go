package convert

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// tfliteOpts are the conversion options of each .tflite fixture (PROVENANCE.md): the
// metadata-less ones take the vocabulary (and labels) beside them.
func tfliteOpts(t *testing.T, rel string) Options {
	dir, file := filepath.Split(rel)
	dir = fixtures.Require(t, strings.TrimSuffix(dir, "/"))
	o := Options{Model: filepath.Join(dir, file)}
	switch {
	case strings.HasPrefix(rel, "dotkeras-keras3.9-int8tflite-multiclass-houjou/"):
		o.Tokenizer, o.Labels, o.Padding, o.Truncating = filepath.Join(dir, "tokenizer.json"), filepath.Join(dir, "label_encoder.json"), "pre", "pre"
	case strings.HasPrefix(rel, "tflite-float32-imdb-avgwordvec-afzaalsatti/"):
		o.Tokenizer = filepath.Join(dir, "vocab.txt")
	}
	return o
}

type tfliteRefs map[string]struct {
	Rows, MaxLen int
	Cases        []struct {
		IDs    []int32   `json:"ids"`
		Scores []float64 `json:"scores"`
	}
}

// Every .tflite fixture converts, with its weights kept as stored and as float32, and
// scores the reference forward pass of testdata/gen_tflite_refs.py (numpy over the file's
// own tensors, its own flatbuffer reader) within 1e-5.
func TestRealTFLiteForward(t *testing.T) {
	fixtures.Require(t, "tflite-fp16-modelmaker-allocine-julien")
	data, err := os.ReadFile(td("tflite_refs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs tfliteRefs
	if err := json.Unmarshal(data, &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs) < 8 {
		t.Fatalf("tflite_refs.json has %d models", len(refs))
	}
	for rel, ref := range refs {
		t.Run(rel, func(t *testing.T) {
			for _, scheme := range []string{"", "f32"} {
				o := tfliteOpts(t, rel)
				o.Quant.Scheme = scheme
				f, err := Convert(o, filepath.Join(t.TempDir(), "m.safetensors"))
				if err != nil {
					t.Fatal(err)
				}
				if f.Meta.Preprocess.MaxLen != ref.MaxLen || f.Meta.Arch.Embedding.InputDim != ref.Rows {
					t.Fatalf("maxlen %d rows %d, reference %d %d", f.Meta.Preprocess.MaxLen, f.Meta.Arch.Embedding.InputDim, ref.MaxLen, ref.Rows)
				}
				m, err := runtime.New(f)
				if err != nil {
					t.Fatal(err)
				}
				p := m.NewPredictor()
				worst := 0.0
				for _, c := range ref.Cases {
					got := p.PredictIDs(c.IDs).Scores
					for k := range c.Scores {
						worst = max(worst, math.Abs(float64(got[k])-c.Scores[k]))
					}
				}
				t.Logf("storage %s/%s: max |score - numpy reference| %.2g over %d sequences", f.Meta.Quant.Embedding, f.Meta.Quant.Dense, worst, len(ref.Cases))
				if worst > 1e-5 {
					t.Errorf("storage %s/%s: max |score diff| %.3g > 1e-5", f.Meta.Quant.Embedding, f.Meta.Quant.Dense, worst)
				}
			}
		})
	}
}

// The printed and PROVENANCE-computed predictions of each fixture, from text.
func TestRealTFLiteTexts(t *testing.T) {
	type ref struct {
		text   string
		class  int
		score  float64
		digits int // the reference's decimals: tolerance 1e-5, or half a unit of the last decimal when larger
	}
	cases := []struct {
		rel      string
		keepCase bool
		refs     []ref
	}{
		{"tflite-float32-imdb-avgwordvec-afzaalsatti/text_classification.tflite", false, []ref{
			{"This movie was wonderful, brilliant acting and a great story", 1, 0.7491, 4},
			{"Terrible film. Boring, awful and a waste of time", 0, 0.9382, 4}}},
		{"tflite-float32-imdb-avgwordvec-afzaalsatti/movie_review_classifier.tflite", false, []ref{
			{"This movie was wonderful, brilliant acting and a great story", 1, 0.8187, 4},
			{"Terrible film. Boring, awful and a waste of time", 0, 0.9223, 4}}},
		{"tflite-fp16-modelmaker-allocine-julien/model.tflite", false, []ref{
			{"Un film magnifique, des acteurs excellents", 1, 0.9902, 4},
			{"Nul, ennuyeux, une perte de temps", 0, 0.9974, 4}}},
		{"tflite-modelmaker-f32-commentspam-seq20-jasonwee/model.tflite", false, []ref{
			{"still need pick one ", 1, 0.000705, 6},
			{"i love tensorflow", 1, 0.007472, 6},
			{"Click Here to Buy Cheap Watches Online Now", 1, 0.108804, 6}}},
		{"tflite-modelmaker-f32-commentspam-seq20-jasonwee/model.tflite", true, []ref{
			{"Click Here to Buy Cheap Watches Online Now", 1, 0.020896, 6}}},
		// The live demo's printed scores (Neutral 51%, Positive 29%, Negative 19%; Negative
		// 100%), which the Task Library computes without lower-casing.
		{"tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier.tflite", true, []ref{
			{"The Deeply Flawed Racism Index", 0, 0.194864, 6},
			{"The Deeply Flawed Racism Index", 1, 0.510715, 6},
			{"The Deeply Flawed Racism Index", 2, 0.294421, 6},
			{"Over 60 dead, dozens missing as severe floods strike Europe", 0, 0.999998, 6}}},
		{"tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier.tflite", false, []ref{
			{"The Deeply Flawed Racism Index", 0, 0.946656, 6}}},
		{"tflite-modelmaker-fp16-f32-headlines-curatednews/headlinesclassifier2.tflite", true, []ref{
			{"The Deeply Flawed Racism Index", 0, 0.445473, 6},
			{"The Deeply Flawed Racism Index", 1, 0.061256, 6},
			{"The Deeply Flawed Racism Index", 3, 0.210273, 6},
			{"The Deeply Flawed Racism Index", 4, 0.066043, 6},
			{"The Deeply Flawed Racism Index", 5, 0.216955, 6},
			{"Over 60 dead, dozens missing as severe floods strike Europe", 5, 0.917568, 6},
			{"Over 60 dead, dozens missing as severe floods strike Europe", 3, 0.073514, 6}}},
		{"tflite-toco-f32-metadata-imdb-google-example-architj71/text_classification.tflite", false, []ref{
			{"This is a wonderful movie, I loved it.", 1, 0.773046, 6},
			{"The worst film I have ever seen, a total waste of time.", 0, 0.891791, 6}}},
		{"tflite-toco-f32-metadata-imdb-google-example-architj71/text_classification.tflite", true, []ref{
			{"This is a wonderful movie, I loved it.", 0, 0.235606, 6},
			{"The worst film I have ever seen, a total waste of time.", 0, 0.902786, 6}}},
	}
	for _, c := range cases {
		o := tfliteOpts(t, c.rel)
		o.KeepCase = c.keepCase
		f, err := Build(o)
		if err != nil {
			t.Fatalf("%s: %v", c.rel, err)
		}
		m, err := runtime.New(f)
		if err != nil {
			t.Fatal(err)
		}
		p := m.NewPredictor()
		worst := 0.0
		for _, r := range c.refs {
			got := float64(p.PredictText(r.text).Scores[r.class])
			d := math.Abs(got - r.score)
			worst = max(worst, d)
			// Within 1e-5 of a reference printed with more than four decimals; the very digits
			// of one printed with four (whose own rounding is up to 5e-5).
			if printed, ref := fmt.Sprintf("%.*f", r.digits, got), fmt.Sprintf("%.*f", r.digits, r.score); r.digits <= 4 && printed != ref || r.digits > 4 && d > 1e-5 {
				t.Errorf("%s (keep case %v): %q class %d: %.7f (%s), reference %s", c.rel, c.keepCase, r.text, r.class, got, printed, ref)
			}
		}
		t.Logf("%s (keep case %v): max |score - reference| %.2g", c.rel, c.keepCase, worst)
	}
}

// The comment-spam model on its 1,000 training rows: PROVENANCE.md's 0.9900.
func TestRealTFLiteCommentSpamAccuracy(t *testing.T) {
	rel := "tflite-modelmaker-f32-commentspam-seq20-jasonwee/model.tflite"
	o := tfliteOpts(t, rel)
	f, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Tokenizer.Mode != modelfile.ModeModelMaker || f.Meta.Preprocess.MaxLen != 20 || f.Meta.Labels[1] != "true" {
		t.Fatalf("tokenizer %+v preprocess %+v labels %v", f.Meta.Tokenizer, f.Meta.Preprocess, f.Meta.Labels)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(o.Model), "lmblog_comments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	ok, n := 0, 0
	for _, r := range recs[1:] {
		n++
		if (p.PredictText(r[0]).Label == 1) == (r[1] == "true") {
			ok++
		}
	}
	acc := float64(ok) / float64(n)
	t.Logf("%d rows: accuracy %.4f (PROVENANCE 0.9900)", n, acc)
	if n != 1000 || math.Abs(acc-0.99) > 0.001 {
		t.Errorf("%d rows, accuracy %.4f; PROVENANCE.md: 1000 rows, 0.9900", n, acc)
	}
}

// Conversions of the int8 and fp16 files keep the stored weights.
func TestRealTFLiteStorageKept(t *testing.T) {
	for rel, want := range map[string]modelfile.Quant{
		"dotkeras-keras3.9-int8tflite-multiclass-houjou/text_classifier.tflite": {Embedding: modelfile.SchemeInt8Tensor, Dense: modelfile.SchemeInt8Chan},
		"tflite-fp16-modelmaker-allocine-julien/model.tflite":                   {Embedding: modelfile.SchemeF16, Dense: modelfile.SchemeF16},
		"tflite-modelmaker-f32-commentspam-seq20-jasonwee/model.tflite":         {Embedding: modelfile.SchemeF32, Dense: modelfile.SchemeF32},
	} {
		f, err := Convert(tfliteOpts(t, rel), filepath.Join(t.TempDir(), "m.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.Quant != want {
			t.Errorf("%s: stored %+v, want %+v", rel, f.Meta.Quant, want)
		}
	}
}
