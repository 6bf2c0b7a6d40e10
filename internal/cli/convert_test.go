package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/convert"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

func testdata(name string) string { return filepath.Join("..", "..", "convert", "testdata", name) }

func run(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := Run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestConvertAndInspect(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tiny.safetensors")
	// Flags after the positional argument, as in the README.
	stdout, stderr, err := run("convert", testdata("tiny_k24.h5"), "--tokenizer", testdata("tok.pickle"),
		"--padding", "post", "--truncating", "post", "--labels", "ham,spam", "-o", out)
	if err != nil {
		t.Fatalf("convert: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	f, err := modelfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Meta.Preprocess; p.MaxLen != 8 || p.Padding != "post" || p.Truncating != "post" {
		t.Errorf("preprocess %+v", p)
	}
	if strings.Join(f.Meta.Labels, ",") != "ham,spam" || f.Meta.Provenance.TokenizerFile != "tok.pickle" {
		t.Errorf("labels %v provenance %+v", f.Meta.Labels, f.Meta.Provenance)
	}

	text, _, err := run("inspect", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Embedding(20,4) -> GlobalAveragePooling1D -> Dense(5,relu) -> Dense(1,sigmoid), 111 params",
		"embedding_3", "dense_6", "Dropout", "identity at inference", "4 -> 5, relu", "5 -> 1, sigmoid",
		"embedding.weight", "[20 4]", "320 bytes", "dense.0.weight", "[5 4]", "maxlen 8, padding post, truncating post",
		"ham, spam", "num_words  12", "embedding f32, dense f32", "tiny_k24.h5 (h5)", "2.4.0 tensorflow", "edgewatt-convert"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, text)
		}
	}
	js, _, err := run("inspect", "--json", out)
	if err != nil {
		t.Fatal(err)
	}
	var info modelInfo
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, js)
	}
	if info.Params != 111 || len(info.Tensors) != 6 || info.Arch.Embedding.InputDim != 20 || info.Preprocess.MaxLen != 8 {
		t.Errorf("inspect --json: %+v", info)
	}
	st, _ := os.Stat(out)
	if info.FileBytes != st.Size() {
		t.Errorf("file bytes %d, file is %d", info.FileBytes, st.Size())
	}
}

func TestInspectReport(t *testing.T) {
	f, err := convert.Build(convert.Options{Model: testdata("tiny_k3.h5"), Tokenizer: testdata("tok.json")})
	if err != nil {
		t.Fatal(err)
	}
	f.Meta.Report = modelfile.Report{"float_accuracy": 0.91, "notes": "x"}
	out := filepath.Join(t.TempDir(), "r.safetensors")
	if err := modelfile.WriteFile(out, f); err != nil {
		t.Fatal(err)
	}
	text, _, err := run("inspect", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "report") || !strings.Contains(text, "float_accuracy") || !strings.Contains(text, "0.91") {
		t.Errorf("report not printed:\n%s", text)
	}
}

func TestConvertRefusedLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.safetensors")
	var o, e bytes.Buffer
	code := Main([]string{"convert", testdata("neg_lstm.h5"), "--tokenizer", testdata("tok.json"), "-o", out}, strings.NewReader(""), &o, &e)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(e.String(), "unsupported layer") || !strings.Contains(e.String(), "LSTM") {
		t.Errorf("stderr %q", e.String())
	}
	_, _, err := run("convert", testdata("neg_noweights.h5"), "--tokenizer", testdata("tok.json"), "-o", out)
	if !errors.Is(err, convert.ErrNoWeights) {
		t.Errorf("err %v, want ErrNoWeights", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused conversion left %v", ents)
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert", testdata("tiny_k24.h5"), "-o", "x.safetensors"},
		{"convert", testdata("tiny_k24.h5"), "--tokenizer", testdata("tok.json")},
		{"convert", "--tokenizer", testdata("tok.json"), "-o", "x.safetensors"},
		{"convert", "--bogus"},
		{"inspect"},
	} {
		var o, e bytes.Buffer
		if code := Main(args, strings.NewReader(""), &o, &e); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, e.String())
		}
	}
	if _, err := os.Stat("x.safetensors"); err == nil {
		t.Error("usage error wrote x.safetensors")
	}
}

// convert stores an exact SQNR as "inf" (JSON has no infinity); inspect used to print it as
// "SQNR 0.0 dB", the worst possible value. Layer lines show the calibrated range (the one
// the saturation is measured against) beside the range seen.
func TestInspectReportExactAndRange(t *testing.T) {
	f, err := convert.Build(convert.Options{Model: testdata("tiny_k3.h5"), Tokenizer: testdata("tok.json")})
	if err != nil {
		t.Fatal(err)
	}
	f.Meta.Report = modelfile.Report{
		"weights": []any{map[string]any{"tensor": "embedding.weight", "scheme": "f16", "sqnr_db": "inf", "max_abs_err": 0.0, "mean_abs_err": 0.0}},
		"layers": []any{map[string]any{"layer": "embedding+pooling", "sqnr_db": 41.5, "max_abs_err": 0.001, "mean_abs_err": 0.0001,
			"min": -3.0, "max": 4.0, "range": []any{-2.5, 3.5}, "saturation": 0.01}},
	}
	out := filepath.Join(t.TempDir(), "r.safetensors")
	if err := modelfile.WriteFile(out, f); err != nil {
		t.Fatal(err)
	}
	text, _, err := run("inspect", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SQNR exact", "SQNR 41.5 dB", "range [-2.5, 3.5] (seen [-3, 4], 1% outside)"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "0.0 dB") {
		t.Errorf("exact SQNR printed as 0 dB:\n%s", text)
	}
}
