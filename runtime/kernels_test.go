package runtime

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/x448/float16"
)

// Exactness contracts checked here (the twins are in kernels_generic.go):
//   - gatherI8I32 and compactIDs: bit-identical to the twin.
//   - float kernels (gather f32/f16/i8, dense, denseT): |fast - twin| <= 2(n+1) * 2^-24 * (sum of
//     |terms|), n the number of terms summed (ids, or dense inputs), the terms being each
//     coef*row value (or w*x product) and the initial accumulator: the fast kernels fuse
//     multiply-adds and sum in another order, and either sum is within (n+1) half-ulps
//     (2^-24 relative) of the sum of the magnitudes from the exact one.
func floatTol(n int) float64 { return 2 * float64(n+1) / (1 << 24) }

// testTables returns the tables to check against the twins: the unrolled pure-Go table and
// every assembly table this build has. A table this CPU cannot run is reported by name and
// skipped loudly by the caller.
func testTables() []kernelVariant {
	return append([]kernelVariant{{k: &unrolled, ok: true}}, archVariants()...)
}

func forTables(t *testing.T, f func(t *testing.T, k *kernels)) {
	for _, v := range testTables() {
		t.Run(v.k.name, func(t *testing.T) {
			if !v.ok {
				t.Skipf("SKIPPED: kernels %q not tested on this CPU: %s", v.k.name, v.why)
			}
			t.Parallel()
			f(t, v.k)
		})
	}
}

// Lengths around every unroll boundary (4 in Go, 8/16 in AVX2, 4/16 in NEON).
var (
	testDims   = []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 25, 31, 32, 33, 48, 64}
	testCounts = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33, 101}
)

const guard = -12345.5

// withGuards returns a slice of n elements at offset off inside a buffer whose other elements
// hold g, and a check that they still do.
func withGuards[T comparable](t *testing.T, n, off int, g T) ([]T, func()) {
	buf := make([]T, off+n+4)
	for i := range buf {
		buf[i] = g
	}
	s := buf[off : off+n : off+n]
	return s, func() {
		t.Helper()
		for i := range buf {
			if (i < off || i >= off+n) && buf[i] != g {
				t.Fatalf("guard at %d (slice at %d..%d) overwritten: %v", i, off, off+n, buf[i])
			}
		}
	}
}

type gatherCase struct {
	d, rows int
	ids     []int32
	coefF   []float32
	coefI   []int32
	accF    []float32
	accI    []int32
	f32     []float32
	f16     []uint16
	i8      []int8
}

func newGatherCase(r *rand.Rand, d, n, off int) *gatherCase {
	c := &gatherCase{d: d, rows: 1 + r.IntN(50)}
	c.ids = make([]int32, n)
	c.coefF = make([]float32, n)
	c.coefI = make([]int32, n)
	for k := range c.ids {
		c.ids[k] = int32(r.IntN(c.rows))
		c.coefF[k] = float32(r.NormFloat64())
		c.coefI[k] = int32(r.IntN(201) - 100)
	}
	c.accF = make([]float32, d)
	c.accI = make([]int32, d)
	for j := range c.accF {
		c.accF[j] = float32(r.NormFloat64())
		c.accI[j] = int32(r.IntN(20001) - 10000)
	}
	// Tables start at an unaligned element offset.
	c.f32 = make([]float32, off+c.rows*d)[off:]
	c.f16 = make([]uint16, off+c.rows*d)[off:]
	c.i8 = make([]int8, off+c.rows*d)[off:]
	for i := range c.f32 {
		c.f32[i] = float32(r.NormFloat64())
		c.f16[i] = float16.Fromfloat32(float32(r.NormFloat64())).Bits()
		c.i8[i] = int8(r.IntN(256) - 128)
	}
	return c
}

// magnitude returns, per column, the sum of |terms| of a float gather.
func (c *gatherCase) magnitude(val func(i int) float64) []float64 {
	m := make([]float64, c.d)
	for j := range m {
		m[j] = math.Abs(float64(c.accF[j]))
		for k, id := range c.ids {
			m[j] += math.Abs(float64(c.coefF[k]) * val(int(id)*c.d+j))
		}
	}
	return m
}

