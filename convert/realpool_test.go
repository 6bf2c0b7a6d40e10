package convert

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// A real third-party Flatten model (yahyafl/fake-news: Keras 3.10 h5, Embedding(5000,16) ->
// Flatten -> Dense(16,relu) -> Dense(1,sigmoid), Keras 3 legacy Tokenizer pickle, maxlen 100,
// pre/pre as the author's app.py) converts, tokenizes every text of ref.py's expected.json to
// the same padded ids as keras_preprocessing, and scores within 1e-5 of its numpy forward pass.
func TestRealFlattenYahyafl(t *testing.T) {
	dir := filepath.Join("..", "testdata", "real-flatten-yahyafl")
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		MaxLen     int         `json:"maxlen"`
		Padding    string      `json:"padding"`
		Truncating string      `json:"truncating"`
		Texts      []string    `json:"texts"`
		IDs        [][]int32   `json:"ids"`
		Scores     [][]float64 `json:"scores"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	f, err := Build(Options{Model: filepath.Join(dir, "fake_news_model.h5"), Tokenizer: filepath.Join(dir, "tokenizer.pkl"),
		MaxLen: exp.MaxLen, Padding: exp.Padding, Truncating: exp.Truncating})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Meta.Arch; a.Pooling != modelfile.PoolFlatten || a.Embedding.InputDim != 5000 || a.Embedding.OutputDim != 16 || len(a.Dense) != 2 {
		t.Fatalf("arch %+v", a)
	}
	m, err := runtime.New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	var worst float64
	for i, text := range exp.Texts {
		got := p.PredictText(text).Scores
		var toks []int
		for _, id := range p.Tokens() {
			toks = append(toks, int(id))
		}
		ids := pad(toks, exp.MaxLen, exp.Padding == "post")
		if len(ids) != len(exp.IDs[i]) {
			t.Fatalf("%q: %d ids, keras_preprocessing %d", text, len(ids), len(exp.IDs[i]))
		}
		for j := range ids {
			if int32(ids[j]) != exp.IDs[i][j] {
				t.Fatalf("%q: ids %v, keras_preprocessing %v", text, ids, exp.IDs[i])
			}
		}
		for j, want := range exp.Scores[i] {
			d := math.Abs(float64(got[j]) - want)
			worst = max(worst, d)
			if d > 1e-5 {
				t.Errorf("%q output %d: %v, numpy %v", text, j, got[j], want)
			}
		}
	}
	t.Logf("%d texts, max |score - numpy| %.2g", len(exp.Texts), worst)
}
