//go:build !noasm

package runtime

import "golang.org/x/sys/cpu"

// hasSDOT is ARMv8.2's dot-product extension (SDOT/UDOT): the Pi 5's Cortex-A76 has it,
// the Pi 3/4's A53/A72 do not. x/sys/cpu calls the flag ASIMDDP.
var hasSDOT = cpu.ARM64.HasASIMDDP

// neon is the baseline arm64 table (NEON is part of ARMv8.0). Rows whose width is not a
// multiple of 16 and dense layers whose input is not a multiple of 4 fall back to the
// unrolled pure-Go kernels.
var neon = kernels{
	name:        "neon",
	gatherF32:   gatherF32NEONGo,
	gatherF16:   gatherF16NEONGo,
	gatherI8:    gatherI8NEONGo,
	gatherI8I32: gatherI8I32NEONGo,
	dense:       denseNEONGo,
	denseT:      denseTNEONGo,
	compactIDs:  compactIDsNEONGo,
	sumF32x16:   sumF32x16NEONGo,
	sumF16x16:   sumF16x16NEONGo,
	sumI8x16:    sumI8x16NEONGo,
	denseTDot:   denseTDotNEONGo,
}

// neonSDOT is neon with SDOT for the int8 to int32 gather. SDOT multiplies int8 by int8,
// so it applies where both operands are int8: the embedding rows and the ids' counts (at
// most maxlen, below 128 for the models edgewatt targets; larger coefficients take the
// NEON path). The dense layers are float32 (int8 weights are dequantized at load, the
// activations are never quantized), so SDOT does not apply to them.
var neonSDOT = kernels{
	name:        "neon+sdot",
	gatherF32:   gatherF32NEONGo,
	gatherF16:   gatherF16NEONGo,
	gatherI8:    gatherI8NEONGo,
	gatherI8I32: gatherI8I32SDOTGo,
	dense:       denseNEONGo,
	denseT:      denseTNEONGo,
	compactIDs:  compactIDsNEONGo,
	sumF32x16:   sumF32x16NEONGo,
	sumF16x16:   sumF16x16NEONGo,
	sumI8x16:    sumI8x16NEONGo,
	denseTDot:   denseTDotNEONGo,
}

// The assembly checks every id against the table's rows before reading (two instructions
// per id instead of a Go loop) and reports a bad one (errGatherID).
func archKernels() kernels {
	if hasSDOT {
		return neonSDOT
	}
	return neon
}

func archVariants() []kernelVariant {
	return []kernelVariant{
		{k: &neon, ok: true},
		{k: &neonSDOT, ok: hasSDOT, why: "CPU lacks the dot-product extension (ASIMDDP); run under qemu -cpu max to test it"},
	}
}

