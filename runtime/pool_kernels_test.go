package runtime

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
)

// poolCase is random tables and ids for one pooling-kernel comparison.
type poolCase struct {
	d, rows int
	ids     []int32
	coef    []float32
	f32     []float32
	f16     []uint16
	i8      []int8
}

func newPoolCase(r *rand.Rand, d, n int) *poolCase {
	c := &poolCase{d: d, rows: 1 + r.IntN(40)}
	c.f32 = make([]float32, c.rows*d)
	c.f16 = make([]uint16, c.rows*d)
	c.i8 = make([]int8, c.rows*d)
	for i := range c.f32 {
		c.f32[i] = float32(r.NormFloat64())
		if r.IntN(9) == 0 {
			c.f32[i] = float32(math.Copysign(0, r.NormFloat64())) // signed zeros: max must keep the twin's choice
		}
		c.f16[i] = float16.Fromfloat32(c.f32[i]).Bits()
		c.i8[i] = int8(r.IntN(256) - 128)
	}
	for k := 0; k < n; k++ {
		c.ids = append(c.ids, int32(r.IntN(c.rows)))
		c.coef = append(c.coef, float32(r.Float64()*0.02+1e-4))
	}
	return c
}

// samebits reports whether a and b hold the same float32 bit patterns.
func samebits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// runPoolCase compares every unrolled pooling kernel with its twin, bit for bit, on outputs
// at offset off inside guard values.
func runPoolCase(t *testing.T, c *poolCase, off int) {
	t.Helper()
	init := func(acc []float32, seed int) {
		for j := range acc {
			acc[j] = float32(math.Inf(-1))
			if seed%2 == 1 {
				acc[j] = float32(j%5) - 2 // a running max that some rows do not beat
			}
		}
	}
	for seed := 0; seed < 2; seed++ {
		for _, kind := range []string{"f32", "f16", "i8"} {
			got, check := withGuards(t, c.d, off, float32(guard))
			want := make([]float32, c.d)
			init(got, seed)
			init(want, seed)
			switch kind {
			case "f32":
				poolUnrolled.maxF32(got, c.f32, c.ids)
				poolGeneric.maxF32(want, c.f32, c.ids)
			case "f16":
				poolUnrolled.maxF16(got, c.f16, c.ids)
				poolGeneric.maxF16(want, c.f16, c.ids)
			case "i8":
				poolUnrolled.maxI8(got, c.i8, c.ids, c.coef)
				poolGeneric.maxI8(want, c.i8, c.ids, c.coef)
			}
			check()
			if !samebits(got, want) {
				t.Fatalf("max %s d=%d n=%d off=%d: %v, twin %v", kind, c.d, len(c.ids), off, got, want)
			}
			gotR, checkR := withGuards(t, c.d*len(c.ids), off, float32(guard))
			wantR := make([]float32, len(gotR))
			switch kind {
			case "f32":
				poolUnrolled.rowsF32(gotR, c.f32, c.ids, c.d)
				poolGeneric.rowsF32(wantR, c.f32, c.ids, c.d)
			case "f16":
				poolUnrolled.rowsF16(gotR, c.f16, c.ids, c.d)
				poolGeneric.rowsF16(wantR, c.f16, c.ids, c.d)
			case "i8":
				poolUnrolled.rowsI8(gotR, c.i8, c.ids, c.coef, c.d)
				poolGeneric.rowsI8(wantR, c.i8, c.ids, c.coef, c.d)
			}
			checkR()
			if !samebits(gotR, wantR) {
				t.Fatalf("rows %s d=%d n=%d off=%d differ from the twin", kind, c.d, len(c.ids), off)
			}
		}
	}
}

// The unrolled pooling kernels are bit-identical to their twins at widths around the unroll
// boundary (4) and the tutorial width (16), at output offsets 0-3.
func TestPoolKernelsMatchTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33} {
		for _, n := range []int{1, 2, 3, 20} {
			for off := 0; off < 4; off++ {
				runPoolCase(t, newPoolCase(r, d, n), off)
			}
		}
	}
}

// The twins themselves against the definition in float64: the max of the dequantized rows,
// and the rows side by side.
func TestPoolTwinsDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 3))
	c := newPoolCase(r, 6, 9)
	acc := make([]float32, c.d)
	for j := range acc {
		acc[j] = float32(math.Inf(-1))
	}
	maxI8Generic(acc, c.i8, c.ids, c.coef)
	rows := make([]float32, c.d*len(c.ids))
	rowsF16Generic(rows, c.f16, c.ids, c.d)
	for j := 0; j < c.d; j++ {
		want := math.Inf(-1)
		for k, id := range c.ids {
			want = math.Max(want, float64(c.coef[k]*float32(c.i8[int(id)*c.d+j])))
			if got, w := rows[k*c.d+j], float16.Frombits(c.f16[int(id)*c.d+j]).Float32(); got != w {
				t.Fatalf("rowsF16 [%d,%d] = %v, want %v", k, j, got, w)
			}
		}
		if float64(acc[j]) != want {
			t.Fatalf("maxI8[%d] = %v, want %v", j, acc[j], want)
		}
	}
}

func TestPoolKernelsBadInputPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"maxF32 id":     func() { maxF32Unrolled(make([]float32, 4), make([]float32, 8), []int32{2}) },
		"maxI8 coef":    func() { maxI8Unrolled(make([]float32, 4), make([]int8, 8), []int32{1}, nil) },
		"rowsF32 short": func() { rowsF32Unrolled(make([]float32, 3), make([]float32, 8), []int32{1}, 4) },
		"rowsI8 id":     func() { rowsI8Generic(make([]float32, 4), make([]int8, 8), []int32{-1}, []float32{1}, 4) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func FuzzPoolKernels(f *testing.F) {
	f.Add(uint8(16), uint8(3), uint64(1))
	f.Add(uint8(7), uint8(1), uint64(2))
	f.Fuzz(func(t *testing.T, d, n uint8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 13))
		runPoolCase(t, newPoolCase(r, int(d%40)+1, int(n%30)+1), int(seed%4))
	})
}

// BenchmarkPredictPooling: one prediction from 12 ids of 100 (maxlen 100, width 16, the
// course sizes; flatten feeds 1600 inputs to Dense(6)) for each pooling and storage.
func BenchmarkPredictPooling(b *testing.B) {
	for _, c := range []struct {
		name string
		s    testSpec
	}{
		{"avg-f32", testSpec{V: 10000, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100}},
		{"max-f32", testSpec{V: 10000, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100, pool: "max"}},
		{"max-int8", testSpec{V: 10000, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100, pool: "max", emb: "int8-row", dense: "int8-channel"}},
		{"flatten-f32", testSpec{V: 10000, D: 16, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100, pool: "flatten"}},
		{"flatten-int8", testSpec{V: 10000, D: 16, hidden: []int{6, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100, pool: "flatten", emb: "int8-row", dense: "int8-channel"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, _ := buildModel(b, c.s, 1)
			m, err := New(f)
			if err != nil {
				b.Fatal(err)
			}
			p := m.NewPredictor()
			seq := randSeq(rand.New(rand.NewPCG(3, 3)), c.s.V, 12)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.PredictIDs(seq)
			}
		})
	}
}
