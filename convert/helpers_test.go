package convert

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

var update = flag.Bool("update", false, "regenerate testdata with /usr/bin/python3 testdata/gen_fixtures.py")

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		cmd := exec.Command("/usr/bin/python3", "testdata/gen_fixtures.py")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Stderr.WriteString("gen_fixtures.py failed: " + err.Error() + "\n")
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// expected is testdata/expected.json, written by gen_fixtures.py with numpy.
type expected struct {
	Models map[string]struct {
		MaxLen  int         `json:"maxlen"`
		Rows    [][]int     `json:"rows"`
		Outputs [][]float64 `json:"outputs"`
	} `json:"models"`
	Tokenizers map[string]struct {
		NumWords  int            `json:"num_words"`
		OOVID     int            `json:"oov_id"`
		WordIndex map[string]int `json:"word_index"`
	} `json:"tokenizers"`
}

func loadExpected(t *testing.T) *expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func f32s(t *testing.T, f *modelfile.File, name string) []float64 {
	t.Helper()
	tn := f.Tensor(name)
	if tn == nil || tn.DType != modelfile.F32 {
		t.Fatalf("no F32 tensor %s", name)
	}
	out := make([]float64, len(tn.Data)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(tn.Data[4*i:])))
	}
	return out
}

func activate(act string, x []float64) {
	switch act {
	case "relu":
		for i := range x {
			x[i] = math.Max(x[i], 0)
		}
	case "sigmoid":
		for i := range x {
			x[i] = 1 / (1 + math.Exp(-x[i]))
		}
	case "tanh":
		for i := range x {
			x[i] = math.Tanh(x[i])
		}
	case "softmax":
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		s := 0.0
		for i := range x {
			x[i] = math.Exp(x[i] - m)
			s += x[i]
		}
		for i := range x {
			x[i] /= s
		}
	}
}

// forwardFile runs the network of a float32 model file in float64 over one padded id row:
// embedding mean over all positions (or non-padding ones with mask_zero), then Dense layers
// with weights [out, in].
func forwardFile(t *testing.T, f *modelfile.File, ids []int) []float64 {
	t.Helper()
	a := f.Meta.Arch
	emb := f32s(t, f, modelfile.TensorEmbedding)
	d := a.Embedding.OutputDim
	x := make([]float64, d)
	n := 0
	for _, id := range ids {
		if a.Embedding.MaskZero && id == 0 {
			continue
		}
		n++
		for j := 0; j < d; j++ {
			x[j] += emb[id*d+j]
		}
	}
	for j := range x {
		x[j] /= float64(max(n, 1))
	}
	for i, l := range a.Dense {
		w := f32s(t, f, modelfile.DenseWeight(i))
		b := f32s(t, f, modelfile.DenseBias(i))
		y := make([]float64, l.Out)
		for o := 0; o < l.Out; o++ {
			s := b[o]
			for in := 0; in < l.In; in++ {
				s += w[o*l.In+in] * x[in]
			}
			y[o] = s
		}
		activate(l.Activation, y)
		x = y
	}
	return x
}

// forwardKeras runs the same network straight from the Keras weights as read (kernels
// [in, out]), independently of Validate's transposition.
func forwardKeras(t *testing.T, m *Model, ids []int) []float64 {
	t.Helper()
	var x []float64
	for _, l := range m.Layers {
		switch l.Class {
		case "Embedding":
			e := l.Weights[0]
			d := e.Shape[1]
			x = make([]float64, d)
			for _, id := range ids {
				for j := 0; j < d; j++ {
					x[j] += float64(e.Data[id*d+j])
				}
			}
			for j := range x {
				x[j] /= float64(len(ids))
			}
		case "Dense":
			var k, b Weight
			for _, w := range l.Weights {
				if w.Name == "kernel" {
					k = w
				} else {
					b = w
				}
			}
			in, out := k.Shape[0], k.Shape[1]
			y := make([]float64, out)
			for o := 0; o < out; o++ {
				s := float64(b.Data[o])
				for i := 0; i < in; i++ {
					s += float64(k.Data[i*out+o]) * x[i]
				}
				y[o] = s
			}
			act, _ := l.configString("activation", "linear")
			activate(act, y)
			x = y
		}
	}
	return x
}

func pad(ids []int, maxlen int, post bool) []int {
	row := make([]int, maxlen)
	if len(ids) > maxlen {
		ids = ids[:maxlen]
	}
	if post {
		copy(row, ids)
	} else {
		copy(row[maxlen-len(ids):], ids)
	}
	return row
}

func closeTo(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}
