package runtime

import (
	"math"
)

// The SIMD-friendly pure-Go kernels: the same contracts as the twins in kernels_generic.go,
// written so the compiler keeps accumulators in registers and drops bounds checks (rows are
// re-sliced to fixed-size arrays, loops unrolled by 4, a special case for 16-wide rows, the
// width of the tutorial models' embeddings). Used where no assembly applies.

// gatherF32Unrolled: for each k, acc[j] += coef[k] * table[ids[k]*len(acc)+j].
func gatherF32Unrolled(acc, table []float32, ids []int32, coef []float32) {
	if len(acc) == 16 {
		gatherF32Unrolled16(acc, table, ids, coef)
		return
	}
	d := len(acc)
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			a, r := (*[4]float32)(acc[j:]), (*[4]float32)(row[j:])
			a[0] += c * r[0]
			a[1] += c * r[1]
			a[2] += c * r[2]
			a[3] += c * r[3]
		}
		for ; j < d; j++ {
			acc[j] += c * row[j]
		}
	}
}

// gatherF16Unrolled: for each k, acc[j] += coef[k] * float32(half(table[ids[k]*len(acc)+j])).
func gatherF16Unrolled(acc []float32, table []uint16, ids []int32, coef []float32) {
	if len(acc) == 16 {
		gatherF16Unrolled16(acc, table, ids, coef)
		return
	}
	d := len(acc)
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			a, r := (*[4]float32)(acc[j:]), (*[4]uint16)(row[j:])
			a[0] += c * halfToFloat(r[0])
			a[1] += c * halfToFloat(r[1])
			a[2] += c * halfToFloat(r[2])
			a[3] += c * halfToFloat(r[3])
		}
		for ; j < d; j++ {
			acc[j] += c * halfToFloat(row[j])
		}
	}
}

// gatherI8Unrolled: for each k, acc[j] += coef[k] * float32(table[ids[k]*len(acc)+j]).
func gatherI8Unrolled(acc []float32, table []int8, ids []int32, coef []float32) {
	if len(acc) == 16 {
		gatherI8Unrolled16(acc, table, ids, coef)
		return
	}
	d := len(acc)
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			a, r := (*[4]float32)(acc[j:]), (*[4]int8)(row[j:])
			a[0] += c * float32(r[0])
			a[1] += c * float32(r[1])
			a[2] += c * float32(r[2])
			a[3] += c * float32(r[3])
		}
		for ; j < d; j++ {
			acc[j] += c * float32(row[j])
		}
	}
}

// gatherI8I32Unrolled: for each k, acc[j] += coef[k] * int32(table[ids[k]*len(acc)+j]), exact.
func gatherI8I32Unrolled(acc []int32, table []int8, ids []int32, coef []int32) {
	if len(acc) == 16 {
		gatherI8I32Unrolled16(acc, table, ids, coef)
		return
	}
	d := len(acc)
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			a, r := (*[4]int32)(acc[j:]), (*[4]int8)(row[j:])
			a[0] += c * int32(r[0])
			a[1] += c * int32(r[1])
			a[2] += c * int32(r[2])
			a[3] += c * int32(r[3])
		}
		for ; j < d; j++ {
			acc[j] += c * int32(row[j])
		}
	}
}

// denseUnrolled: out[o] = b[o] + sum_i w[o*len(x)+i] * x[i], with four partial sums per
// output; relu clamps at 0.
func denseUnrolled(out, x, w, b []float32, relu bool) {
	n := len(x)
	b = b[:len(out)]
	for o := range out {
		wo := w[o*n : o*n+n]
		wo = wo[:len(x)]
		var s0, s1, s2, s3 float32
		i := 0
		for ; i <= len(x)-4; i += 4 {
			s0 += wo[i] * x[i]
			s1 += wo[i+1] * x[i+1]
			s2 += wo[i+2] * x[i+2]
			s3 += wo[i+3] * x[i+3]
		}
		for ; i < len(x); i++ {
			s0 += wo[i] * x[i]
		}
		s := b[o] + ((s0 + s1) + (s2 + s3))
		if relu && s < 0 {
			s = 0
		}
		out[o] = s
	}
}

// compactIDsUnrolled is compactIDsGeneric skipping four zeros at a time and storing every id
// without a branch (the count advances only past nonzero ones).
func compactIDsUnrolled(dst, seq []int32, rows, bad int32) int {
	dst = dst[:len(seq)]
	n := 0
	i := 0
	for ; i+4 <= len(seq); i += 4 {
		v := (*[4]int32)(seq[i:])
		if v[0]|v[1]|v[2]|v[3] == 0 {
			continue
		}
		for _, id := range v {
			if uint32(id) >= uint32(rows) {
				id = bad
			}
			dst[n] = id
			if id != 0 {
				n++
			}
		}
	}
	for ; i < len(seq); i++ {
		id := seq[i]
		if uint32(id) >= uint32(rows) {
			id = bad
		}
		dst[n] = id
		if id != 0 {
			n++
		}
	}
	return n
}

