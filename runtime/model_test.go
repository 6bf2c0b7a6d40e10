package runtime

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
	"github.com/x448/float16"
)

// testSpec describes a synthetic model for tests.
type testSpec struct {
	V, D       int
	hidden     []int
	acts       []string
	emb, dense string // quant schemes
	maskZero   bool
	maxlen     int
	padding    string
	truncating string
	oov        int
	pool       string // modelfile pooling ("" is average)
}

// refModel is the float64 reference: weights after dequantization, as the file stores them.
type refModel struct {
	spec  testSpec
	emb   [][]float64
	w     [][][]float64 // [layer][out][in]
	b     [][]float64
	words []string
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := math.Float32bits(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}

func u16bytes(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		b[2*i], b[2*i+1] = byte(x), byte(x>>8)
	}
	return b
}

func i8bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

func q8(x, scale float32) int8 {
	q := math.Round(float64(x / scale))
	return int8(max(-127, min(127, q)))
}

// buildModel makes a random model file and its float64 reference.
func buildModel(t testing.TB, s testSpec, seed uint64) (*modelfile.File, *refModel) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	if s.maxlen == 0 {
		s.maxlen = 20
	}
	if s.padding == "" {
		s.padding = "pre"
	}
	if s.truncating == "" {
		s.truncating = "pre"
	}
	if s.emb == "" {
		s.emb = modelfile.SchemeF32
	}
	if s.dense == "" {
		s.dense = modelfile.SchemeF32
	}
	ref := &refModel{spec: s}
	f := &modelfile.File{}
	// Embedding.
	embF := make([]float32, s.V*s.D)
	for i := range embF {
		embF[i] = float32(r.Float64()*0.2 - 0.1)
	}
	ref.emb = make([][]float64, s.V)
	switch s.emb {
	case modelfile.SchemeF32:
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.F32, Shape: []int{s.V, s.D}, Data: f32bytes(embF)})
		for v := 0; v < s.V; v++ {
			for d := 0; d < s.D; d++ {
				ref.emb[v] = append(ref.emb[v], float64(embF[v*s.D+d]))
			}
		}
	case modelfile.SchemeF16:
		h := make([]uint16, len(embF))
		for i, x := range embF {
			h[i] = float16.Fromfloat32(x).Bits()
		}
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.F16, Shape: []int{s.V, s.D}, Data: u16bytes(h)})
		for v := 0; v < s.V; v++ {
			for d := 0; d < s.D; d++ {
				ref.emb[v] = append(ref.emb[v], float64(float16.Frombits(h[v*s.D+d]).Float32()))
			}
		}
	case modelfile.SchemeInt8Row, modelfile.SchemeInt8Tensor:
		q := make([]int8, len(embF))
		var scales []float32
		if s.emb == modelfile.SchemeInt8Tensor {
			var mx float32
			for _, x := range embF {
				mx = max(mx, float32(math.Abs(float64(x))))
			}
			scales = []float32{mx / 127}
			for i, x := range embF {
				q[i] = q8(x, scales[0])
			}
			f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbeddingScale, DType: modelfile.F32, Shape: []int{1}, Data: f32bytes(scales)})
		} else {
			hs := make([]uint16, s.V)
			scales = make([]float32, s.V)
			for v := 0; v < s.V; v++ {
				var mx float32
				for _, x := range embF[v*s.D : v*s.D+s.D] {
					mx = max(mx, float32(math.Abs(float64(x))))
				}
				if mx == 0 {
					mx = 1
				}
				hs[v] = float16.Fromfloat32(mx / 127).Bits()
				scales[v] = float16.Frombits(hs[v]).Float32()
				for d := 0; d < s.D; d++ {
					q[v*s.D+d] = q8(embF[v*s.D+d], scales[v])
				}
			}
			f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbeddingScale, DType: modelfile.F16, Shape: []int{s.V}, Data: u16bytes(hs)})
		}
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorEmbedding, DType: modelfile.I8, Shape: []int{s.V, s.D}, Data: i8bytes(q)})
		for v := 0; v < s.V; v++ {
			sc := scales[0]
			if len(scales) > 1 {
				sc = scales[v]
			}
			for d := 0; d < s.D; d++ {
				ref.emb[v] = append(ref.emb[v], float64(q[v*s.D+d])*float64(sc))
			}
		}
	}
	arch := modelfile.Arch{Embedding: modelfile.EmbeddingSpec{Name: "embedding", InputDim: s.V, OutputDim: s.D, MaskZero: s.maskZero}, Pooling: s.pool}
	in := modelfile.PoolWidth(s.pool, s.maxlen, s.D)
	for li, out := range s.hidden {
		arch.Dense = append(arch.Dense, modelfile.DenseSpec{Name: "dense_" + strconv.Itoa(li), In: in, Out: out, Activation: s.acts[li]})
		lim := math.Sqrt(6 / float64(in+out))
		w := make([]float32, in*out)
		b := make([]float32, out)
		for i := range w {
			w[i] = float32((r.Float64()*2 - 1) * lim)
		}
		for i := range b {
			b[i] = float32(r.Float64()*0.2 - 0.1)
		}
		rw := make([][]float64, out)
		switch s.dense {
		case modelfile.SchemeF32:
			f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.DenseWeight(li), DType: modelfile.F32, Shape: []int{out, in}, Data: f32bytes(w)})
			for o := range rw {
				for k := 0; k < in; k++ {
					rw[o] = append(rw[o], float64(w[o*in+k]))
				}
			}
		case modelfile.SchemeInt8Chan:
			q := make([]int8, len(w))
			sc := make([]float32, out)
			for o := 0; o < out; o++ {
				var mx float32
				for _, x := range w[o*in : o*in+in] {
					mx = max(mx, float32(math.Abs(float64(x))))
				}
				sc[o] = mx / 127
				for k := 0; k < in; k++ {
					q[o*in+k] = q8(w[o*in+k], sc[o])
					rw[o] = append(rw[o], float64(float32(q[o*in+k])*sc[o]))
				}
			}
			f.Tensors = append(f.Tensors,
				modelfile.Tensor{Name: modelfile.DenseWeight(li), DType: modelfile.I8, Shape: []int{out, in}, Data: i8bytes(q)},
				modelfile.Tensor{Name: modelfile.DenseScale(li), DType: modelfile.F32, Shape: []int{out}, Data: f32bytes(sc)})
		}
		f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.DenseBias(li), DType: modelfile.F32, Shape: []int{out}, Data: f32bytes(b)})
		rb := make([]float64, out)
		for i := range b {
			rb[i] = float64(b[i])
		}
		ref.w = append(ref.w, rw)
		ref.b = append(ref.b, rb)
		in = out
	}
	// Vocabulary: words w1..w{V-1}, id i = "w<i>"; num_words = V.
	words := []string{""}
	oovID := -1
	for i := 1; i < s.V; i++ {
		if i == s.oov {
			words = append(words, "<OOV>")
			oovID = i
			continue
		}
		words = append(words, "w"+strconv.Itoa(i))
	}
	ref.words = words
	vocab, err := modelfile.EncodeVocab(words)
	if err != nil {
		t.Fatal(err)
	}
	f.Tensors = append(f.Tensors, modelfile.Tensor{Name: modelfile.TensorVocab, DType: modelfile.U8, Shape: []int{len(vocab)}, Data: vocab})
	f.Meta = modelfile.Meta{
		Arch: arch,
		Tokenizer: modelfile.TokenizerSpec{Mode: modelfile.ModeKeras, Filters: "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", Lower: true, Split: " ",
			NumWords: s.V, OOVID: oovID, StartID: -1, VocabWords: len(words) - 1},
		Preprocess: modelfile.Preprocess{MaxLen: s.maxlen, Padding: s.padding, Truncating: s.truncating},
		Quant:      modelfile.Quant{Embedding: s.emb, Dense: s.dense},
	}
	for i := 0; i < modelfile.LabelCount(arch.Dense[len(arch.Dense)-1].Out); i++ {
		f.Meta.Labels = append(f.Meta.Labels, string(rune('a'+i)))
	}
	// Round-trip through the encoder so tensors are laid out exactly as in a real file.
	var buf bytes.Buffer
	if err := modelfile.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	pf, err := modelfile.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return pf, ref
}

