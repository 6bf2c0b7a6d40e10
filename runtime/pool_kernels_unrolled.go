package runtime

// The unrolled pure-Go pooling kernels: the contracts of pool_kernels_generic.go, with rows
// re-sliced to fixed-size arrays so the compiler drops bounds checks, 4 elements a step, and
// halves converted by halfToFloat (exact, like float16.Frombits). Bit-identical to the twins.

func max4(a *[4]float32, r0, r1, r2, r3 float32) {
	if r0 > a[0] {
		a[0] = r0
	}
	if r1 > a[1] {
		a[1] = r1
	}
	if r2 > a[2] {
		a[2] = r2
	}
	if r3 > a[3] {
		a[3] = r3
	}
}

// maxF32Unrolled: for each k, acc[j] = max(acc[j], table[ids[k]*len(acc)+j]).
func maxF32Unrolled(acc, table []float32, ids []int32) {
	d := len(acc)
	for _, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		j := 0
		for ; j+4 <= d; j += 4 {
			r := (*[4]float32)(row[j:])
			max4((*[4]float32)(acc[j:]), r[0], r[1], r[2], r[3])
		}
		for ; j < d; j++ {
			if row[j] > acc[j] {
				acc[j] = row[j]
			}
		}
	}
}

// maxF16Unrolled: for each k, acc[j] = max(acc[j], float32(half(table[ids[k]*len(acc)+j]))).
func maxF16Unrolled(acc []float32, table []uint16, ids []int32) {
	d := len(acc)
	for _, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		j := 0
		for ; j+4 <= d; j += 4 {
			r := (*[4]uint16)(row[j:])
			max4((*[4]float32)(acc[j:]), halfToFloat(r[0]), halfToFloat(r[1]), halfToFloat(r[2]), halfToFloat(r[3]))
		}
		for ; j < d; j++ {
			if v := halfToFloat(row[j]); v > acc[j] {
				acc[j] = v
			}
		}
	}
}

// maxI8Unrolled: for each k, acc[j] = max(acc[j], coef[k]*float32(table[ids[k]*len(acc)+j])).
func maxI8Unrolled(acc []float32, table []int8, ids []int32, coef []float32) {
	if len(coef) != len(ids) {
		panic("runtime: maxI8: len(ids) != len(coef)")
	}
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			r := (*[4]int8)(row[j:])
			max4((*[4]float32)(acc[j:]), c*float32(r[0]), c*float32(r[1]), c*float32(r[2]), c*float32(r[3]))
		}
		for ; j < d; j++ {
			if v := c * float32(row[j]); v > acc[j] {
				acc[j] = v
			}
		}
	}
}

// rowsF32Unrolled: dst[k*d+j] = table[ids[k]*d+j].
func rowsF32Unrolled(dst, table []float32, ids []int32, d int) {
	checkRows(len(dst), len(ids), 0, d, false)
	for k, id := range ids {
		checkID(id, len(table), d)
		copy(dst[k*d:k*d+d], table[int(id)*d:int(id)*d+d])
	}
}

// rowsF16Unrolled: dst[k*d+j] = float32(half(table[ids[k]*d+j])).
func rowsF16Unrolled(dst []float32, table []uint16, ids []int32, d int) {
	checkRows(len(dst), len(ids), 0, d, false)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		out := dst[k*d : k*d+d]
		j := 0
		for ; j+4 <= d; j += 4 {
			r, o := (*[4]uint16)(row[j:]), (*[4]float32)(out[j:])
			o[0], o[1], o[2], o[3] = halfToFloat(r[0]), halfToFloat(r[1]), halfToFloat(r[2]), halfToFloat(r[3])
		}
		for ; j < d; j++ {
			out[j] = halfToFloat(row[j])
		}
	}
}

// rowsI8Unrolled: dst[k*d+j] = coef[k] * float32(table[ids[k]*d+j]).
func rowsI8Unrolled(dst []float32, table []int8, ids []int32, coef []float32, d int) {
	checkRows(len(dst), len(ids), len(coef), d, true)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		out := dst[k*d : k*d+d]
		c := coef[k]
		j := 0
		for ; j+4 <= d; j += 4 {
			r, o := (*[4]int8)(row[j:]), (*[4]float32)(out[j:])
			o[0], o[1], o[2], o[3] = c*float32(r[0]), c*float32(r[1]), c*float32(r[2]), c*float32(r[3])
		}
		for ; j < d; j++ {
			out[j] = c * float32(row[j])
		}
	}
}