// halfToFloat converts IEEE 754 binary16 bits to float32 exactly (all 65,536 patterns are
// tested against github.com/x448/float16), without branches on the common path.
func halfToFloat(h uint16) float32 {
	const magic = 113 << 23 // 2^-14 as float32 bits: rescales subnormals
	o := uint32(h&0x7fff) << 13
	e := o & (0x7c00 << 13)
	o += (127 - 15) << 23
	switch e {
	case 0x7c00 << 13: // Inf or NaN
		o += (128 - 16) << 23
	case 0: // zero or subnormal
		o += 1 << 23
		o = math.Float32bits(math.Float32frombits(o) - math.Float32frombits(magic))
	}
	return math.Float32frombits(o | uint32(h&0x8000)<<16)
}

func gatherF32Unrolled16(acc []float32, table []float32, ids []int32, coef []float32) {
	a := (*[16]float32)(acc)
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	a8, a9, a10, a11, a12, a13, a14, a15 := a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), 16)
		r := (*[16]float32)(table[int(id)*16:])
		c := coef[k]
		a0 += c * r[0]
		a1 += c * r[1]
		a2 += c * r[2]
		a3 += c * r[3]
		a4 += c * r[4]
		a5 += c * r[5]
		a6 += c * r[6]
		a7 += c * r[7]
		a8 += c * r[8]
		a9 += c * r[9]
		a10 += c * r[10]
		a11 += c * r[11]
		a12 += c * r[12]
		a13 += c * r[13]
		a14 += c * r[14]
		a15 += c * r[15]
	}
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
	a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15] = a8, a9, a10, a11, a12, a13, a14, a15
}

func gatherF16Unrolled16(acc []float32, table []uint16, ids []int32, coef []float32) {
	a := (*[16]float32)(acc)
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	a8, a9, a10, a11, a12, a13, a14, a15 := a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), 16)
		r := (*[16]uint16)(table[int(id)*16:])
		c := coef[k]
		a0 += c * halfToFloat(r[0])
		a1 += c * halfToFloat(r[1])
		a2 += c * halfToFloat(r[2])
		a3 += c * halfToFloat(r[3])
		a4 += c * halfToFloat(r[4])
		a5 += c * halfToFloat(r[5])
		a6 += c * halfToFloat(r[6])
		a7 += c * halfToFloat(r[7])
		a8 += c * halfToFloat(r[8])
		a9 += c * halfToFloat(r[9])
		a10 += c * halfToFloat(r[10])
		a11 += c * halfToFloat(r[11])
		a12 += c * halfToFloat(r[12])
		a13 += c * halfToFloat(r[13])
		a14 += c * halfToFloat(r[14])
		a15 += c * halfToFloat(r[15])
	}
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
	a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15] = a8, a9, a10, a11, a12, a13, a14, a15
}

func gatherI8Unrolled16(acc []float32, table []int8, ids []int32, coef []float32) {
	a := (*[16]float32)(acc)
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	a8, a9, a10, a11, a12, a13, a14, a15 := a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), 16)
		r := (*[16]int8)(table[int(id)*16:])
		c := coef[k]
		a0 += c * float32(r[0])
		a1 += c * float32(r[1])
		a2 += c * float32(r[2])
		a3 += c * float32(r[3])
		a4 += c * float32(r[4])
		a5 += c * float32(r[5])
		a6 += c * float32(r[6])
		a7 += c * float32(r[7])
		a8 += c * float32(r[8])
		a9 += c * float32(r[9])
		a10 += c * float32(r[10])
		a11 += c * float32(r[11])
		a12 += c * float32(r[12])
		a13 += c * float32(r[13])
		a14 += c * float32(r[14])
		a15 += c * float32(r[15])
	}
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
	a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15] = a8, a9, a10, a11, a12, a13, a14, a15
}

func gatherI8I32Unrolled16(acc []int32, table []int8, ids []int32, coef []int32) {
	a := (*[16]int32)(acc)
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	a8, a9, a10, a11, a12, a13, a14, a15 := a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]
	coef = coef[:len(ids)]
	for k, id := range ids {
		checkID(id, len(table), 16)
		r := (*[16]int8)(table[int(id)*16:])
		c := coef[k]
		a0 += c * int32(r[0])
		a1 += c * int32(r[1])
		a2 += c * int32(r[2])
		a3 += c * int32(r[3])
		a4 += c * int32(r[4])
		a5 += c * int32(r[5])
		a6 += c * int32(r[6])
		a7 += c * int32(r[7])
		a8 += c * int32(r[8])
		a9 += c * int32(r[9])
		a10 += c * int32(r[10])
		a11 += c * int32(r[11])
		a12 += c * int32(r[12])
		a13 += c * int32(r[13])
		a14 += c * int32(r[14])
		a15 += c * int32(r[15])
	}
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
	a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15] = a8, a9, a10, a11, a12, a13, a14, a15
}