// forward is the float64 reference of Keras's math on already padded ids.
func (r *refModel) forward(padded []int32) []float64 {
	s := r.spec
	x := make([]float64, s.D)
	n := 0
	switch s.pool {
	case modelfile.PoolMax: // every position, padding included, even with mask_zero
		for d := range x {
			x[d] = math.Inf(-1)
		}
		for _, id := range padded {
			for d := range x {
				x[d] = math.Max(x[d], r.emb[id][d])
			}
		}
		padded = nil
	case modelfile.PoolFlatten:
		x = x[:0]
		for _, id := range padded {
			x = append(x, r.emb[id]...)
		}
		padded = nil
	}
	for _, id := range padded {
		if s.maskZero && id == 0 {
			continue
		}
		n++
		for d := range x {
			x[d] += r.emb[id][d]
		}
	}
	for d := range x {
		if s.pool != "" {
			break
		}
		if n == 0 {
			x[d] = 0
		} else {
			x[d] /= float64(n)
		}
	}
	for li := range r.w {
		out := make([]float64, len(r.w[li]))
		for o := range out {
			v := r.b[li][o]
			for k := range x {
				v += r.w[li][o][k] * x[k]
			}
			out[o] = v
		}
		switch s.acts[li] {
		case "relu":
			for i := range out {
				out[i] = math.Max(0, out[i])
			}
		case "sigmoid":
			for i := range out {
				out[i] = 1 / (1 + math.Exp(-out[i]))
			}
		case "tanh":
			for i := range out {
				out[i] = math.Tanh(out[i])
			}
		case "softmax":
			mx := math.Inf(-1)
			for _, v := range out {
				mx = math.Max(mx, v)
			}
			var sum float64
			for i := range out {
				out[i] = math.Exp(out[i] - mx)
				sum += out[i]
			}
			for i := range out {
				out[i] /= sum
			}
		}
		x = out
	}
	return x
}