func checkClose(t *testing.T, what string, n int, got, want []float32, mag []float64) {
	t.Helper()
	tol := floatTol(n)
	for j := range want {
		if d := math.Abs(float64(got[j]) - float64(want[j])); d > tol*mag[j] || math.IsNaN(float64(got[j])) {
			t.Fatalf("%s: element %d = %v, twin %v (diff %g > %g)", what, j, got[j], want[j], d, tol*mag[j])
		}
	}
}

func runGatherCase(t *testing.T, k *kernels, c *gatherCase, off int, name string) {
	t.Helper()
	// float32
	want := append([]float32(nil), c.accF...)
	gatherF32Generic(want, c.f32, c.ids, c.coefF)
	got, check := withGuards(t, c.d, off, float32(guard))
	copy(got, c.accF)
	k.gatherF32(got, c.f32, c.ids, c.coefF)
	check()
	checkClose(t, name+" gatherF32", len(c.ids), got, want, c.magnitude(func(i int) float64 { return float64(c.f32[i]) }))
	// float16
	want = append(want[:0], c.accF...)
	gatherF16Generic(want, c.f16, c.ids, c.coefF)
	copy(got, c.accF)
	k.gatherF16(got, c.f16, c.ids, c.coefF)
	check()
	checkClose(t, name+" gatherF16", len(c.ids), got, want, c.magnitude(func(i int) float64 { return float64(float16.Frombits(c.f16[i]).Float32()) }))
	// int8 -> float32
	want = append(want[:0], c.accF...)
	gatherI8Generic(want, c.i8, c.ids, c.coefF)
	copy(got, c.accF)
	k.gatherI8(got, c.i8, c.ids, c.coefF)
	check()
	checkClose(t, name+" gatherI8", len(c.ids), got, want, c.magnitude(func(i int) float64 { return float64(c.i8[i]) }))
	// int8 -> int32, exact
	wantI := append([]int32(nil), c.accI...)
	gatherI8I32Generic(wantI, c.i8, c.ids, c.coefI)
	gotI, checkI := withGuards(t, c.d, off, int32(-777))
	copy(gotI, c.accI)
	k.gatherI8I32(gotI, c.i8, c.ids, c.coefI)
	checkI()
	for j := range wantI {
		if gotI[j] != wantI[j] {
			t.Fatalf("%s gatherI8I32: element %d = %d, twin %d", name, j, gotI[j], wantI[j])
		}
	}
}

func TestGatherKernelsMatchTwins(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, d := range testDims {
			for _, n := range testCounts {
				for off := 0; off < 4; off++ {
					c := newGatherCase(r, d, n, off)
					runGatherCase(t, k, c, off, k.name)
				}
			}
		}
	})
}

// TestGatherI8I32Bound pins the overflow contract: with sum |coef| * 128 just below 2^31
// every kernel is still exact (and agrees with int64 arithmetic).
func TestGatherI8I32Bound(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		for _, d := range []int{16, 17, 32} {
			rows := 4
			table := make([]int8, rows*d)
			for i := range table {
				table[i] = -128
				if i%3 == 1 {
					table[i] = 127
				}
			}
			// (2^31-1)/128 = 16777215.99: spread over 9 ids, as a maxlen-scale count never is.
			limit := int32((1<<31 - 1) / 128)
			ids := []int32{0, 1, 2, 3, 0, 1, 2, 3, 0}
			coef := make([]int32, len(ids))
			rest := limit
			for i := range coef {
				coef[i] = limit / int32(len(ids))
				rest -= coef[i]
			}
			coef[0] += rest
			checkI8I32Exact(t, k, d, table, ids, coef)
			// int8 extremes (the SDOT path takes coefficients that fit in int8): 101 ids.
			ids, coef = ids[:0], coef[:0]
			for i := 0; i < 101; i++ {
				ids = append(ids, int32(i%rows))
				coef = append(coef, []int32{127, -128}[i%2])
			}
			checkI8I32Exact(t, k, d, table, ids, coef)
		}
	})
}

