package runtime

import (
	"flag"
	"math"
	"testing"
)

var expAll = flag.Bool("exp.all", false, "TestExp32: check every float32 in exp32's range (about 2^31 values, a minute on a fast machine) instead of a strided sample")

// ulpErr returns |got-want| in units in the last place of want (want a normal float32 > 0).
func ulpErr(got, want float32) float64 {
	u := math.Float32frombits(math.Float32bits(want)+1) - want
	return math.Abs(float64(got)-float64(want)) / float64(u)
}

// TestExp32 checks exp32 against math.Exp rounded to float32 over the float32 range where
// e^x is a normal float32 ([-87.33, 88.72]): at most 1 ulp. A strided sample of the bit
// patterns (every 509th, about 8 million, both signs) plus the range's ends by default;
// -exp.all checks all of them. Outside the range: +Inf above, 0 below, NaN stays NaN.
func TestExp32(t *testing.T) {
	stride := uint32(509)
	if *expAll {
		stride = 1
	}
	worst, at := 0.0, float32(0)
	n := 0
	check := func(x float32) {
		if x < -87.33654 || x > 88.72283 {
			return
		}
		want := float32(math.Exp(float64(x)))
		got := exp32(x)
		if e := ulpErr(got, want); e > worst {
			worst, at = e, x
		}
		n++
	}
	for _, sign := range []uint32{0, 1 << 31} {
		for b := uint32(0); b < 0x42b20000; b += stride { // 0x42b20000 = 89
			check(math.Float32frombits(sign | b))
		}
	}
	for _, x := range []float32{-87.33654, -87.3, -87, -1, -0.5, -1e-30, 0, 1e-30, 0.5, 1, 2, 10, 88, 88.72283} {
		check(x)
	}
	t.Logf("exp32: largest error %.3f ulp at %v over %d values", worst, at, n)
	if worst > 1 {
		t.Errorf("exp32(%v): error %.3f ulp, want at most 1", at, worst)
	}
	inf := float32(math.Inf(1))
	for x, want := range map[float32]float32{88.73: inf, 100: inf, inf: inf, -87.34: 0, -200: 0, -inf: 0} {
		if got := exp32(x); got != want {
			t.Errorf("exp32(%v) = %v, want %v", x, got, want)
		}
	}
	if nan := float32(math.NaN()); !math.IsNaN(float64(exp32(nan))) || !math.IsNaN(float64(sigmoid32(nan))) {
		t.Error("exp32 or sigmoid32 of NaN is not NaN")
	}
}

// TestSigmoid32: over the whole float32 line (strided), sigmoid32 is within 1.2e-7 of the
// float64 sigmoid and exactly 0 or 1 only where the float64 value rounds there.
func TestSigmoid32(t *testing.T) {
	worst, at := 0.0, float32(0)
	for _, sign := range []uint32{0, 1 << 31} {
		for b := uint32(0); b < 0x7f800000; b += 1021 {
			x := math.Float32frombits(sign | b)
			want := 1 / (1 + math.Exp(-float64(x)))
			if e := math.Abs(float64(sigmoid32(x)) - want); e > worst {
				worst, at = e, x
			}
		}
	}
	t.Logf("sigmoid32: largest absolute error %.3g at %v", worst, at)
	if worst > 1.2e-7 {
		t.Errorf("sigmoid32(%v): error %.3g, want at most 1.2e-7", at, worst)
	}
	if sigmoid32(float32(math.Inf(1))) != 1 || sigmoid32(float32(math.Inf(-1))) != 0 {
		t.Error("sigmoid32(±Inf) is not 1 / 0")
	}
}