// padRef is pad_sequences for one sequence, written independently of Pad.
func padRef(seq []int32, maxlen int, padding, truncating string) []int32 {
	if len(seq) > maxlen {
		if truncating == "pre" {
			seq = seq[len(seq)-maxlen:]
		} else {
			seq = seq[:maxlen]
		}
	}
	out := make([]int32, maxlen)
	if padding == "post" {
		copy(out, seq)
	} else {
		copy(out[maxlen-len(seq):], seq)
	}
	return out
}

var testSpecs = []testSpec{
	{V: 50, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1},
	{V: 50, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, padding: "post", truncating: "post", maxlen: 7},
	{V: 300, D: 7, hidden: []int{5, 3}, acts: []string{"tanh", "softmax"}, oov: -1, maskZero: true},
	{V: 40, D: 33, hidden: []int{9, 4, 2}, acts: []string{"relu", "linear", "softmax"}, oov: 1},
	{V: 64, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeF16},
	{V: 64, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Row, dense: modelfile.SchemeInt8Chan},
	{V: 64, D: 17, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Tensor, dense: modelfile.SchemeInt8Chan, maskZero: true},
	// GlobalMaxPooling1D and Flatten in every storage scheme, with and without mask_zero
	// (which neither applies).
	{V: 50, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, pool: modelfile.PoolMax},
	{V: 300, D: 7, hidden: []int{5, 3}, acts: []string{"tanh", "softmax"}, oov: -1, maskZero: true, pool: modelfile.PoolMax, padding: "post"},
	{V: 64, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeF16, pool: modelfile.PoolMax},
	{V: 64, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Row, dense: modelfile.SchemeInt8Chan, pool: modelfile.PoolMax},
	{V: 64, D: 17, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Tensor, dense: modelfile.SchemeInt8Chan, pool: modelfile.PoolMax},
	{V: 50, D: 16, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, pool: modelfile.PoolFlatten, maxlen: 12},
	{V: 50, D: 5, hidden: []int{6, 3}, acts: []string{"relu", "softmax"}, oov: -1, pool: modelfile.PoolFlatten, padding: "post", truncating: "post", maskZero: true},
	{V: 64, D: 16, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeF16, pool: modelfile.PoolFlatten},
	{V: 64, D: 16, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Row, dense: modelfile.SchemeInt8Chan, pool: modelfile.PoolFlatten},
	{V: 64, D: 9, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, emb: modelfile.SchemeInt8Tensor, dense: modelfile.SchemeInt8Chan, pool: modelfile.PoolFlatten, padding: "post"},
}

