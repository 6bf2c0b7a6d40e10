package runtime

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// The peers' network: Embedding(10000,16) -> mean over 100 -> Dense(24 relu) -> Dense(1 sigmoid).
func peerSpec(emb, dense string) testSpec {
	return testSpec{V: 10000, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1,
		maxlen: 100, emb: emb, dense: dense}
}

var benchModels = []struct {
	name       string
	emb, dense string
}{
	{"f32", modelfile.SchemeF32, modelfile.SchemeF32},
	{"f16", modelfile.SchemeF16, modelfile.SchemeF32},
	{"int8", modelfile.SchemeInt8Row, modelfile.SchemeInt8Chan},
	{"int8-tensor", modelfile.SchemeInt8Tensor, modelfile.SchemeInt8Chan},
}

// peerInputs are like the peers' tokens.txt: 100 ids, pre-padded, 8..20 real ids.
func peerInputs(n int) [][]int32 {
	r := rand.New(rand.NewPCG(42, 42))
	out := make([][]int32, n)
	for i := range out {
		row := make([]int32, 100)
		k := 8 + r.IntN(13)
		for j := 100 - k; j < 100; j++ {
			row[j] = int32(1 + r.IntN(9999))
		}
		out[i] = row
	}
	return out
}

func benchTables() []kernelVariant {
	return append([]kernelVariant{{k: &generic, ok: true}, {k: &unrolled, ok: true}}, archVariants()...)
}

func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	c := newGatherCase(r, 16, 13, 0) // 12 distinct ids and the padding row, as in a headline
	c.rows = 50
	x := make([]float32, 24)
	w := make([]float32, 24*24)
	bias := make([]float32, 24)
	out := make([]float32, 24)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	ids := peerInputs(1)[0]
	for _, v := range benchTables() {
		if !v.ok {
			continue
		}
		k := v.k
		b.Run(k.name+"/gatherF32-16x13", func(b *testing.B) {
			for b.Loop() {
				k.gatherF32(c.accF, c.f32, c.ids, c.coefF)
			}
		})
		b.Run(k.name+"/gatherF16-16x13", func(b *testing.B) {
			for b.Loop() {
				k.gatherF16(c.accF, c.f16, c.ids, c.coefF)
			}
		})
		b.Run(k.name+"/gatherI8-16x13", func(b *testing.B) {
			for b.Loop() {
				k.gatherI8(c.accF, c.i8, c.ids, c.coefF)
			}
		})
		b.Run(k.name+"/gatherI8I32-16x13", func(b *testing.B) {
			for b.Loop() {
				k.gatherI8I32(c.accI, c.i8, c.ids, c.coefI)
			}
		})
		b.Run(k.name+"/dense-16x24", func(b *testing.B) {
			for b.Loop() {
				k.dense(out, x[:16], w[:16*24], bias, true)
			}
		})
		b.Run(k.name+"/dense-24x1", func(b *testing.B) {
			for b.Loop() {
				k.dense(out[:1], x, w[:24], bias[:1], false)
			}
		})
		dst := make([]int32, len(ids))
		b.Run(k.name+"/compactIDs-100", func(b *testing.B) {
			for b.Loop() {
				k.compactIDs(dst, ids, 10000, 1)
			}
		})
		if k.denseT != nil {
			wT := w[:16*24]
			b.Run(k.name+"/denseT-16x24", func(b *testing.B) {
				for b.Loop() {
					k.denseT(out, x[:16], wT, bias, true)
				}
			})
		}
	}
}

func benchModel(b *testing.B, emb, dense string) *Model {
	f, _ := buildModel(b, peerSpec(emb, dense), 1)
	m, err := New(f)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkPredictIDs is one prediction from 100 pre-padded ids with the kernels in use;
// BenchmarkPredictIDsTwin is the same with the reference twins.
func BenchmarkPredictIDs(b *testing.B) { benchPredictIDs(b, &kern) }

func BenchmarkPredictIDsTwin(b *testing.B) { benchPredictIDs(b, &generic) }

func benchPredictIDs(b *testing.B, k *kernels) {
	in := peerInputs(4096)
	for _, bm := range benchModels {
		m := benchModel(b, bm.emb, bm.dense)
		p := m.newPredictorKernels(k)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.PredictIDs(in[i&4095])
				i++
			}
		})
	}
}

