package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smarthome = "../../examples/smarthome/"

// TestTrainConvertPredict is make demo's path in one process: train on the example data,
// convert the .h5 and tokenizer JSON to int8, and classify the demo sentences.
func TestTrainConvertPredict(t *testing.T) {
	dir := t.TempDir()
	h5 := filepath.Join(dir, "smarthome.h5")
	var so, se bytes.Buffer
	err := Run([]string{"train", "--data", smarthome + "train.csv", "--val", smarthome + "val.csv", "--test", smarthome + "test.csv",
		"--maxlen", "20", "--epochs", "8", "-o", h5, "--labels", filepath.Join(dir, "labels.txt")}, nil, &so, &se)
	if err != nil {
		t.Fatalf("train: %v\n%s%s", err, so.String(), se.String())
	}
	if !strings.Contains(se.String(), "Epoch 1/8") || !strings.Contains(se.String(), "val_accuracy") {
		t.Errorf("no progress bar on stderr:\n%s", se.String())
	}
	if !strings.Contains(so.String(), "test (500 examples") {
		t.Errorf("no test report:\n%s", so.String())
	}
	tok := filepath.Join(dir, "smarthome.tokenizer.json")
	for _, p := range []string{h5, tok, filepath.Join(dir, "labels.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	model := filepath.Join(dir, "smarthome.safetensors")
	so.Reset()
	se.Reset()
	err = Run([]string{"convert", h5, "--tokenizer", tok, "-o", model, "--padding", "post", "--truncating", "post",
		"--quant", "int8", "--calib", smarthome + "calib.txt"}, nil, &so, &se)
	if err != nil {
		t.Fatalf("convert of the trained model: %v\n%s%s", err, so.String(), se.String())
	}
	in, err := os.Open(smarthome + "predict.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	so.Reset()
	se.Reset()
	if err := Run([]string{"predict", "-m", model}, in, &so, &se); err != nil {
		t.Fatalf("predict: %v\n%s", err, se.String())
	}
	// predict.txt holds three urgent sentences, then three routine ones.
	lines := strings.Split(strings.TrimSpace(so.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d predictions:\n%s", len(lines), so.String())
	}
	for i, l := range lines {
		want := `"label":"0"`
		if i < 3 {
			want = `"label":"1"`
		}
		if !strings.Contains(l, want) {
			t.Errorf("prediction %d: %s, want %s", i, l, want)
		}
	}
}

func TestTrainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"train"},
		{"train", "--data", smarthome + "train.csv", "--val", smarthome + "val.csv", "--val-split", "0.2"},
		{"train", "--data", smarthome + "train.csv", "--val-split", "1.5"},
		{"train", "--data", smarthome + "train.csv", "--padding", "middle"},
		{"train", "--data", smarthome + "train.csv", "--dropout", "1"},
		{"train", "--data", smarthome + "train.csv", "--train-rows", "3000"},
		{"train", "--data", smarthome + "train.csv", "extra"},
	} {
		var so, se bytes.Buffer
		if code := Main(args, nil, &so, &se); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, code, se.String())
		}
	}
}

func TestTrainBadData(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("0,a,b\n"), 0o644)
	out := filepath.Join(dir, "m.h5")
	var so, se bytes.Buffer
	err := Run([]string{"train", "--data", bad, "-o", out}, nil, &so, &se)
	var ue *UsageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "bad.csv line 1") {
		t.Errorf("error %v, want a data error naming the line", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a model was written from bad data")
	}
	if err := Run([]string{"train", "--data", filepath.Join(dir, "missing.csv")}, nil, &so, &se); err == nil {
		t.Error("missing data file accepted")
	}
}

// TestTrainValSplit: --val-split takes the last rows, as Keras's validation_split, and
// --train-rows the first N for training.
func TestTrainValSplit(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		flag, value, want string
	}{
		{"--val-split", "0.25", "2250 training and 750 validation"},
		{"--val-split", "0.3333", "2000 training and 1000 validation"},
		{"--train-rows", "2900", "2900 training and 100 validation"},
	} {
		var so, se bytes.Buffer
		err := Run([]string{"train", "--data", smarthome + "train.csv", tc.flag, tc.value, "--epochs", "1", "--maxlen", "10",
			"--vocab", "300", "--quiet", "-o", filepath.Join(dir, "m.h5")}, nil, &so, &se)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.flag, tc.value, err)
		}
		if !strings.Contains(so.String(), tc.want) {
			t.Errorf("%s %s: %q, want %q", tc.flag, tc.value, so.String(), tc.want)
		}
	}
}
