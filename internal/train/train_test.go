package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/edgewatt/edgewatt/internal/fixtures"
)

func readFile(t testing.TB, path string) []Example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

const exampleDir = "../../examples/smarthome/"

func smallConfig() Config {
	c := DefaultConfig()
	c.MaxLen = 20
	c.Epochs = 6
	return c
}

// TestTrainExampleDataset trains on the project's example dataset and checks that the
// classifier generalises to its test split, which holds sentence templates training never saw.
func TestTrainExampleDataset(t *testing.T) {
	tr, va, te := readFile(t, exampleDir+"train.csv"), readFile(t, exampleDir+"val.csv"), readFile(t, exampleDir+"test.csv")
	res, err := Train(smallConfig(), tr, va, nil)
	if err != nil {
		t.Fatal(err)
	}
	loss, acc, err := res.Evaluate(te)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test loss %.4f accuracy %.4f after %d epochs", loss, acc, len(res.History))
	if acc < 0.95 {
		t.Errorf("test accuracy %.4f, want >= 0.95", acc)
	}
	h := res.History
	if !(h[len(h)-1].Loss < h[0].Loss) {
		t.Errorf("training loss did not fall: %v -> %v", h[0].Loss, h[len(h)-1].Loss)
	}
}

// TestTrainDeterministic: one seed gives one file; another seed another.
func TestTrainDeterministic(t *testing.T) {
	tr, va := readFile(t, exampleDir+"train.csv")[:600], readFile(t, exampleDir+"val.csv")[:100]
	c := smallConfig()
	c.Epochs = 2
	c.Dropout = 0.2
	run := func(seed uint64) []byte {
		c.Seed = seed
		res, err := Train(c, tr, va, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.H5()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, d := run(5), run(5), run(6)
	if !bytes.Equal(a, b) {
		t.Error("two runs with seed 5 wrote different files")
	}
	if bytes.Equal(a, d) {
		t.Error("seeds 5 and 6 wrote the same file")
	}
}

// TestEarlyStoppingRestoresBest: with patience 0 training stops at the first epoch whose
// val_loss does not improve, and the kept weights are those of the best epoch.
func TestEarlyStoppingRestoresBest(t *testing.T) {
	tr, va := readFile(t, exampleDir+"train.csv")[:300], readFile(t, exampleDir+"val.csv")[:300]
	c := smallConfig()
	c.Epochs = 60
	c.Patience = 0
	c.LR = 0.05 // overfits a 300-row set quickly
	res, err := Train(c, tr, va, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped {
		t.Skipf("validation loss kept improving for %d epochs; nothing to check", len(res.History))
	}
	best := math.Inf(1)
	for _, e := range res.History {
		best = math.Min(best, e.ValLoss)
	}
	if res.History[res.Best].ValLoss != best {
		t.Errorf("kept epoch %d with val_loss %g, best was %g", res.Best+1, res.History[res.Best].ValLoss, best)
	}
	d, _ := Encode(va, res.Tokenizer, res.Labels, &res.Config, "val")
	loss, _ := Evaluate(res.Model, d)
	if math.Abs(loss-best) > 1e-9 {
		t.Errorf("model's val_loss %g is not the best epoch's %g: weights not restored", loss, best)
	}
}

// TestSarcasmSubset trains briefly on the first 4000 sarcasm headlines (the real course
// data) and checks it beats the majority class on the next 2000.
func TestSarcasmSubset(t *testing.T) {
	path := fixtures.Require(t, "sarcasm-headlines-v1-csv/Sarcasm_Headlines_Dataset.csv")
	ex := readFile(t, path)
	if len(ex) != 26709 {
		t.Fatalf("%d rows, want 26709", len(ex))
	}
	c := DefaultConfig()
	c.Epochs = 4
	res, err := Train(c, ex[:4000], ex[4000:6000], nil)
	if err != nil {
		t.Fatal(err)
	}
	best := res.History[res.Best]
	t.Logf("val_accuracy %.4f (epoch %d)", best.ValAccuracy, res.Best+1)
	if best.ValAccuracy < 0.70 {
		t.Errorf("val_accuracy %.4f after %d epochs on 4000 rows, want >= 0.70 (majority class is 0.56)", best.ValAccuracy, len(res.History))
	}
}

// TestKerasH5Python runs testdata/check_keras_h5.py (h5py + numpy) on written files: the
// Keras 2 groups, attributes and datasets, and a numpy forward pass from the file's
// weights that must match Go's predictions.
func TestKerasH5Python(t *testing.T) {
	if !havePython(t, "h5py", "numpy") {
		t.Skip("SKIP: /usr/bin/python3 with h5py and numpy not found (apt-get install python3-h5py); Keras layout of the .h5 not checked")
	}
	tr, va := readFile(t, exampleDir+"train.csv")[:500], readFile(t, exampleDir+"val.csv")[:100]
	for _, tc := range []struct {
		name     string
		relabel  func(int, Example) string
		dropout  float64
		l2       float64
		classes  int
		paddings string
		set      func(*Config)
	}{
		{name: "binary", classes: 2, paddings: "post"},
		{name: "3 classes, dropout, l2", classes: 3, dropout: 0.3, l2: 0.01, paddings: "pre",
			relabel: func(i int, e Example) string { return []string{"alpha", "beta", "gamma"}[i%3] }},
		{name: "max pooling, SGD nesterov momentum, l1+l2", classes: 2, paddings: "post", l2: 0.001,
			set: func(c *Config) {
				c.Pool, c.Optimizer, c.LR, c.Momentum, c.Nesterov, c.L1 = PoolMax, "sgd", 0.05, 0.9, true, 0.001
			}},
		{name: "flatten, mse, plain SGD, 3 classes", classes: 3, paddings: "pre",
			relabel: func(i int, e Example) string { return []string{"alpha", "beta", "gamma"}[i%3] },
			set:     func(c *Config) { c.Pool, c.Loss, c.Optimizer, c.LR = PoolFlatten, LossMSE, "sgd", 0.1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trx := append([]Example(nil), tr...)
			if tc.relabel != nil {
				for i := range trx {
					trx[i].Label = tc.relabel(i, trx[i])
				}
			}
			c := smallConfig()
			c.Epochs, c.Vocab, c.Dropout, c.L2, c.Padding, c.Truncating = 1, 300, tc.dropout, tc.l2, tc.paddings, tc.paddings
			if tc.set != nil {
				tc.set(&c)
			}
			var vax []Example
			if tc.relabel == nil {
				vax = va
			}
			res, err := Train(c, trx, vax, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Labels.Classes() != tc.classes {
				t.Fatalf("%d classes", res.Labels.Classes())
			}
			dir := t.TempDir()
			model := filepath.Join(dir, "m.h5")
			if err := res.WriteFiles(model, filepath.Join(dir, "tok.json")); err != nil {
				t.Fatal(err)
			}
			d, err := Encode(va[:20], res.Tokenizer, &Labels{Names: []string{"0", "1"}, index: map[string]int{"0": 0, "1": 1}}, &res.Config, "cases")
			if err != nil {
				t.Fatal(err)
			}
			var cases struct {
				X [][]int32   `json:"x"`
				P [][]float32 `json:"p"`
			}
			for i := range d.Y {
				x := d.X[i*d.L : (i+1)*d.L]
				p := make([]float32, res.Model.K)
				res.Model.Predict(x, p)
				cases.X = append(cases.X, x)
				cases.P = append(cases.P, p)
			}
			cb, _ := json.Marshal(cases)
			cp := filepath.Join(dir, "cases.json")
			if err := os.WriteFile(cp, cb, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(python, "testdata/check_keras_h5.py", model, cp).CombinedOutput()
			if err != nil {
				t.Fatalf("check_keras_h5.py: %v\n%s", err, out)
			}
			t.Log(strings.TrimSpace(string(out)))
		})
	}
}

func TestWriteFilesNoPartialOutput(t *testing.T) {
	tr := readFile(t, exampleDir+"train.csv")[:100]
	c := smallConfig()
	c.Epochs = 1
	res, err := Train(c, tr, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = res.WriteFiles(filepath.Join(dir, "m.h5"), filepath.Join(dir, "missing", "tok.json"))
	if err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("%s left behind after a failed write", e.Name())
	}
}

func TestConfigCheck(t *testing.T) {
	for _, mut := range []func(*Config){
		func(c *Config) { c.Vocab = 1 },
		func(c *Config) { c.Padding = "middle" },
		func(c *Config) { c.Dropout = 1 },
		func(c *Config) { c.LR = 0 },
		func(c *Config) { c.LR = math.NaN() },
		func(c *Config) { c.Batch = 0 },
		func(c *Config) { c.Batch = 1<<20 + 1 },
		func(c *Config) { c.Epochs = 100001 },
		func(c *Config) { c.Vocab, c.Dim = 1<<24, 4096 }, // 2^36 weights: int overflow on 32-bit ARM
	} {
		c := DefaultConfig()
		mut(&c)
		if err := c.Check(); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
	c := DefaultConfig()
	if err := c.Check(); err != nil {
		t.Errorf("default config rejected: %v", err)
	}
}

// TestEncodeTooLarge: examples x maxlen beyond maxTokens is an error, not an allocation
// whose size overflows int on 32-bit ARM.
func TestEncodeTooLarge(t *testing.T) {
	c := DefaultConfig()
	c.MaxLen = 1 << 16
	ex := make([]Example, maxTokens/c.MaxLen+1)
	for i := range ex {
		ex[i] = Example{Label: strconv.Itoa(i % 2), Text: "a b"}
	}
	labels, err := NewLabels(ex)
	if err != nil {
		t.Fatal(err)
	}
	tok := NewTokenizer(c.Vocab, c.OOV)
	if _, err := Encode(ex, tok, labels, &c, "training"); err == nil || !strings.Contains(err.Error(), "lower maxlen") {
		t.Errorf("Encode of %d x %d ids: %v, want an error saying to lower maxlen", len(ex), c.MaxLen, err)
	}
}

func BenchmarkEpochSarcasm(b *testing.B) {
	path := fixtures.Require(b, "sarcasm-headlines-v1-csv/Sarcasm_Headlines_Dataset.csv")
	ex := readFile(b, path)
	c := DefaultConfig()
	c.Epochs = 1
	b.ResetTimer()
	for range b.N {
		if _, err := Train(c, ex[:20000], nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTrainSameOnAnyCoreCount: the parallel embedding update gives the same file with one
// core as with four.
func TestTrainSameOnAnyCoreCount(t *testing.T) {
	tr := readFile(t, exampleDir+"train.csv")[:400]
	c := smallConfig()
	c.Epochs, c.Dim = 2, 200 // enough active embedding elements to use several goroutines
	run := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := Train(c, tr, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Adam.rows) * c.Dim; n < 2*minParallelElems {
			t.Fatalf("only %d active embedding elements; the test does not reach the parallel path", n)
		}
		b, err := res.H5()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(run(1), run(4)) {
		t.Error("GOMAXPROCS 1 and 4 trained different models")
	}
}

// TestKerasH5CheckerOnRealKeras runs the layout checker on a file Keras 2.4 itself wrote,
// so the checker is known to demand what Keras writes, no more.
func TestKerasH5CheckerOnRealKeras(t *testing.T) {
	path := fixtures.Require(t, "h5-keras2.4-sarcasm-k4u5h4l/sarcasm_model.h5")
	if !havePython(t, "h5py", "numpy") {
		t.Skip("SKIP: /usr/bin/python3 with h5py and numpy not found (apt-get install python3-h5py)")
	}
	out, err := exec.Command(python, "testdata/check_keras_h5.py", path).CombinedOutput()
	if err != nil {
		t.Fatalf("the checker rejects a real Keras 2.4 file: %v\n%s", err, out)
	}
}
