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
	os.WriteFile(bad, []byte("urgent,a\nfoo,b\n"), 0o644)
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