var headlines = []string{
	"scientists discover that the moon is slowly drifting away from earth",
	"local man wins award for best backyard garden in the county",
	"new study finds coffee drinkers live longer than tea drinkers",
	"area woman shocked to learn her cat has been living a double life",
}

func BenchmarkPredictText(b *testing.B) {
	for _, bm := range benchModels[:3] {
		m := benchModel(b, bm.emb, bm.dense)
		p := m.NewPredictor()
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.PredictText(headlines[i&3])
				i++
			}
		})
	}
}

// BenchmarkPredictBatch2 runs two goroutines, each with its own predictor; ns/op is per
// prediction, samples/s the total rate.
func BenchmarkPredictBatch2(b *testing.B) {
	in := peerInputs(4096)
	for _, bm := range benchModels {
		m := benchModel(b, bm.emb, bm.dense)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			var wg sync.WaitGroup
			b.ResetTimer()
			for g := 0; g < 2; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := m.NewPredictor()
					for i := g; i < b.N; i += 2 {
						p.PredictIDs(in[i&4095])
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// Instruction counting under qemu (see BENCH.md): run this test with -instr.n=N and
// -instr.kernels=NAME and the same with -instr.n=0; the difference of the executed
// instruction counts over N is the cost of one inference.
var (
	instrN       = flag.Int("instr.n", 0, "TestInstrCount: number of inferences to run (0: skip the test unless -instr.kernels is set)")
	instrKernels = flag.String("instr.kernels", "", "TestInstrCount: kernel table: generic, go, or an assembly table's name (default: the one in use)")
	instrModel   = flag.String("instr.model", "f32", "TestInstrCount: f32, f16, int8 or int8-tensor")
	instrText    = flag.Bool("instr.text", false, "TestInstrCount: predict from text (PredictText, tokenization included) instead of ids")
)

func TestInstrCount(t *testing.T) {
	if *instrN == 0 && *instrKernels == "" {
		t.Skip("instruction counting: run with -instr.n and -instr.kernels under qemu (BENCH.md)")
	}
	k := &kern
	if *instrKernels != "" {
		k = nil
		for _, v := range benchTables() {
			if v.k.name == *instrKernels {
				if !v.ok {
					t.Fatalf("kernels %q: %s", v.k.name, v.why)
				}
				k = v.k
			}
		}
		if k == nil {
			t.Fatalf("unknown -instr.kernels %q", *instrKernels)
		}
	}
	var emb, dense string
	for _, bm := range benchModels {
		if bm.name == *instrModel {
			emb, dense = bm.emb, bm.dense
		}
	}
	// The peers' network with a 1000-word vocabulary: the work per inference does not depend
	// on it, and building the model is most of the baseline run's instructions.
	spec := peerSpec(emb, dense)
	spec.V = 1000
	f, _ := buildModel(t, spec, 1)
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := m.newPredictorKernels(k)
	in := peerInputs(64)
	for _, row := range in {
		for i, id := range row {
			if id != 0 {
				row[i] = 1 + id%999
			}
		}
	}
	// Texts like headlines: the same ids as words ("w12"), ten in one, capitalized and with
	// punctuation now and then, so the tokenizer lowers and filters as on real text.
	texts := make([]string, len(in))
	for i, row := range in {
		var b strings.Builder
		n := 0
		for _, id := range row {
			if id == 0 || n == 10 {
				continue
			}
			if n > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "w%d", id)
			if id%7 == 0 {
				b.WriteByte(',')
			}
			n++
		}
		texts[i] = strings.Replace(b.String(), "w", "W", 1)
	}
	var s float32
	if *instrText {
		for i := 0; i < *instrN; i++ {
			s += p.PredictText(texts[i&63]).Scores[0]
		}
	} else {
		for i := 0; i < *instrN; i++ {
			s += p.PredictIDs(in[i&63]).Scores[0]
		}
	}
	fmt.Printf("instr: kernels=%s model=%s text=%v n=%d sum=%s\n", k.name, *instrModel, *instrText, *instrN, strings.TrimSpace(fmt.Sprint(s)))
}
