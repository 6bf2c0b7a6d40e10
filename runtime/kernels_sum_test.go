package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumKernelsMatchTwins: the fused 16-wide average kernels against their twins, on
// sequences of every length up to 40 and some long ones (every block boundary: 16, 4, 1),
// padded rows (long zero runs) and mixed ones, ids past the table and negative ones, with and
// without the padding row, at offsets 0-3, with guards around the accumulators. The count is
// exact; the sums within the float tolerance.
func TestSumKernelsMatchTwins(t *testing.T) {
	forTables(t, func(t *testing.T, k *kernels) {
		if k.sumF32x16 == nil {
			t.Skipf("SKIPPED: kernels %q have no fused average kernels (the predictor composes compactIDs and a gather)", k.name)
		}
		r := rand.New(rand.NewPCG(11, 12))
		for trial := 0; trial < 400; trial++ {
			n := trial % 41
			if trial%10 == 9 {
				n = 90 + r.IntN(40)
			}
			checkSumCase(t, k, r, n, trial%4)
		}
	})
}

func checkSumCase(t *testing.T, k *kernels, r *rand.Rand, n, off int) {
	t.Helper()
	c := newGatherCase(r, 16, 0, off)
	rows := int32(c.rows)
	seq := make([]int32, off+n)[off:]
	padded := r.IntN(2) == 0
	for i := range seq {
		if padded && i < n-n/4 {
			continue // a pre-padded row: zeros, then ids
		}
		switch r.IntN(10) {
		case 0:
			seq[i] = 0
		case 1:
			seq[i] = rows + int32(r.IntN(3)) // past the table
		case 2:
			seq[i] = -1 - int32(r.IntN(1<<31-1))
		default:
			seq[i] = int32(r.IntN(c.rows))
		}
	}
	bad := int32(r.IntN(c.rows))
	maxlen := n + r.IntN(3)
	pad := r.IntN(4) != 0
	cf := float32(r.Float64() + 0.01)
	scale := make([]float32, c.rows)
	for i := range scale {
		scale[i] = float32(r.Float64()) * cf
	}
	abs := func(v []float32) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(math.Abs(float64(x)))
		}
		return out
	}
	absF16 := make([]float32, len(c.f16))
	absI8 := make([]float32, len(c.i8))
	for i := range c.f16 {
		absF16[i] = float32(math.Abs(float64(halfToFloat(c.f16[i]))))
		absI8[i] = float32(math.Abs(float64(c.i8[i])))
	}
	for _, kind := range []string{"f32", "f16", "i8"} {
		want := append([]float32(nil), c.accF...)
		got, check := withGuards(t, 16, off, float32(guard))
		copy(got, c.accF)
		mag := abs(c.accF)
		var nw, ng int
		switch kind {
		case "f32":
			nw = sumF32x16Generic(want, c.f32, seq, rows, bad, cf, maxlen, pad)
			ng = k.sumF32x16(got, c.f32, seq, rows, bad, cf, maxlen, pad)
			sumF32x16Generic(mag, abs(c.f32), seq, rows, bad, cf, maxlen, pad)
		case "f16":
			nw = sumF16x16Generic(want, c.f16, seq, rows, bad, cf, maxlen, pad)
			ng = k.sumF16x16(got, c.f16, seq, rows, bad, cf, maxlen, pad)
			sumF32x16Generic(mag, absF16, seq, rows, bad, cf, maxlen, pad)
		case "i8":
			nw = sumI8x16Generic(want, c.i8, scale, seq, rows, bad, maxlen, pad)
			ng = k.sumI8x16(got, c.i8, scale, seq, rows, bad, maxlen, pad)
			for _, id := range seq {
				if id = mapID(id, rows, bad); id != 0 {
					for j := range mag {
						mag[j] += scale[id] * absI8[int(id)*16+j]
					}
				}
			}
			if pad && maxlen > nw {
				for j := range mag {
					mag[j] += float32(maxlen-nw) * scale[0] * absI8[j]
				}
			}
		}
		check()
		if ng != nw {
			t.Fatalf("%s sum %s (seq %v, rows %d, bad %d): count %d, twin %d", k.name, kind, seq, rows, bad, ng, nw)
		}
		mag64 := make([]float64, 16)
		for j := range mag {
			mag64[j] = float64(mag[j])
		}
		checkClose(t, k.name+" sum "+kind, len(seq)+1, got, want, mag64)
	}
}
