package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	smallModelOnce sync.Once
	smallModelPath string
	smallModelErr  string
)

// smallModel trains a small int8 model on the example data once per test binary (under a
// second), so the CLI tests need nothing from ../shared.
func smallModel(t *testing.T) string {
	t.Helper()
	smallModelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "edgewatt-cli-test")
		if err != nil {
			smallModelErr = err.Error()
			return
		}
		h5 := filepath.Join(dir, "m.h5")
		var so, se bytes.Buffer
		if err := Run([]string{"train", "--data", smarthome + "train.csv", "--vocab", "500", "--maxlen", "20", "--epochs", "3",
			"--quiet", "-o", h5}, nil, &so, &se); err != nil {
			smallModelErr = "train: " + err.Error() + se.String()
			return
		}
		smallModelPath = filepath.Join(dir, "m.safetensors")
		if err := Run([]string{"convert", h5, "--tokenizer", filepath.Join(dir, "m.tokenizer.json"), "--padding", "post",
			"--truncating", "post", "--quant", "int8", "-o", smallModelPath}, nil, &so, &se); err != nil {
			smallModelErr = "convert: " + err.Error() + se.String()
		}
	})
	if smallModelErr != "" {
		t.Fatal(smallModelErr)
	}
	return smallModelPath
}

func TestBenchJSON(t *testing.T) {
	model := smallModel(t)
	ids := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(ids, []byte("0,0,0,5,7,9\n3,4\n\n12,1,1,1\n"), 0o644)
	var so, se bytes.Buffer
	if err := Run([]string{"bench", "-m", model, "--ids", ids, "--duration", "200ms", "--threads", "2", "--json"}, nil, &so, &se); err != nil {
		t.Fatalf("bench: %v\n%s", err, se.String())
	}
	var res struct {
		Kernels   string `json:"kernels"`
		Threads   int    `json:"threads"`
		PeakRSS   int    `json:"peak_rss_kib"`
		Workloads []struct {
			Input  string  `json:"input"`
			P50    float64 `json:"single_p50_ns"`
			P99    float64 `json:"single_p99_ns"`
			Batch  float64 `json:"batch_samples_per_s"`
			Allocs float64 `json:"allocs_per_prediction"`
			Rows   float64 `json:"rows_gathered_per_prediction"`
			Bytes  float64 `json:"bytes_touched_per_prediction"`
		} `json:"workloads"`
	}
	if err := json.Unmarshal(so.Bytes(), &res); err != nil {
		t.Fatalf("bench --json output is not JSON: %v\n%s", err, so.String())
	}
	if res.Kernels == "" || res.Threads != 2 || res.PeakRSS <= 0 || len(res.Workloads) == 0 {
		t.Fatalf("incomplete result: %+v", res)
	}
	for _, w := range res.Workloads {
		if w.P50 <= 0 || w.P99 < w.P50 || w.Batch <= 0 {
			t.Errorf("%s: implausible timings %+v", w.Input, w)
		}
		if w.Allocs != 0 {
			t.Errorf("%s: %v allocations per prediction, want 0", w.Input, w.Allocs)
		}
	}
	// The ids rows gather 3, 2 and 4 rows (1 is the OOV id; convert folded the padding row
	// into dense.0's bias, so it is never read) of 16 int8 values and a float32 scale; the
	// dense weights are 16x24+24 and 24x1+1 float32.
	if w := res.Workloads[0]; w.Input != "ids" || w.Rows != 3 || w.Bytes != 3*(16+4)+(16*24+24+24+1)*4 {
		t.Errorf("ids: %v rows and %v bytes per prediction, want 3 and %d", w.Rows, w.Bytes, 3*(16+4)+(16*24+24+24+1)*4)
	}
}

func TestBenchBadInput(t *testing.T) {
	model := smallModel(t)
	bad := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(bad, []byte("1,2,x\n"), 0o644)
	var so, se bytes.Buffer
	if code := Main([]string{"bench", "-m", model, "--ids", bad, "--duration", "50ms"}, nil, &so, &se); code == 0 {
		t.Fatal("bench accepted a non-numeric id")
	}
	if code := Main([]string{"bench", "--duration", "50ms"}, nil, &so, &se); code != 2 {
		t.Fatalf("bench without -m exited %d, want 2", code)
	}
}

func TestPowerChainFallsBack(t *testing.T) {
	model := smallModel(t)
	trace := filepath.Join("..", "energy", "testdata", "idle-load.csv")
	var so, se bytes.Buffer
	// The first source cannot open (no such trace); the second is used and the switch is said.
	// The trace's layout: idle 0-2 s, load 2-4 s, idle 4-6 s.
	err := Run([]string{"bench", "-m", model, "--energy", "--power", "replay:/nonexistent.csv|replay:" + trace,
		"--windows", "1", "--window", "2s", "--settle", "0", "--json"}, nil, &so, &se)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, se.String())
	}
	if !strings.Contains(se.String(), "using --power replay:"+trace) {
		t.Errorf("fallback not reported:\n%s", se.String())
	}
	// All alternatives failing is an error naming each.
	err = Run([]string{"bench", "-m", model, "--energy", "--power", "replay:/a.csv|replay:/b.csv", "--windows", "1", "--window", "50ms"}, nil, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "/a.csv") || !strings.Contains(err.Error(), "/b.csv") {
		t.Fatalf("err = %v, want both sources named", err)
	}
}

func TestPredictCLI(t *testing.T) {
	model := smallModel(t)
	var so, se bytes.Buffer
	in := strings.NewReader(`{"text": "Smoke detected in the kitchen, evacuate now"}` + "\n" + `{"text": "line one\nline two"}` + "\n")
	if err := Run([]string{"predict", "-m", model, "--jsonl"}, in, &so, &se); err != nil {
		t.Fatalf("predict: %v\n%s", err, se.String())
	}
	lines := strings.Split(strings.TrimSpace(so.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d output lines for 2 inputs:\n%s", len(lines), so.String())
	}
	var rec struct {
		Text   string    `json:"text"`
		Label  string    `json:"label"`
		Score  *float64  `json:"score"`
		Scores []float64 `json:"scores"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil || rec.Text != "line one\nline two" || rec.Score == nil || len(rec.Scores) != 1 {
		t.Fatalf("record %q: %+v %v", lines[1], rec, err)
	}
	so.Reset()
	if err := Run([]string{"predict", "-m", model, "--ids", "0,0,3,4", "3,4"}, nil, &so, &se); err != nil {
		t.Fatal(err)
	}
	var a, b struct{ Scores []float64 }
	ls := strings.Split(strings.TrimSpace(so.String()), "\n")
	json.Unmarshal([]byte(ls[0]), &a)
	json.Unmarshal([]byte(ls[1]), &b)
	// The model pads post; leading padding ids are real zeros in the input, and with the mean
	// over all maxlen positions their place does not change the score.
	if len(a.Scores) != 1 || a.Scores[0] != b.Scores[0] {
		t.Fatalf("ids 0,0,3,4 -> %v, 3,4 -> %v: want equal (mean over all positions)", a.Scores, b.Scores)
	}
	for _, c := range [][]string{{"predict", "-m", model, "--ids", "99999"}, {"predict", "-m", filepath.Join(t.TempDir(), "none")}, {"predict"}} {
		if code := Main(c, strings.NewReader(""), &so, &se); code == 0 {
			t.Errorf("%v exited 0", c)
		}
	}
}
