package runtime

import "github.com/x448/float16"

// The reference twins: plain loops, always compiled, the contract every faster kernel meets
// (bit-exactly for gatherI8I32 and compactIDs, within float32 rounding for the others: fast
// kernels may fuse multiply-add and reorder sums; tests allow 1e-6 relative to the magnitude
// of the terms).

// gatherF32Generic: for each k, acc[j] += coef[k] * table[ids[k]*len(acc)+j].
func gatherF32Generic(acc, table []float32, ids []int32, coef []float32) {
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			acc[j] += coef[k] * row[j]
		}
	}
}

// gatherF16Generic: for each k, acc[j] += coef[k] * float32(half(table[ids[k]*len(acc)+j])).
func gatherF16Generic(acc []float32, table []uint16, ids []int32, coef []float32) {
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			acc[j] += coef[k] * float16.Frombits(row[j]).Float32()
		}
	}
}

// gatherI8Generic: for each k, acc[j] += coef[k] * float32(table[ids[k]*len(acc)+j]).
func gatherI8Generic(acc []float32, table []int8, ids []int32, coef []float32) {
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			acc[j] += coef[k] * float32(row[j])
		}
	}
}

// gatherI8I32Generic: for each k, acc[j] += coef[k] * int32(table[ids[k]*len(acc)+j]).
// Exact while no partial sum leaves int32: keep sum_k |coef[k]| * 128 < 2^31.
func gatherI8I32Generic(acc []int32, table []int8, ids []int32, coef []int32) {
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			acc[j] += coef[k] * int32(row[j])
		}
	}
}

// denseGeneric: out[o] = b[o] + sum_i w[o*len(x)+i] * x[i], summed in order of i; with
// relu, negative outputs become 0 (a NaN stays NaN; the fast kernels may turn -0 into +0).
func denseGeneric(out, x, w, b []float32, relu bool) {
	n := len(x)
	for o := range out {
		s := b[o]
		wo := w[o*n : o*n+n]
		for i, v := range x {
			s += wo[i] * v
		}
		if relu && s < 0 {
			s = 0
		}
		out[o] = s
	}
}

// denseTGeneric: out[o] = b[o] + sum_i wT[i*len(out)+o] * x[i], summed in order of i (the
// same sums as denseGeneric with wT the transpose of its w); relu as in denseGeneric.
func denseTGeneric(out, x, wT, b []float32, relu bool) {
	n := len(out)
	for o := range out {
		s := b[o]
		for i, v := range x {
			s += wT[i*n+o] * v
		}
		if relu && s < 0 {
			s = 0
		}
		out[o] = s
	}
}

// denseTDotGeneric is denseTGeneric, then returns b2 + sum_o w2[o] * out[o], summed in order
// of o (denseGeneric's one-output layer on out).
func denseTDotGeneric(out, x, wT, b []float32, relu bool, w2 []float32, b2 float32) float32 {
	denseTGeneric(out, x, wT, b, relu)
	s := b2
	for o, v := range out {
		s += w2[o] * v
	}
	return s
}

// compactIDsGeneric writes to dst the ids of seq that are not 0, each id outside [0, rows)
// (Keras rejects them) replaced by bad first, and returns how many; 0 <= bad < rows is the
// OOV id, or 0 (padding) when the tokenizer has none.
func compactIDsGeneric(dst, seq []int32, rows, bad int32) int {
	n := 0
	for _, id := range seq {
		if uint32(id) >= uint32(rows) {
			id = bad
		}
		if id != 0 {
			dst[n] = id
			n++
		}
	}
	return n
}

// sumF32x16Generic: for each id of seq, bad when outside [0, rows), that is not 0,
// acc[j] += c * table[id*len(acc)+j]; then, when pad and maxlen exceeds their count n, the
// padding row 0 with (maxlen-n)*c. Returns n. (The twin of the fused kernels: compactIDs then
// a gather, one id at a time.)
func sumF32x16Generic(acc, table []float32, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int {
	n := 0
	for _, id := range seq {
		if id = mapID(id, rows, bad); id != 0 {
			gatherF32Generic(acc, table, []int32{id}, []float32{c})
			n++
		}
	}
	if pad && maxlen > n {
		gatherF32Generic(acc, table, []int32{0}, []float32{float32(maxlen-n) * c})
	}
	return n
}

// sumF16x16Generic is sumF32x16Generic for half-float rows.
func sumF16x16Generic(acc []float32, table []uint16, seq []int32, rows, bad int32, c float32, maxlen int, pad bool) int {
	n := 0
	for _, id := range seq {
		if id = mapID(id, rows, bad); id != 0 {
			gatherF16Generic(acc, table, []int32{id}, []float32{c})
			n++
		}
	}
	if pad && maxlen > n {
		gatherF16Generic(acc, table, []int32{0}, []float32{float32(maxlen-n) * c})
	}
	return n
}

// sumI8x16Generic is sumF32x16Generic for int8 rows, each scaled by scale[id] (the padding
// row by (maxlen-n) * scale[0]): the caller folds the 1/maxlen of the average into scale.
func sumI8x16Generic(acc []float32, table []int8, scale []float32, seq []int32, rows, bad int32, maxlen int, pad bool) int {
	n := 0
	for _, id := range seq {
		if id = mapID(id, rows, bad); id != 0 {
			gatherI8Generic(acc, table, []int32{id}, []float32{scale[id]})
			n++
		}
	}
	if pad && maxlen > n {
		gatherI8Generic(acc, table, []int32{0}, []float32{float32(maxlen-n) * scale[0]})
	}
	return n
}

// mapID returns id, or bad when id is outside [0, rows).
func mapID(id, rows, bad int32) int32 {
	if uint32(id) >= uint32(rows) {
		return bad
	}
	return id
}