func checkI8I32Exact(t *testing.T, k *kernels, d int, table []int8, ids, coef []int32) {
	t.Helper()
	acc := make([]int32, d)
	k.gatherI8I32(acc, table, ids, coef)
	for j := range acc {
		var want int64
		for i, id := range ids {
			want += int64(coef[i]) * int64(table[int(id)*d+j])
		}
		if int64(acc[j]) != want {
			t.Fatalf("%s d=%d element %d = %d, want %d", k.name, d, j, acc[j], want)
		}
	}
}

func TestDenseMatchesTwin(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, nin := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 64} {
			for _, nout := range []int{1, 2, 3, 4, 5, 8, 9, 12, 16, 20, 24, 25, 28, 32, 36, 40, 48} {
				for off := 0; off < 4; off++ {
					x := make([]float32, off+nin)[off:]
					w := make([]float32, off+nin*nout)[off:]
					b := make([]float32, off+nout)[off:]
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					for i := range w {
						w[i] = float32(r.NormFloat64())
					}
					for i := range b {
						b[i] = float32(r.NormFloat64())
					}
					relu := off%2 == 1
					want := make([]float32, nout)
					denseGeneric(want, x, w, b, relu)
					got, check := withGuards(t, nout, off, float32(guard))
					k.dense(got, x, w, b, relu)
					check()
					mag := make([]float64, nout)
					for o := range mag {
						mag[o] = math.Abs(float64(b[o]))
						for i := range x {
							mag[o] += math.Abs(float64(w[o*nin+i] * x[i]))
						}
					}
					checkClose(t, k.name+" dense", nin, got, want, mag)
					if k.denseT == nil {
						continue
					}
					wT := make([]float32, off+nin*nout)[off:]
					for o := 0; o < nout; o++ {
						for i := 0; i < nin; i++ {
							wT[i*nout+o] = w[o*nin+i]
						}
					}
					twin := make([]float32, nout)
					denseTGeneric(twin, x, wT, b, relu)
					checkClose(t, "denseT twin", nin, twin, want, mag)
					gotT, checkT := withGuards(t, nout, off, float32(guard))
					k.denseT(gotT, x, wT, b, relu)
					checkT()
					checkClose(t, k.name+" denseT", nin, gotT, want, mag)
					if k.denseTDot == nil {
						continue
					}
					w2 := make([]float32, nout)
					for i := range w2 {
						w2[i] = float32(r.NormFloat64())
					}
					b2 := float32(r.NormFloat64())
					twinOut := make([]float32, nout)
					wantDot := denseTDotGeneric(twinOut, x, wT, b, relu, w2, b2)
					gotD, checkD := withGuards(t, nout, off, float32(guard))
					gotDot := k.denseTDot(gotD, x, wT, b, relu, w2, b2)
					checkD()
					checkClose(t, k.name+" denseTDot hidden", nin, gotD, want, mag)
					// The dot's terms: the hidden values' own error times |w2|, plus its sum's.
					magDot := math.Abs(float64(b2))
					for o := range w2 {
						magDot += math.Abs(float64(w2[o])) * (math.Abs(float64(twinOut[o])) + floatTol(nin)*mag[o])
					}
					checkClose(t, k.name+" denseTDot", nout, []float32{gotDot}, []float32{wantDot}, []float64{magDot})
				}
			}
		}
	})
}

// TestCompactIDsLeadingZeros: runs of zeros of every length up to 70 (across every block
// size of the kernels), then one nonzero id, then more ids, at offsets 0-3.
func TestCompactIDsLeadingZeros(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		for n := 0; n <= 70; n++ {
			for first := 0; first <= n; first++ {
				for off := 0; off < 4; off++ {
					seq := make([]int32, off+n)[off:]
					for i := first; i < n; i++ {
						seq[i] = int32(i%5) * 3 // zeros among the tail too
					}
					if first < n {
						seq[first] = []int32{1 << 20, -1, 7}[first%3] // past the table, negative, valid
					}
					want := make([]int32, n+1)
					got, check := withGuards(t, n+1, off, int32(-7))
					nw := compactIDsGeneric(want, seq, 10, 2)
					ng := k.compactIDs(got, seq, 10, 2)
					check()
					if ng != nw || !slices.Equal(got[:ng], want[:nw]) {
						t.Fatalf("%s: n=%d first nonzero at %d: %v (%d), twin %v (%d)", k.name, n, first, got[:ng], ng, want[:nw], nw)
					}
				}
			}
		}
	})
}