func randSeq(r *rand.Rand, V, n int) []int32 {
	s := make([]int32, n)
	for i := range s {
		// Skewed so some ids repeat, padding id 0 included now and then.
		s[i] = int32(r.IntN(V) * r.IntN(2) * r.IntN(2))
		if s[i] == 0 {
			s[i] = int32(r.IntN(V))
		}
	}
	return s
}

func TestPredictIDsMatchesReference(t *testing.T) {
	for si, s := range testSpecs {
		f, ref := buildModel(t, s, uint64(si))
		m, err := New(f)
		if err != nil {
			t.Fatalf("spec %d: %v", si, err)
		}
		p := m.NewPredictor()
		r := rand.New(rand.NewPCG(uint64(si), 99))
		pre := f.Meta.Preprocess
		for trial := 0; trial < 200; trial++ {
			n := r.IntN(2*pre.MaxLen + 2)
			seq := randSeq(r, s.V, n)
			want := ref.forward(padRef(seq, pre.MaxLen, pre.Padding, pre.Truncating))
			got := p.PredictIDs(seq)
			if len(got.Scores) != len(want) {
				t.Fatalf("spec %d: %d scores, want %d", si, len(got.Scores), len(want))
			}
			for i := range want {
				if d := math.Abs(float64(got.Scores[i]) - want[i]); d > 1e-6 {
					t.Fatalf("spec %d trial %d (len %d): score %d = %v, reference %v (diff %g)", si, trial, n, i, got.Scores[i], want[i], d)
				}
			}
			// Padded input of exactly maxlen gives the same answer.
			again := p.PredictIDs(padRef(seq, pre.MaxLen, pre.Padding, pre.Truncating))
			for i := range want {
				if d := math.Abs(float64(again.Scores[i]) - want[i]); d > 1e-6 {
					t.Fatalf("spec %d: padded input differs: %v vs %v", si, again.Scores[i], want[i])
				}
			}
		}
		if s.emb == modelfile.SchemeF32 || s.emb == modelfile.SchemeF16 {
			for i, c := range p.coef {
				if !s.maskZero && c != 1/float32(pre.MaxLen) {
					t.Fatalf("spec %d: coef[%d] = %v left over after predictions, want 1/maxlen", si, i, c)
				}
			}
		}
	}
}

func TestLabel(t *testing.T) {
	f, ref := buildModel(t, testSpecs[0], 1)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	r := rand.New(rand.NewPCG(3, 3))
	seen := map[int]bool{}
	for i := 0; i < 500; i++ {
		seq := randSeq(r, 50, 5)
		res := p.PredictIDs(seq)
		want := 0
		if ref.forward(padRef(seq, 20, "pre", "pre"))[0] > 0.5 {
			want = 1
		}
		if res.Label != want {
			t.Fatalf("label %d for score %v, want %d", res.Label, res.Scores[0], want)
		}
		seen[want] = true
	}
	if len(seen) < 2 {
		t.Logf("only one class seen in random inputs: %v", seen)
	}
}

func TestPredictTextUsesTokenizer(t *testing.T) {
	f, ref := buildModel(t, testSpecs[0], 2)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	// w3, w7 known; "zzz" unknown -> OOV 1; punctuation filtered; upper-case lowered.
	got := p.PredictText("W3, w7 zzz! w3")
	want := ref.forward(padRef([]int32{3, 7, 1, 3}, 20, "pre", "pre"))
	if d := math.Abs(float64(got.Scores[0]) - want[0]); d > 1e-6 {
		t.Fatalf("PredictText = %v, reference %v", got.Scores[0], want[0])
	}
	if toks := p.Tokens(); len(toks) != 4 || toks[0] != 3 || toks[2] != 1 {
		t.Fatalf("tokens %v, want [3 7 1 3]", toks)
	}
}

