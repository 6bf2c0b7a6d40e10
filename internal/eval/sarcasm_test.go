package eval

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
)

// The real sarcasm models with their authors' settings and the accuracy each PROVENANCE.md
// quotes on v1 rows [20000:] (also in internal/e2e).
var sarcasm = []struct {
	dir, model, tokenizer string
	maxlen                int
	padding, truncating   string
	accuracy              float64
}{
	{"h5-keras2.4-sarcasm-k4u5h4l", "sarcasm_model.h5", "tokenizer.pickle", 100, "post", "post", 0.9896},
	{"h5-keras2.15-sarcasm-vocab1000-rafimadani", "sarcasm_model.h5", "tokenizer.pickle", 120, "post", "post", 0.8074},
	{"h5-keras3.8-sarcasm-nisthachauhan", "sarcasm_model.h5", "tokenizer.pickle", 100, "post", "pre", 0.8193},
	{"dotkeras-keras3.10-sarcasm-lumb3", "sarcasm_model.keras", "tokenizer.pickle", 100, "post", "post", 0.8280},
	// Keras 3 TextVectorization inside the .keras, and as sidecar JSON (numpy figures computed
	// by whoever added the fixture; no numpy metrics in testdata for these two).
	{"dotkeras-textvec-keras3.10-sarcasm-signalflowsean", "sarcasm_model.keras", "", 0, "", "", 0.8290},
	{"dotkeras-sidecar-textvec-json-sarcasm-signalflowsean", "sarcasm_model.keras", "vectorizer_config.json", 0, "post", "post", 0.8253},
}

type refMetrics struct {
	Accuracy  float64                                   `json:"accuracy"`
	Confusion [][]int                                   `json:"confusion"`
	ROCAUC    float64                                   `json:"roc_auc"`
	ECE       float64                                   `json:"ece"`
	Rows      int                                       `json:"rows"`
	Classes   []struct{ Precision, Recall, F1 float64 } `json:"classes"`
}

// TestSarcasmProvenanceAccuracy evaluates every real sarcasm model, as float32, float16 and
// int8 files, on v1 rows 20000: read with --rows semantics, and checks float32 against
// PROVENANCE.md's accuracy and against the independent numpy metrics of
// testdata/sarcasm_metrics.py (from numpy forward-pass scores).
func TestSarcasmProvenanceAccuracy(t *testing.T) {
	csvPath := fixtures.Require(t, "sarcasm-headlines-v1-csv/Sarcasm_Headlines_Dataset.csv")
	var refs map[string]refMetrics
	b, err := os.ReadFile("testdata/sarcasm_metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ReadRows(f, csvPath, []string{"0", "1"})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rg, _ := ParseRange("20000:")
	rows, first, err := rg.Select(all)
	if err != nil || first != 20000 || len(rows) != 6709 {
		t.Fatalf("rows 20000: gave %d rows from %d (%v)", len(rows), first, err)
	}
	for _, c := range sarcasm {
		t.Run(c.dir, func(t *testing.T) {
			dir := fixtures.Require(t, c.dir)
			tok := ""
			if c.tokenizer != "" {
				tok = filepath.Join(dir, c.tokenizer)
			}
			f32, err := convert.Build(convert.Options{
				Model: filepath.Join(dir, c.model), Tokenizer: tok,
				MaxLen: c.maxlen, Padding: c.padding, Truncating: c.truncating,
			})
			if err != nil {
				t.Fatal(err)
			}
			var accF32 float64
			for _, scheme := range []string{"f32", "f16", "int8"} {
				mf, err := convert.Quantize(f32, convert.QuantOptions{Scheme: scheme, SampleSeqs: 50}, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				m, err := runtime.New(mf)
				if err != nil {
					t.Fatal(err)
				}
				r, err := Evaluate(m, rows, Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%-5s accuracy %.4f (PROVENANCE %.4f)  ROC AUC %.4f  ECE %.4f  macro F1 %.4f", scheme, r.Accuracy, c.accuracy, *r.ROCAUC, *r.ECE, r.MacroF1)
				if scheme != "f32" {
					if d := math.Abs(r.Accuracy - accF32); d > 0.005 {
						t.Errorf("%s accuracy %.4f is %.2f points from float32's %.4f", scheme, r.Accuracy, 100*d, accF32)
					}
					continue
				}
				accF32 = r.Accuracy
				if math.Abs(r.Accuracy-c.accuracy) > 0.00005 {
					t.Errorf("accuracy %.4f, PROVENANCE.md says %.4f", r.Accuracy, c.accuracy)
				}
				ref, ok := refs[c.dir]
				if !ok {
					continue
				}
				if ref.Rows != r.Rows || math.Abs(ref.Accuracy-r.Accuracy) > 1e-12 {
					t.Errorf("numpy reference: %d rows accuracy %v; eval %d rows %v", ref.Rows, ref.Accuracy, r.Rows, r.Accuracy)
				}
				for i := range ref.Confusion {
					for j := range ref.Confusion[i] {
						if ref.Confusion[i][j] != r.Confusion[i][j] {
							t.Errorf("confusion %v, numpy %v", r.Confusion, ref.Confusion)
						}
					}
				}
				for i, rc := range ref.Classes {
					if gc := r.Classes[i]; math.Abs(gc.Precision-rc.Precision) > 1e-12 || math.Abs(gc.Recall-rc.Recall) > 1e-12 || math.Abs(gc.F1-rc.F1) > 1e-12 {
						t.Errorf("class %d: %+v, numpy %+v", i, gc, rc)
					}
				}
				// Scores agree with numpy within 1e-5, so ranks and bins may move a little.
				if math.Abs(*r.ROCAUC-ref.ROCAUC) > 1e-4 || math.Abs(*r.ECE-ref.ECE) > 1e-4 {
					t.Errorf("ROC AUC %v ECE %v; numpy %v %v", *r.ROCAUC, *r.ECE, ref.ROCAUC, ref.ECE)
				}
			}
		})
	}
}