func TestHalfToFloatAllPatterns(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got := halfToFloat(uint16(h))
		want := float16.Frombits(uint16(h)).Float32()
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("half %#04x: %v (%#08x), want %v (%#08x)", h, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// TestPredictorTablesAgree runs whole predictions with every table against the twins.
func TestPredictorTablesAgree(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		specs := append([]testSpec(nil), testSpecs...)
		specs = append(specs,
			testSpec{V: 100, D: 16, hidden: []int{24, 1}, acts: []string{"relu", "sigmoid"}, oov: 1, maxlen: 100, emb: "int8-tensor"},
			testSpec{V: 100, D: 32, hidden: []int{8, 3}, acts: []string{"relu", "softmax"}, oov: 1, maxlen: 100, emb: "f16", padding: "post"},
		)
		for si, s := range specs {
			if s.emb == "int8-tensor" || s.emb == "f16" {
				s.emb = map[string]string{"int8-tensor": specs[6].emb, "f16": specs[4].emb}[s.emb]
			}
			f, _ := buildModel(t, s, uint64(si))
			m, err := New(f)
			if err != nil {
				t.Fatal(err)
			}
			ref, fast := m.newPredictorKernels(&generic), m.newPredictorKernels(k)
			r := rand.New(rand.NewPCG(uint64(si), 5))
			for trial := 0; trial < 100; trial++ {
				seq := randSeq(r, s.V, r.IntN(2*m.Meta.Preprocess.MaxLen+2))
				want := append([]float32(nil), ref.PredictIDs(seq).Scores...)
				got := fast.PredictIDs(seq).Scores
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-6 {
						t.Fatalf("spec %d: score %d = %v with %s, %v with the twins", si, i, got[i], k.name, want[i])
					}
				}
			}
		}
	})
}

func FuzzKernels(f *testing.F) {
	f.Add(uint8(16), []byte{1, 2, 3, 0, 0, 5}, uint64(1))
	f.Add(uint8(7), []byte{9}, uint64(2))
	f.Add(uint8(33), []byte{}, uint64(3))
	f.Fuzz(func(t *testing.T, d uint8, idb []byte, seed uint64) {
		dim := int(d%70) + 1
		r := rand.New(rand.NewPCG(seed, 9))
		c := newGatherCase(r, dim, 0, int(seed%4))
		for _, b := range idb {
			c.ids = append(c.ids, int32(int(b)%c.rows))
			c.coefF = append(c.coefF, float32(int8(b))/7)
			c.coefI = append(c.coefI, int32(int8(b)))
		}
		ids := make([]int32, len(idb))
		for i, b := range idb {
			ids[i] = int32(b>>4) * int32(b&1)
		}
		for _, v := range testTables() {
			if !v.ok {
				continue
			}
			runGatherCase(t, v.k, c, int(seed%4), v.k.name)
			checkCompactIDs(t, v.k, rand.New(rand.NewPCG(seed, uint64(len(idb)))), 1+int(d%50), len(idb)+int(seed%7))
			checkCompactSeq(t, v.k, ids, int32(1+d%20), int32(d%3))
			if v.k.sumF32x16 != nil {
				checkSumCase(t, v.k, rand.New(rand.NewPCG(seed, 3)), len(idb)+int(seed%40), int(seed%4))
			}
			out := make([]float32, 1+int(seed%30))
			want := make([]float32, len(out))
			x := make([]float32, dim)
			w := make([]float32, dim*len(out))
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			b := w[:len(out)]
			relu := seed%2 == 0
			denseGeneric(want, x, w, b, relu)
			v.k.dense(out, x, w, b, relu)
			mag := make([]float64, len(out))
			for o := range mag {
				mag[o] = math.Abs(float64(b[o]))
				for i := range x {
					mag[o] += math.Abs(float64(w[o*dim+i] * x[i]))
				}
			}
			checkClose(t, v.k.name+" dense", dim, out, want, mag)
		}
	})
}

