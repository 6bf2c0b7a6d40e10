package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// edgewatt eval on the smart-home test rows agrees with an accuracy counted from 'edgewatt
// predict' output, reads the same rows as JSON Lines with the same result, and honours --rows.
func TestEvalCLI(t *testing.T) {
	model := smallModel(t)
	data := smarthome + "test.csv"
	f, err := os.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.EqualFold(recs[0][0], "label") {
		recs = recs[1:]
	}
	// Independent count: predict each text and compare labels by name.
	var texts []string
	var jl strings.Builder
	for _, r := range recs {
		texts = append(texts, r[1])
		b, _ := json.Marshal(map[string]string{"text": r[1], "label": r[0]})
		jl.Write(b)
		jl.WriteByte('\n')
	}
	pout, _, err := run(append([]string{"predict", "-m", model}, texts...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(pout), "\n")
	correct := 0
	for i, l := range lines {
		var rec struct{ Label string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Label == recs[i][0] {
			correct++
		}
	}
	type result struct {
		Rows, Correct int
		FirstRow      int `json:"first_row"`
		Accuracy      float64
		Confusion     [][]int
		ROCAUC        *float64 `json:"roc_auc"`
		ECE           *float64 `json:"ece"`
	}
	evalJSON := func(args ...string) result {
		t.Helper()
		out, stderr, err := run(append([]string{"eval", "-m", model, "--json"}, args...)...)
		if err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, stderr)
		}
		var r result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return r
	}
	r := evalJSON("--data", data)
	if r.Rows != len(recs) || r.Correct != correct || r.ROCAUC == nil || r.ECE == nil {
		t.Fatalf("eval %+v; predict gives %d of %d correct", r, correct, len(recs))
	}
	jpath := filepath.Join(t.TempDir(), "test.jsonl")
	os.WriteFile(jpath, []byte(jl.String()), 0o644)
	if rj := evalJSON("--data", jpath); rj.Correct != r.Correct || *rj.ROCAUC != *r.ROCAUC || *rj.ECE != *r.ECE {
		t.Errorf("JSON Lines %+v, CSV %+v", rj, r)
	}
	sub := evalJSON("--data", data, "--rows", "10:-5")
	if sub.Rows != len(recs)-15 || sub.FirstRow != 10 {
		t.Errorf("--rows 10:-5: %d rows from %d", sub.Rows, sub.FirstRow)
	}
	text, _, err := run("eval", "-m", model, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("accuracy     %.4f (%d of %d rows)", r.Accuracy, r.Correct, r.Rows), "ROC AUC", "ECE", "confusion", "calibration", "int8"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	model := smallModel(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("1,a\nfoo,b\n"), 0o644) // a numeric first row is data (train's header rule)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--data", "x.csv"}, "-m MODEL is required"},
		{[]string{"eval", "-m", model}, "--data FILE is required"},
		{[]string{"eval", "-m", model, "--data", bad, "--rows", "x"}, "want A:B"},
		{[]string{"eval", "-m", model, "--data", bad}, `label "foo"`},
		{[]string{"eval", "-m", model, "--data", smarthome + "test.csv", "--rows", "100000:"}, "selects no rows"},
		{[]string{"eval", "-m", model, "--data", filepath.Join(t.TempDir(), "none.csv")}, "no such file"},
	} {
		_, _, err := run(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.args, err, c.want)
		}
	}
}

// predict, inspect and eval given a Keras model instead of a converted one say to run
// convert first, with exit status 1.
func TestSourceModelRefused(t *testing.T) {
	for _, args := range [][]string{
		{"predict", "-m", testdata("tiny_k24.h5"), "hello"},
		{"inspect", testdata("tiny.keras")},
		{"eval", "-m", testdata("tfjs/model.json"), "--data", smarthome + "test.csv"},
	} {
		var so, se strings.Builder
		code := Main(args, strings.NewReader(""), &so, &se)
		if code != 1 || !strings.Contains(se.String(), "not an edgewatt model file; convert it first: edgewatt convert") {
			t.Errorf("%v: exit %d, stderr %q", args, code, se.String())
		}
	}
}

// convert --eval without --quant measures the float32 model, from JSON Lines too, and
// inspect shows it; the accuracy is what edgewatt eval measures on the written file.
func TestConvertEvalFloat32JSONL(t *testing.T) {
	dir := t.TempDir()
	h5 := filepath.Join(dir, "m.h5")
	if so, se, err := run("train", "--data", smarthome+"train.csv", "--vocab", "300", "--maxlen", "20", "--epochs", "2", "--quiet", "-o", h5); err != nil {
		t.Fatalf("%v\n%s%s", err, so, se)
	}
	f, err := os.Open(smarthome + "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var jl strings.Builder
	for _, r := range recs {
		b, _ := json.Marshal(map[string]any{"headline": r[1], "is_sarcastic": r[0] == "1"})
		jl.Write(b)
		jl.WriteByte('\n')
	}
	jpath := filepath.Join(dir, "test.jsonl")
	os.WriteFile(jpath, []byte(jl.String()), 0o644)
	model := filepath.Join(dir, "m.safetensors")
	_, se, err := run("convert", h5, "--tokenizer", filepath.Join(dir, "m.tokenizer.json"), "--padding", "post", "--truncating", "post", "--eval", jpath, "-o", model)
	if err != nil || !strings.Contains(se, "nothing quantized") {
		t.Fatalf("convert --eval: %v\n%s", err, se)
	}
	out, _, err := run("eval", "-m", model, "--data", jpath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Accuracy float64 }
	json.Unmarshal([]byte(out), &r)
	if want := fmt.Sprintf("float32 %.2f%% (", 100*r.Accuracy); !strings.Contains(se, want) {
		t.Errorf("convert says %q, eval measures %.4f", se, r.Accuracy)
	}
	info, _, err := run("inspect", model)
	if err != nil || !strings.Contains(info, fmt.Sprintf("float32 %.2f%% on %d rows", 100*r.Accuracy, len(recs))) {
		t.Errorf("inspect: %v\n%s", err, info)
	}
}
