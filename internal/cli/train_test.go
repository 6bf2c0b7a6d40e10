package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// train --pool max|flatten (with SGD, MSE, L1) writes a model that convert reads and the
// runtime runs: edgewatt eval on the test rows gives the accuracy train's own forward pass
// reported for them, in float32 and within a row or two in int8.
func TestTrainPoolingsThroughEval(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"max", []string{"--pool", "max", "--optimizer", "sgd", "--lr", "0.5", "--momentum", "0.9", "--nesterov", "--l1", "0.0001"}},
		{"flatten", []string{"--pool", "flatten", "--loss", "mse", "--l2", "0.001"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			h5 := filepath.Join(dir, "m.h5")
			so, se, err := run(append([]string{"train", "--data", smarthome + "train.csv", "--test", smarthome + "test.csv",
				"--vocab", "500", "--maxlen", "20", "--epochs", "6", "--quiet", "-o", h5}, c.args...)...)
			if err != nil {
				t.Fatalf("train: %v\n%s%s", err, so, se)
			}
			var loss, trainAcc float64
			i := strings.Index(so, "test (500 examples")
			if i < 0 {
				t.Fatalf("no test line:\n%s", so)
			}
			if _, err := fmt.Sscanf(so[strings.Index(so[i:], "loss")+i:], "loss %f accuracy %f", &loss, &trainAcc); err != nil {
				t.Fatalf("%v in %q", err, so[i:])
			}
			for _, q := range []string{"f32", "int8"} {
				model := filepath.Join(dir, q+".safetensors")
				if _, se, err := run("convert", h5, "--tokenizer", filepath.Join(dir, "m.tokenizer.json"), "--padding", "post", "--truncating", "post", "--quant", q, "-o", model); err != nil {
					t.Fatalf("convert: %v\n%s", err, se)
				}
				out, _, err := run("eval", "-m", model, "--data", smarthome+"test.csv", "--json")
				if err != nil {
					t.Fatal(err)
				}
				var r struct{ Accuracy float64 }
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %s: train says test accuracy %.4f, eval %.4f", c.name, q, trainAcc, r.Accuracy)
				tol := 0.0021 // a row of 500 may sit on the 0.5 threshold
				if q == "int8" {
					tol = 0.0101
				}
				if math.Abs(r.Accuracy-trainAcc) > tol || r.Accuracy < 0.8 {
					t.Errorf("%s: eval accuracy %.4f, train %.4f", q, r.Accuracy, trainAcc)
				}
			}
		})
	}
}