// TestGatherBadIDPanics: an id outside the table is a programmer error; every kernel panics
// before reading memory it does not own.
func TestGatherBadIDPanics(t *testing.T) {
	for _, v := range append(testTables(), kernelVariant{k: &generic, ok: true}) {
		if !v.ok {
			continue
		}
		for _, d := range []int{7, 16, 32} {
			for _, bad := range []int32{4, 1 << 30, -1} {
				table := make([]float32, 4*d)
				i8 := make([]int8, 4*d)
				f16 := make([]uint16, 4*d)
				ids := []int32{0, 1, bad, 2, 3}
				cf := make([]float32, len(ids))
				ci := make([]int32, len(ids))
				for name, f := range map[string]func(){
					"gatherF32":   func() { v.k.gatherF32(make([]float32, d), table, ids, cf) },
					"gatherF16":   func() { v.k.gatherF16(make([]float32, d), f16, ids, cf) },
					"gatherI8":    func() { v.k.gatherI8(make([]float32, d), i8, ids, cf) },
					"gatherI8I32": func() { v.k.gatherI8I32(make([]int32, d), i8, ids, ci) },
				} {
					func() {
						defer func() {
							if recover() == nil {
								t.Errorf("%s %s: id %d of 4 rows (d=%d) did not panic", v.k.name, name, bad, d)
							}
						}()
						f()
					}()
				}
			}
		}
	}
}

// TestCompactIDsMatchesTwin: the id loop is exact: the same ids in the same order.
func TestCompactIDsMatchesTwin(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		r := rand.New(rand.NewPCG(7, 8))
		for trial := 0; trial < 3000; trial++ {
			checkCompactIDs(t, k, r, 1+r.IntN(40), r.IntN(150))
		}
	})
}

func checkCompactIDs(t *testing.T, k *kernels, r *rand.Rand, rows, n int) {
	t.Helper()
	seq := make([]int32, n)
	dense := r.IntN(2) == 0 // else long zero runs, as in padded rows
	for i := range seq {
		if !dense && r.IntN(6) != 0 {
			continue
		}
		switch r.IntN(8) {
		case 0:
			seq[i] = 0
		case 1:
			seq[i] = int32(rows + r.IntN(3)) // past the table
		case 2:
			seq[i] = -1 - int32(r.IntN(1<<31-1))
		default:
			seq[i] = int32(r.IntN(rows))
		}
	}
	checkCompactSeq(t, k, seq, int32(rows), int32(r.IntN(rows)))
}

func checkCompactSeq(t *testing.T, k *kernels, seq []int32, rows, bad int32) {
	t.Helper()
	want := make([]int32, len(seq))
	got, check := withGuards(t, len(seq), len(seq)%4, int32(-7))
	nw := compactIDsGeneric(want, seq, rows, bad)
	ng := k.compactIDs(got, seq, rows, bad)
	check()
	if ng != nw || !slices.Equal(got[:ng], want[:nw]) {
		t.Fatalf("%s compactIDs(seq %v, rows %d, bad %d) = %v, twin %v", k.name, seq, rows, bad, got[:ng], want[:nw])
	}
}

// TestKernelsChoice: the table in use is the best one this CPU runs (the last runnable
// assembly table, else the unrolled pure Go), and Kernels names it.
func TestKernelsChoice(t *testing.T) {
	want := unrolled.name
	for _, v := range archVariants() {
		if v.ok {
			want = v.k.name
		}
	}
	if kern.name == "go (noasm)" && len(archVariants()) == 0 {
		want = kern.name
	}
	if got := Kernels(); got != want {
		t.Fatalf("Kernels() = %q, want %q", got, want)
	}
	t.Logf("kernels in use: %s", Kernels())
}
