package runtime

import "github.com/x448/float16"

// The reference twins of the pooling kernels (contracts in pool_kernels.go).

// maxF32Generic: for each k, acc[j] = max(acc[j], table[ids[k]*len(acc)+j]).
func maxF32Generic(acc, table []float32, ids []int32) {
	d := len(acc)
	for _, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			if row[j] > acc[j] {
				acc[j] = row[j]
			}
		}
	}
}

// maxF16Generic: for each k, acc[j] = max(acc[j], float32(half(table[ids[k]*len(acc)+j]))).
func maxF16Generic(acc []float32, table []uint16, ids []int32) {
	d := len(acc)
	for _, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			if v := float16.Frombits(row[j]).Float32(); v > acc[j] {
				acc[j] = v
			}
		}
	}
}

// maxI8Generic: for each k, acc[j] = max(acc[j], coef[k]*float32(table[ids[k]*len(acc)+j])).
func maxI8Generic(acc []float32, table []int8, ids []int32, coef []float32) {
	if len(coef) != len(ids) {
		panic("runtime: maxI8: len(ids) != len(coef)")
	}
	d := len(acc)
	for k, id := range ids {
		checkID(id, len(table), d)
		row := table[int(id)*d : int(id)*d+d]
		for j := range acc {
			if v := coef[k] * float32(row[j]); v > acc[j] {
				acc[j] = v
			}
		}
	}
}

// rowsF32Generic: dst[k*d+j] = table[ids[k]*d+j].
func rowsF32Generic(dst, table []float32, ids []int32, d int) {
	checkRows(len(dst), len(ids), 0, d, false)
	for k, id := range ids {
		checkID(id, len(table), d)
		for j := 0; j < d; j++ {
			dst[k*d+j] = table[int(id)*d+j]
		}
	}
}

// rowsF16Generic: dst[k*d+j] = float32(half(table[ids[k]*d+j])).
func rowsF16Generic(dst []float32, table []uint16, ids []int32, d int) {
	checkRows(len(dst), len(ids), 0, d, false)
	for k, id := range ids {
		checkID(id, len(table), d)
		for j := 0; j < d; j++ {
			dst[k*d+j] = float16.Frombits(table[int(id)*d+j]).Float32()
		}
	}
}

// rowsI8Generic: dst[k*d+j] = coef[k] * float32(table[ids[k]*d+j]).
func rowsI8Generic(dst []float32, table []int8, ids []int32, coef []float32, d int) {
	checkRows(len(dst), len(ids), len(coef), d, true)
	for k, id := range ids {
		checkID(id, len(table), d)
		for j := 0; j < d; j++ {
			dst[k*d+j] = coef[k] * float32(table[int(id)*d+j])
		}
	}
}
