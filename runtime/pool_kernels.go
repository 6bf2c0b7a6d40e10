package runtime

// poolKernels are the loops of the GlobalMaxPooling1D and Flatten poolings (modelfile
// PoolMax, PoolFlatten). Like the kernels table, each entry has a reference twin
// (pool_kernels_generic.go, whose doc comments are the contracts) and an unrolled,
// bounds-check-free pure-Go version (pool_kernels_unrolled.go) that runs on every
// architecture; there is no assembly: a max or a copy over a few dozen rows of 16 floats is a
// small fraction of the dense layer that follows (see BENCH.md). All entries are exact: the
// unrolled kernels are bit-identical to the twins (the same comparisons and the same single
// product per element).
type poolKernels struct {
	name string
	// maxF32: for each k, acc[j] = max(acc[j], table[ids[k]*len(acc)+j]).
	maxF32 func(acc, table []float32, ids []int32)
	// maxF16: the same with table holding IEEE half floats.
	maxF16 func(acc []float32, table []uint16, ids []int32)
	// maxI8: for each k, acc[j] = max(acc[j], coef[k]*float32(table[ids[k]*len(acc)+j])).
	maxI8 func(acc []float32, table []int8, ids []int32, coef []float32)
	// rowsF32: dst[k*d+j] = table[ids[k]*d+j] for k < len(ids), j < d.
	rowsF32 func(dst, table []float32, ids []int32, d int)
	// rowsF16: the same with table holding IEEE half floats.
	rowsF16 func(dst []float32, table []uint16, ids []int32, d int)
	// rowsI8: dst[k*d+j] = coef[k] * float32(table[ids[k]*d+j]).
	rowsI8 func(dst []float32, table []int8, ids []int32, coef []float32, d int)
}

var poolGeneric = poolKernels{
	name:    "generic",
	maxF32:  maxF32Generic,
	maxF16:  maxF16Generic,
	maxI8:   maxI8Generic,
	rowsF32: rowsF32Generic,
	rowsF16: rowsF16Generic,
	rowsI8:  rowsI8Generic,
}

var poolUnrolled = poolKernels{
	name:    "go",
	maxF32:  maxF32Unrolled,
	maxF16:  maxF16Unrolled,
	maxI8:   maxI8Unrolled,
	rowsF32: rowsF32Unrolled,
	rowsF16: rowsF16Unrolled,
	rowsI8:  rowsI8Unrolled,
}

// poolKern is the pooling table predictors use.
var poolKern = poolUnrolled

// checkRows panics unless dst holds len(ids) rows of d and coef (when not nil) one per id.
func checkRows(ndst, nids, ncoef, d int, hasCoef bool) {
	if ndst != nids*d || (hasCoef && ncoef != nids) {
		panic("runtime: rows: len(dst) != len(ids)*d or len(coef) != len(ids)")
	}
}
