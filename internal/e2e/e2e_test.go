// Package e2e holds end-to-end tests over the real third-party models in ../shared/fixtures:
// convert each with its author's settings, predict its held-out rows with the runtime, and
// compare with the numpy reference written by testdata/gen_fixture_refs.py. They skip (and
// say so) when ../shared is absent; they also run under qemu for arm64 and arm in make test.
package e2e

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/internal/fixtures"
	"github.com/edgewatt/edgewatt/runtime"
)

// sarcasm lists the real sarcasm models with their authors' settings (PROVENANCE.md).
var sarcasm = []struct {
	dir, model, tokenizer string
	maxlen                int
	padding, truncating   string
	accuracy              float64 // PROVENANCE.md's figure on v1[20000:]
}{
	{"h5-keras2.4-sarcasm-k4u5h4l", "sarcasm_model.h5", "tokenizer.pickle", 100, "post", "post", 0.9896},
	{"h5-keras2.15-sarcasm-vocab1000-rafimadani", "sarcasm_model.h5", "tokenizer.pickle", 120, "post", "post", 0.8074},
	{"h5-keras3.8-sarcasm-nisthachauhan", "sarcasm_model.h5", "tokenizer.pickle", 100, "post", "pre", 0.8193},
	{"dotkeras-keras3.10-sarcasm-lumb3", "sarcasm_model.keras", "tokenizer.pickle", 100, "post", "post", 0.8280},
}

// heldOut returns the labelled rows v1[20000:].
func heldOut(t *testing.T) (texts []string, labels []int) {
	t.Helper()
	f, err := os.Open(fixtures.Require(t, "sarcasm-headlines-v1-csv/Sarcasm_Headlines_Dataset.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[20000:] {
		l, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, r[1])
		labels = append(labels, l)
	}
	return texts, labels
}

func readRefs(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".scores.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestSarcasmModelsMatchNumpy(t *testing.T) {
	texts, labels := heldOut(t)
	for _, c := range sarcasm {
		t.Run(c.dir, func(t *testing.T) {
			dir := fixtures.Require(t, c.dir)
			f, err := convert.Build(convert.Options{
				Model: filepath.Join(dir, c.model), Tokenizer: filepath.Join(dir, c.tokenizer),
				MaxLen: c.maxlen, Padding: c.padding, Truncating: c.truncating,
			})
			if err != nil {
				t.Fatal(err)
			}
			m, err := runtime.New(f)
			if err != nil {
				t.Fatal(err)
			}
			refs := readRefs(t, c.dir)
			if len(refs) != len(texts) {
				t.Fatalf("%d reference scores for %d rows", len(refs), len(texts))
			}
			p := m.NewPredictor()
			correct := 0
			var worst float64
			for i, text := range texts {
				r := p.PredictText(text)
				d := math.Abs(float64(r.Scores[0]) - refs[i])
				worst = max(worst, d)
				if d > 1e-5 {
					t.Fatalf("row %d %q: score %v, numpy %v (diff %g)", 20000+i, text, r.Scores[0], refs[i], d)
				}
				if r.Label == labels[i] {
					correct++
				}
			}
			acc := float64(correct) / float64(len(texts))
			t.Logf("%s: %d rows, max |diff| vs numpy %.2g, accuracy %.4f (PROVENANCE %.4f)", c.dir, len(texts), worst, acc, c.accuracy)
			if math.Abs(acc-c.accuracy) > 0.00005 {
				t.Fatalf("accuracy %.4f, PROVENANCE.md says %.4f", acc, c.accuracy)
			}
		})
	}
}
