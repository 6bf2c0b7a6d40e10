//go:build !noasm

package runtime

import "golang.org/x/sys/cpu"

// hasAVX2 is true when the AVX2 kernels can run: AVX2, FMA and F16C (every AVX2 CPU in
// practice, checked anyway) with the OS saving YMM state (x/sys/cpu checks XGETBV).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// avx2 is the AVX2 table. Rows whose width is not a multiple of 8 and dense layers whose
// input is not a multiple of 8 fall back to the unrolled pure-Go kernels.
var avx2 = kernels{
	name:        "avx2+fma+f16c",
	gatherF32:   gatherF32AVX2Go,
	gatherF16:   gatherF16AVX2Go,
	gatherI8:    gatherI8AVX2Go,
	gatherI8I32: gatherI8I32AVX2Go,
	dense:       denseAVX2Go,
	compactIDs:  compactIDsAVX2Go,
}

func archKernels() kernels {
	if hasAVX2 {
		return avx2
	}
	return unrolled
}

// archVariants lists the assembly tables this build has, with whether this CPU runs them,
// for tests and benchmarks.
func archVariants() []kernelVariant {
	return []kernelVariant{{k: &avx2, ok: hasAVX2, why: "CPU lacks AVX2/FMA/F16C"}}
}

//go:noescape
func gatherF32AVX2(acc *float32, d int, table *float32, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherF16AVX2(acc *float32, d int, table *uint16, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherI8AVX2(acc *float32, d int, table *int8, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherI8I32AVX2(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool

//go:noescape
func denseAVX2(out *float32, nout int, x *float32, nin int, w *float32, b *float32, relu int)

//go:noescape
func zeroPrefixAVX2(ids *int32, n int) int

func gatherF32AVX2Go(acc, table []float32, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 8, len(ids), len(coef)) {
		gatherF32Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherF32AVX2(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherF16AVX2Go(acc []float32, table []uint16, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 8, len(ids), len(coef)) {
		gatherF16Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherF16AVX2(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherI8AVX2Go(acc []float32, table []int8, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 8, len(ids), len(coef)) {
		gatherI8Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherI8AVX2(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherI8I32AVX2Go(acc []int32, table []int8, ids []int32, coef []int32) {
	d := len(acc)
	if !asmGather(d, 8, len(ids), len(coef)) {
		gatherI8I32Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherI8I32AVX2(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func denseAVX2Go(out, x, w, b []float32, relu bool) {
	n := len(x)
	if n%8 != 0 || n == 0 || len(out) == 0 {
		denseUnrolled(out, x, w, b, relu)
		return
	}
	if len(w) < len(out)*n || len(b) < len(out) {
		panic("runtime: dense: w or b too short")
	}
	r := 0
	if relu {
		r = 1
	}
	denseAVX2(&out[0], len(out), &x[0], n, &w[0], &b[0], r)
}

// compactIDsAVX2Go skips the leading zeros (a pre-padded row's padding) 32 ids per VPTEST,
// then compacts the rest in Go.
func compactIDsAVX2Go(dst, seq []int32, rows, bad int32) int {
	if len(seq) == 0 {
		return 0
	}
	z := zeroPrefixAVX2(&seq[0], len(seq))
	return compactIDsUnrolled(dst, seq[z:], rows, bad)
}
