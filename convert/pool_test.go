package convert

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// The GlobalMaxPooling1D and Flatten fixtures (gen_pool_fixtures.py: Keras 2.4 h5, Keras 3
// .keras, TF.js) convert, and the runtime reproduces numpy's forward pass of the file's own
// tensors, float32 within 1e-5; float16 and int8 (with the padding row folded, which both
// poolings allow) stay close and decide alike.
func TestPoolingFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pool_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]struct {
		MaxLen  int         `json:"maxlen"`
		Rows    [][]int32   `json:"rows"`
		Outputs [][]float64 `json:"outputs"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	for name, pool := range map[string]string{"pool_max_k24.h5": modelfile.PoolMax, "pool_flatten.keras": modelfile.PoolFlatten, "tfjs_max/model.json": modelfile.PoolMax} {
		t.Run(name, func(t *testing.T) {
			e := exp[name]
			f32, err := Build(Options{Model: filepath.Join("testdata", name), Tokenizer: filepath.Join("testdata", "tok.json"), Padding: "post"})
			if err != nil {
				t.Fatal(err)
			}
			a := f32.Meta.Arch
			if a.Pooling != pool || f32.Meta.Preprocess.MaxLen != e.MaxLen || a.Dense[0].In != modelfile.PoolWidth(pool, e.MaxLen, a.Embedding.OutputDim) {
				t.Fatalf("pooling %q maxlen %d dense.0 in %d", a.Pooling, f32.Meta.Preprocess.MaxLen, a.Dense[0].In)
			}
			for _, scheme := range []string{"f32", "f16", "int8"} {
				// Eval rows exercise the report's reference nets (and full-integer simulation).
				rows := []EvalRow{{0, "the cat sat on the mat"}, {1, "the dog ate my homework"}, {0, ""}}
				mf, err := Quantize(f32, QuantOptions{Scheme: scheme, SampleSeqs: 100, EvalRows: rows}, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				m, err := runtime.New(mf)
				if err != nil {
					t.Fatal(err)
				}
				p := m.NewPredictor()
				tol := map[string]float64{"f32": 1e-5, "f16": 5e-3, "int8": 3e-2}[scheme]
				var worst float64
				for i, row := range e.Rows {
					got := p.PredictIDs(row).Scores
					for j, want := range e.Outputs[i] {
						d := math.Abs(float64(got[j]) - want)
						worst = max(worst, d)
						if d > tol {
							t.Fatalf("%s row %v output %d: %v, numpy %v", scheme, row, j, got[j], want)
						}
					}
				}
				t.Logf("%s: max |score - numpy| %.2g", scheme, worst)
			}
		})
	}
}

// Flatten fixes maxlen: a different --maxlen is refused, naming the trained length.
func TestFlattenMaxLenMismatch(t *testing.T) {
	_, err := Build(Options{Model: filepath.Join("testdata", "pool_flatten.keras"), Tokenizer: filepath.Join("testdata", "tok.json"), MaxLen: 9})
	if err == nil {
		t.Fatal("--maxlen 9 accepted for a model built for 8")
	}
	t.Log(err)
}

// A model file given as --tokenizer is named as such, and nothing is written.
func TestTokenizerThatIsAModel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	for _, tok := range []string{"tiny_k24.h5", "tiny.keras", "tfjs/model.json"} {
		_, err := Convert(Options{Model: filepath.Join("testdata", "tiny_k24.h5"), Tokenizer: filepath.Join("testdata", tok)}, out)
		if err == nil || !strings.Contains(err.Error(), "not a tokenizer") || !strings.Contains(err.Error(), "as --tokenizer") {
			t.Errorf("--tokenizer %s: %v", tok, err)
		}
		assertNoFile(t, out)
	}
}