//go:noescape
func gatherF32NEON(acc *float32, d int, table *float32, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherF16NEON(acc *float32, d int, table *uint16, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherI8NEON(acc *float32, d int, table *int8, ids *int32, coef *float32, n int, rows int) bool

//go:noescape
func gatherI8I32NEON(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool

//go:noescape
func gatherI8I32SDOT(acc *int32, d int, table *int8, ids *int32, coef *int32, n int, rows int) bool

//go:noescape
func denseNEON(out *float32, nout int, x *float32, nin int, w *float32, b *float32, relu int)

//go:noescape
func denseTNEON(out *float32, nout int, x *float32, nin int, wT *float32, b *float32, relu int)

//go:noescape
func compactIDsNEON(dst *int32, seq *int32, n int, rows int, bad int) int

func gatherF32NEONGo(acc, table []float32, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 16, len(ids), len(coef)) {
		gatherF32Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherF32NEON(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherF16NEONGo(acc []float32, table []uint16, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 16, len(ids), len(coef)) {
		gatherF16Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherF16NEON(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherI8NEONGo(acc []float32, table []int8, ids []int32, coef []float32) {
	d := len(acc)
	if !asmGather(d, 16, len(ids), len(coef)) {
		gatherI8Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherI8NEON(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherI8I32NEONGo(acc []int32, table []int8, ids []int32, coef []int32) {
	d := len(acc)
	if !asmGather(d, 16, len(ids), len(coef)) {
		gatherI8I32Unrolled(acc, table, ids, coef)
		return
	}
	if !gatherI8I32NEON(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d) {
		panic(errGatherID)
	}
}

func gatherI8I32SDOTGo(acc []int32, table []int8, ids []int32, coef []int32) {
	d := len(acc)
	if !asmGather(d, 16, len(ids), len(coef)) {
		gatherI8I32Unrolled(acc, table, ids, coef)
		return
	}
	// SDOT multiplies int8 by int8: a count above 127 takes the NEON path.
	sdot := true
	for _, c := range coef {
		if c != int32(int8(c)) {
			sdot = false
			break
		}
	}
	var ok bool
	if sdot {
		ok = gatherI8I32SDOT(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d)
	} else {
		ok = gatherI8I32NEON(&acc[0], d, &table[0], &ids[0], &coef[0], len(ids), len(table)/d)
	}
	if !ok {
		panic(errGatherID)
	}
}

func denseNEONGo(out, x, w, b []float32, relu bool) {
	n := len(x)
	if n%4 != 0 || n == 0 || len(out) == 0 {
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
	denseNEON(&out[0], len(out), &x[0], n, &w[0], &b[0], r)
}

func denseTNEONGo(out, x, wT, b []float32, relu bool) {
	if len(out)%4 != 0 || len(x) == 0 || len(out) == 0 {
		denseTGeneric(out, x, wT, b, relu)
		return
	}
	if len(wT) < len(out)*len(x) || len(b) < len(out) {
		panic("runtime: denseT: wT or b too short")
	}
	r := 0
	if relu {
		r = 1
	}
	denseTNEON(&out[0], len(out), &x[0], len(x), &wT[0], &b[0], r)
}

//go:noescape
func denseTDotNEON(out *float32, nout int, x *float32, nin int, wT *float32, b *float32, relu int, w2 *float32, b2 float32) float32

func denseTDotNEONGo(out, x, wT, b []float32, relu bool, w2 []float32, b2 float32) float32 {
	if len(out)%4 != 0 || len(x) == 0 || len(out) == 0 {
		return denseTDotGeneric(out, x, wT, b, relu, w2, b2)
	}
	if len(wT) < len(out)*len(x) || len(b) < len(out) || len(w2) < len(out) {
		panic("runtime: denseTDot: wT, b or w2 too short")
	}
	return denseTDotNEON(&out[0], len(out), &x[0], len(x), &wT[0], &b[0], b2i(relu), &w2[0], b2)
}

func compactIDsNEONGo(dst, seq []int32, rows, bad int32) int {
	if len(seq) == 0 {
		return 0
	}
	if len(dst) < len(seq) {
		panic("runtime: compactIDs: dst shorter than seq")
	}
	return compactIDsNEON(&dst[0], &seq[0], len(seq), int(rows), int(bad))
}

//go:noescape
func sumF32x16NEON(acc *float32, table *float32, scale *float32, seq *int32, n int, rows int, bad int, c float32, maxlen int, pad int) int

//go:noescape
func sumF16x16NEON(acc *float32, table *uint16, scale *float32, seq *int32, n int, rows int, bad int, c float32, maxlen int, pad int) int

//go:noescape
func sumI8x16NEON(acc *float32, table *int8, scale *float32, seq *int32, n int, rows int, bad int, c float32, maxlen int, pad int) int

// sumArgs checks what the fused kernels read: 16 accumulators, rows of 16 covering rows ids,
// bad a row (a programmer error otherwise: the predictor guarantees all three).
func sumArgs(nacc, ntable int, rows, bad int32) {
	if nacc != 16 || rows < 1 || ntable < int(rows)*16 || uint32(bad) >= uint32(rows) {
		panic("runtime: sum: acc, table, rows or bad out of range")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sumF32x16NEONGo(acc, table []float32, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int {
	sumArgs(len(acc), len(table), rows, bad)
	if len(seq) == 0 {
		return sumF32x16Generic(acc, table, seq, rows, bad, c, maxlen, pad)
	}
	return sumF32x16NEON(&acc[0], &table[0], nil, &seq[0], len(seq), int(rows), int(bad), c, maxlen, b2i(pad))
}

func sumF16x16NEONGo(acc []float32, table []uint16, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int {
	sumArgs(len(acc), len(table), rows, bad)
	if len(seq) == 0 {
		return sumF16x16Generic(acc, table, seq, rows, bad, c, maxlen, pad)
	}
	return sumF16x16NEON(&acc[0], &table[0], nil, &seq[0], len(seq), int(rows), int(bad), c, maxlen, b2i(pad))
}

func sumI8x16NEONGo(acc []float32, table []int8, scale []float32, seq []int32, rows, bad int32, maxlen int, pad bool) int {
	sumArgs(len(acc), len(table), rows, bad)
	if len(scale) < int(rows) {
		panic("runtime: sum: scale shorter than the table")
	}
	if len(seq) == 0 {
		return sumI8x16Generic(acc, table, scale, seq, rows, bad, maxlen, pad)
	}
	return sumI8x16NEON(&acc[0], &table[0], &scale[0], &seq[0], len(seq), int(rows), int(bad), 0, maxlen, b2i(pad))
}