func TestZeroAllocs(t *testing.T) {
	for si, s := range testSpecs {
		f, _ := buildModel(t, s, uint64(si))
		m, err := New(f)
		if err != nil {
			t.Fatal(err)
		}
		p := m.NewPredictor()
		seq := randSeq(rand.New(rand.NewPCG(1, 1)), s.V, 12)
		text := "w1 w2 w3 unknown word, and w4 w5 w6 again"
		p.PredictText(text) // warm up
		if n := testing.AllocsPerRun(200, func() { p.PredictIDs(seq) }); n != 0 {
			t.Errorf("spec %d: PredictIDs allocates %v times per call", si, n)
		}
		if n := testing.AllocsPerRun(200, func() { p.PredictText(text) }); n != 0 {
			t.Errorf("spec %d: PredictText allocates %v times per call", si, n)
		}
	}
}

func TestConcurrentPredictors(t *testing.T) {
	f, ref := buildModel(t, testSpecs[5], 5)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := m.NewPredictor()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < 300; i++ {
				seq := randSeq(r, 64, r.IntN(30))
				want := ref.forward(padRef(seq, 20, "pre", "pre"))[0]
				if got := p.PredictIDs(seq).Scores[0]; math.Abs(float64(got)-want) > 1e-6 {
					errs <- "concurrent prediction differs"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestPredictBatch(t *testing.T) {
	f, ref := buildModel(t, testSpecs[3], 9)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 4))
	in := make([][]int32, 101)
	for i := range in {
		in[i] = randSeq(r, 40, r.IntN(25))
	}
	k := m.Outputs()
	for _, threads := range []int{1, 2, 3} {
		out := make([]float32, len(in)*k)
		m.PredictBatch(in, out, threads)
		for i := range in {
			want := ref.forward(padRef(in[i], 20, "pre", "pre"))
			for j := range want {
				if d := math.Abs(float64(out[i*k+j]) - want[j]); d > 1e-6 {
					t.Fatalf("threads %d: row %d unit %d = %v want %v", threads, i, j, out[i*k+j], want[j])
				}
			}
		}
	}
}

func writeModel(t testing.TB, f *modelfile.File) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := modelfile.WriteFile(p, f); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileAndCorruption(t *testing.T) {
	f, ref := buildModel(t, testSpecs[5], 11)
	path := writeModel(t, f)
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	seq := []int32{5, 9, 9, 2}
	got := m.NewPredictor().PredictIDs(seq).Scores[0]
	if want := ref.forward(padRef(seq, 20, "pre", "pre"))[0]; math.Abs(float64(got)-want) > 1e-6 {
		t.Fatalf("loaded model predicts %v, want %v", got, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	// Flip one byte in the tensor data: the sha256 check must catch it.
	c := bytes.Clone(data)
	c[len(c)-3] ^= 0x40
	os.WriteFile(bad, c, 0o644)
	if _, err := Load(bad); err == nil || !bytes.Contains([]byte(err.Error()), []byte("sha256")) {
		t.Fatalf("corrupt data: err = %v, want a sha256 error", err)
	}
	// Truncations at many points: always an error, never a panic.
	for _, n := range []int{0, 4, 8, 9, 100, len(data) / 2, len(data) - 1} {
		os.WriteFile(bad, data[:n], 0o644)
		if _, err := Load(bad); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func FuzzLoadModel(f *testing.F) {
	mf, _ := buildModel(f, testSpecs[5], 1)
	var buf bytes.Buffer
	if err := modelfile.Encode(&buf, mf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{}              "))
	// Issue 11's metadata bit flips (maxlen 20 -> 28, a filter character, a label), which
	// loaded with format 1 and must be refused now.
	good := buf.Bytes()
	for _, flip := range []struct{ from, to string }{{`\"maxlen\":20`, `\"maxlen\":28`}, {`!\\\"#$%`, `!\\\"#$-`}, {`[\"a\",\"b\"]`, `[\"a\",\"c\"]`}} {
		if b := bytes.Replace(bytes.Clone(good), []byte(flip.from), []byte(flip.to), 1); !bytes.Equal(b, good) {
			f.Add(b)
		} else {
			f.Fatalf("seed: %s not found in the header", flip.from)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := modelfile.Parse(data)
		if err != nil {
			return
		}
		m, err := New(pf)
		if err != nil {
			return
		}
		p := m.NewPredictor()
		p.PredictIDs([]int32{0, 1, 2})
		p.PredictText("w1 w2 hello")
	})
}

// TestLongInputRepeatedID: the model file allows maxlen up to 2^16, so one id can occur
// 65536 times in an input; its count must not wrap (it did with 16-bit counts).
func TestLongInputRepeatedID(t *testing.T) {
	for _, s := range []testSpec{testSpecs[0], testSpecs[6]} {
		s.maxlen = modelfile.MaxMaxLen
		f, ref := buildModel(t, s, 3)
		m, err := New(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []*kernels{&kern, &generic, &unrolled} {
			p := m.newPredictorKernels(k)
			for _, n := range []int{65535, 65536, 65537, 70000} {
				seq := make([]int32, n)
				for i := range seq {
					seq[i] = 3
				}
				if n != s.maxlen {
					seq[n/2] = 5 // else id 3 fills all 65536 positions: the count that wrapped
				}
				want := ref.forward(padRef(seq, s.maxlen, s.padding, s.truncating))
				got := p.PredictIDs(seq).Scores
				for i := range want {
					if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5 {
						t.Fatalf("%s, maxlen %d, id 3 %d times: score %d = %v, reference %v", k.name, s.maxlen, n-1, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestNonFiniteWeightsRejected: a NaN or Inf anywhere in the weights is a corrupt file, for
// every storage type (the f16 embedding was not checked).
func TestNonFiniteWeightsRejected(t *testing.T) {
	for _, si := range []int{0, 4, 5, 6} {
		for _, bits := range []uint32{0x7f800000, 0x7fc00000} { // +Inf, NaN as float32
			x := math.Float32frombits(bits)
			f, _ := buildModel(t, testSpecs[si], 1)
			// The embedding table, or for int8 the scale that carries it.
			et := f.Tensor(modelfile.TensorEmbedding)
			if et.DType == modelfile.I8 {
				et = f.Tensor(modelfile.TensorEmbeddingScale)
			}
			val := f32bytes([]float32{x})
			if et.DType == modelfile.F16 {
				val = u16bytes([]uint16{float16.Fromfloat32(x).Bits()})
			}
			et.Data = bytes.Clone(et.Data)
			copy(et.Data[len(et.Data)-len(val):], val) // the last element
			var buf bytes.Buffer
			if err := modelfile.Encode(&buf, f); err != nil {
				t.Fatal(err)
			}
			pf, err := modelfile.Parse(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(pf); err == nil || !strings.Contains(err.Error(), "non-finite") {
				t.Errorf("spec %d (%s), %s = %v: New err = %v, want a non-finite error", si, testSpecs[si].emb, et.Name, x, err)
			}
		}
	}
}

// TestIDsOutsideEmbedding: an id outside the embedding counts as the OOV id, or as padding
// without one, whatever oov_id the file holds (a negative one that wrapped to a valid row as
// an int32 was used as the OOV id by the predictor though the tokenizer had none).
func TestIDsOutsideEmbedding(t *testing.T) {
	wrapped := int64(-1<<32 + 5) // int32(wrapped) == 5
	for _, c := range []struct {
		spec  int
		oov   int64
		asID  int32
		label string
	}{{0, 1, 1, "oov 1"}, {2, -1, 0, "no oov"}, {0, wrapped, 0, "oov_id wrapping to 5"}} {
		if int64(int(c.oov)) != c.oov {
			t.Logf("%s: skipped: does not fit a %d-bit int", c.label, strconv.IntSize)
			continue
		}
		f, _ := buildModel(t, testSpecs[c.spec], 4)
		f.Meta.Tokenizer.OOVID = int(c.oov)
		m, err := New(f)
		if err != nil {
			t.Fatalf("%s: %v", c.label, err)
		}
		p := m.NewPredictor()
		V := int32(testSpecs[c.spec].V)
		for _, bad := range []int32{V, V + 100, -1, -1 << 31} {
			got := slices.Clone(p.PredictIDs([]int32{3, bad, 4}).Scores)
			want := p.PredictIDs([]int32{3, c.asID, 4}).Scores
			if !slices.Equal(got, want) {
				t.Errorf("%s: id %d scores %v, want those of id %d: %v", c.label, bad, got, c.asID, want)
			}
		}
	}
}

// TestMetaIsNotUsedToPredict: Meta is exported; changing it after New must not change or
// break what existing predictors do (a larger maxlen read per call overran their scratch).
func TestMetaIsNotUsedToPredict(t *testing.T) {
	f, _ := buildModel(t, testSpecs[0], 6)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	seq := randSeq(rand.New(rand.NewPCG(6, 6)), testSpecs[0].V, 3*m.Preprocess().MaxLen)
	want := slices.Clone(p.PredictIDs(seq).Scores)
	m.Meta.Preprocess.MaxLen *= 2
	m.Meta.Preprocess.Truncating = modelfile.Post
	m.Meta.Tokenizer.OOVID = 7
	if got := p.PredictIDs(seq).Scores; !slices.Equal(got, want) {
		t.Fatalf("after changing Meta: scores %v, want %v", got, want)
	}
}

// TestNewTensorSizeMismatch: New takes Files built in memory too (convert does); a tensor with
// fewer or more bytes than its shape needs is an error, not a panic in New or later.
func TestNewTensorSizeMismatch(t *testing.T) {
	for _, si := range []int{0, 4, 5, 6} {
		base, _ := buildModel(t, testSpecs[si], 2)
		for i := range base.Tensors {
			for _, delta := range []int{-1, 1} {
				f := *base
				f.Tensors = slices.Clone(base.Tensors)
				tn := &f.Tensors[i]
				tn.Data = make([]byte, len(tn.Data)+delta*tn.DType.Size())
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("spec %d, %s %+d element: New panicked: %v", si, tn.Name, delta, r)
						}
					}()
					if _, err := New(&f); err == nil {
						t.Errorf("spec %d, %s %+d element: no error", si, tn.Name, delta)
					}
				}()
			}
		}
	}
}

// Issue 11, item 3: a loaded model is private memory. Overwriting the file with another
// model (cp other live), rewriting it in place, or truncating it (which gave SIGBUS with a
// shared mapping) must not change what the loaded model predicts.
func TestLoadedModelSurvivesFileChanges(t *testing.T) {
	f, _ := buildModel(t, testSpecs[5], 11)
	other, _ := buildModel(t, testSpecs[5], 12)
	path := writeModel(t, f)
	otherData, err := modelfile.Marshal(other)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	seqs := [][]int32{{5, 9, 9, 2}, {1}, {3, 3, 3, 3, 3, 7}}
	want := make([]float32, len(seqs))
	for i, s := range seqs {
		want[i] = p.PredictIDs(s).Scores[0]
	}
	check := func(what string) {
		t.Helper()
		for i, s := range seqs {
			if got := p.PredictIDs(s).Scores[0]; got != want[i] {
				t.Fatalf("after %s: score %v, was %v", what, got, want[i])
			}
		}
	}
	// In place (same inode), as cp does.
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write(otherData)
	fh.Close()
	check("cp of another model over the file")
	os.WriteFile(path, make([]byte, len(otherData)), 0o644)
	check("zeroing the file")
	os.Truncate(path, 0)
	check("truncating the file to 0 bytes")
	os.Remove(path)
	check("removing the file")
}
