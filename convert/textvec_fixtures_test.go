package convert

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// scoreRef is a printed (or PROVENANCE-computed) prediction.
type scoreRef struct {
	text  string
	score float64
	ids   []int32 // the first ids, when PROVENANCE.md gives them
}

// accuracyOn returns the accuracy of f on the sarcasm v1 CSV rows [from:].
func accuracyOn(t *testing.T, f *modelfile.File, from int) (float64, int) {
	t.Helper()
	rows, err := ReadEvalFile(filepath.Join(fixtures.Require(t, "sarcasm-headlines-v1-csv"), "Sarcasm_Headlines_Dataset.csv"), f.Meta.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 26709 {
		t.Fatalf("sarcasm v1 CSV has %d rows, PROVENANCE.md says 26709", len(rows))
	}
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	ok := 0
	for _, r := range rows[from:] {
		if p.PredictText(r.Text).Label == r.Label {
			ok++
		}
	}
	return float64(ok) / float64(len(rows)-from), len(rows) - from
}

func checkScores(t *testing.T, f *modelfile.File, refs []scoreRef) float64 {
	t.Helper()
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	worst := 0.0
	for _, r := range refs {
		got := float64(p.PredictText(r.text).Scores[0])
		d := math.Abs(got - r.score)
		worst = max(worst, d)
		if d > 1e-5 {
			t.Errorf("%q: score %.6f, reference %.6f (|diff| %.2g > 1e-5)", r.text, got, r.score, d)
		}
		if r.ids != nil {
			if ids := p.Tokens(); !slices.Equal(ids[:min(len(ids), len(r.ids))], r.ids) {
				t.Errorf("%q: ids %v, reference %v", r.text, ids, r.ids)
			}
		}
	}
	return worst
}

// The .keras with a TextVectorization inside converts without --tokenizer and reproduces
// PROVENANCE.md's scores, ids and validation accuracy.
func TestRealTextVecInModel(t *testing.T) {
	dir := fixtures.Require(t, "dotkeras-textvec-keras3.10-sarcasm-signalflowsean")
	f, err := Build(Options{Model: filepath.Join(dir, "sarcasm_model.keras")})
	if err != nil {
		t.Fatal(err)
	}
	tk, pre := f.Meta.Tokenizer, f.Meta.Preprocess
	if tk.Mode != modelfile.ModeTextVec || tk.Standardize != modelfile.StandardizeLowerStrip || tk.Split != modelfile.SplitWhitespace || tk.OOVID != 1 || tk.VocabWords != 9999 {
		t.Errorf("tokenizer %+v", tk)
	}
	if pre != (modelfile.Preprocess{MaxLen: 100, Padding: modelfile.Post, Truncating: modelfile.Post}) {
		t.Errorf("preprocess %+v, want output_sequence_length 100 at the end", pre)
	}
	if sl := f.Meta.Arch.SourceLayers; len(sl) < 2 || sl[1].Class != "TextVectorization" || sl[1].Name != "text_vectorization" {
		t.Errorf("source layers %+v do not list the TextVectorization after the InputLayer", sl)
	}
	worst := checkScores(t, f, []scoreRef{
		{"granny starting to fear spiders in the garden might be real", 0.950513, []int32{1, 876, 2, 779, 1, 5, 4, 2459, 368, 22, 175}},
		{"the dog has really soft fur and is very friendly", 0.103031, nil},
		{"and he has got rainbows coming out of his butt", 0.160758, nil},
		{"former versace store clerk sues over secret 'black code' for minority shoppers", 0.026927, nil},
		{"mom starting to fear son's web series closest thing she will have to grandchild", 0.995769, nil},
	})
	acc, n := accuracyOn(t, f, 20000)
	t.Logf("rows [20000:] (%d): accuracy %.4f (PROVENANCE 0.8290); max |score diff| %.2g", n, acc, worst)
	if math.Abs(acc-0.8290) > 0.001 {
		t.Errorf("accuracy %.4f, PROVENANCE.md 0.8290", acc)
	}
	// A --tokenizer beside a model that carries its own is refused.
	if _, err := Build(Options{Model: filepath.Join(dir, "sarcasm_model.keras"), Tokenizer: filepath.Join(dir, "PROVENANCE.md")}); err == nil {
		t.Error("--tokenizer accepted for a model with a TextVectorization")
	}
	if _, err := Build(Options{Model: filepath.Join(dir, "sarcasm_model.keras"), Padding: "pre"}); err == nil {
		t.Error("--padding pre accepted for a TextVectorization that pads at the end")
	}
}

// The sidecar TextVectorization config + vocabulary.json, with the author's pad_sequences
// (post, post, 100).
func TestRealTextVecSidecar(t *testing.T) {
	dir := fixtures.Require(t, "dotkeras-sidecar-textvec-json-sarcasm-signalflowsean")
	f, err := Build(Options{Model: filepath.Join(dir, "sarcasm_model.keras"), Tokenizer: filepath.Join(dir, "vectorizer_config.json"), Padding: "post", Truncating: "post"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Tokenizer.Mode != modelfile.ModeTextVec || f.Meta.Preprocess.MaxLen != 100 {
		t.Errorf("tokenizer %+v, preprocess %+v", f.Meta.Tokenizer, f.Meta.Preprocess)
	}
	worst := checkScores(t, f, []scoreRef{
		{"granny starting to fear spiders in the garden might be real", 0.952322, nil},
		{"the dog has really soft fur and is very friendly", 0.109875, nil},
		{"and he has got rainbows coming out of his butt", 0.232026, nil},
	})
	acc, n := accuracyOn(t, f, 20000)
	t.Logf("rows [20000:] (%d): accuracy %.4f (PROVENANCE 0.8253); max |score diff| %.2g", n, acc, worst)
	if math.Abs(acc-0.8253) > 0.001 {
		t.Errorf("accuracy %.4f, PROVENANCE.md 0.8253", acc)
	}
}
