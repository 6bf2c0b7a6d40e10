package runtime

// kernels is the dispatch table of the hot loops. Every entry has a pure-Go reference twin
// (kernels_generic.go, always compiled, the doc comments there are the contracts) and a
// SIMD-friendly pure-Go version (kernels_unrolled.go); assembly versions for amd64 (AVX2+FMA+F16C)
// and arm64 (NEON, SDOT where the CPU has the dot-product extension) replace entries once at
// init (kernels_amd64.go, kernels_arm64.go). Build with -tags noasm to use pure Go only.
//
// Predictors copy a *kernels at creation, so tests compare tables side by side in one binary
// (newPredictorKernels) without touching package state.
type kernels struct {
	name string
	// gatherF32: for each k, acc[j] += coef[k] * table[ids[k]*len(acc)+j], j < len(acc).
	gatherF32 func(acc, table []float32, ids []int32, coef []float32)
	// gatherF16: the same with table holding IEEE half floats.
	gatherF16 func(acc []float32, table []uint16, ids []int32, coef []float32)
	// gatherI8: the same with table holding int8 (coef carries the row scale).
	gatherI8 func(acc []float32, table []int8, ids []int32, coef []float32)
	// gatherI8I32: acc[j] += coef[k] * int32(table[ids[k]*len(acc)+j]), exact; the caller
	// keeps sum_k |coef[k]| * 128 below 2^31.
	gatherI8I32 func(acc []int32, table []int8, ids []int32, coef []int32)
	// dense: out[o] = b[o] + sum_i w[o*len(x)+i] * x[i], then max(out[o], 0) when relu.
	dense func(out, x, w, b []float32, relu bool)
	// denseT: the same with the weights transposed, wT[i*len(out)+o] = w[o*len(x)+i] (the
	// layout for outputs computed side by side); nil when the table has none (dense runs).
	denseT func(out, x, wT, b []float32, relu bool)
	// denseTDot: denseT, then returns b2 + sum_o w2[o] * out[o] (the next layer when it has
	// one output, without another call); nil when the table has none.
	denseTDot func(out, x, wT, b []float32, relu bool, w2 []float32, b2 float32) float32
	// sumF32x16, sumF16x16, sumI8x16 (optional, nil when the table has none): the average
	// path of 16-wide embeddings fused, compactIDs and a gather in one pass: for each id of
	// seq, replaced by bad when outside [0, rows), that is not 0, acc[j] += c * row(id)[j]
	// (scale[id] * row(id)[j] for int8 rows); then, when pad and maxlen exceeds their count,
	// the padding row 0 with (maxlen - count) * c (times scale[0]). They return the count.
	sumF32x16 func(acc, table []float32, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int
	sumF16x16 func(acc []float32, table []uint16, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int
	sumI8x16  func(acc []float32, table []int8, scale []float32, seq []int32, rows, bad int32, maxlen int, pad bool) int
	// compactIDs: writes to dst, in order, every id of seq that is not 0 once each id outside
	// [0, rows) has been replaced by bad (0 <= bad < rows), and returns how many it wrote;
	// len(dst) >= len(seq). The predictor's id loop: padding and zeros are only counted.
	compactIDs func(dst, seq []int32, rows, bad int32) int
}

// generic is the table of reference twins.
var generic = kernels{
	name:        "generic",
	gatherF32:   gatherF32Generic,
	gatherF16:   gatherF16Generic,
	gatherI8:    gatherI8Generic,
	gatherI8I32: gatherI8I32Generic,
	dense:       denseGeneric,
	denseT:      denseTGeneric,
	denseTDot:   denseTDotGeneric,
	compactIDs:  compactIDsGeneric,
}

// unrolled is the table of SIMD-friendly pure-Go kernels: the fallback on arm (GOARM 6/7),
// on amd64 without AVX2, and with -tags noasm.
var unrolled = kernels{
	name:        "go",
	gatherF32:   gatherF32Unrolled,
	gatherF16:   gatherF16Unrolled,
	gatherI8:    gatherI8Unrolled,
	gatherI8I32: gatherI8I32Unrolled,
	dense:       denseUnrolled, // four partial sums per output beat the transposed form in Go
	compactIDs:  compactIDsUnrolled,
}

// kern is the table in use, chosen once at init (archKernels is per architecture).
var kern = archKernels()

// Kernels describes the kernels in use, for bench and inspect: "avx2+fma+f16c",
// "neon+sdot", "neon", "go" (pure Go, unrolled) or "go (noasm)".
func Kernels() string { return kern.name }

// asmGather reports whether an assembly gather takes rows of width d (a multiple of its
// vector width, with at least one id) or the pure-Go fallback must; ids and coef of
// different lengths are a programmer error and panic, as in every gather.
func asmGather(d, width, nids, ncoef int) bool {
	if d%width != 0 || nids == 0 {
		return false
	}
	if ncoef != nids {
		panic("runtime: gather: len(ids) != len(coef)")
	}
	return true
}

// errGatherID is the panic of a gather given an id outside its table.
const errGatherID = "runtime: gather: id out of range"

// checkID panics unless row id of a table of n elements in rows of d exists. Without it a
// huge id would wrap int(id)*d on 32-bit arm and read another row instead of panicking.
func checkID(id int32, n, d int) {
	if uint(id) >= uint(n/max(d, 1)) {
		panic(errGatherID)
	}
}

// kernelVariant is an assembly table and whether this CPU can run it.
type kernelVariant struct {
	k   *kernels
	ok  bool
	why string // why not, when !ok
}
