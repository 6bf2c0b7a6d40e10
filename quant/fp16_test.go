package quant

import (
	"math"
	"testing"
)

// refF16 decodes binary16 bits independently of x448/float16 (as a float64).
func refF16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * math.Ldexp(m, -24) // subnormal (and zero)
	case 0x1f:
		if m == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+m, e-25)
}

func TestF16AllPatterns(t *testing.T) {
	var nans, subnormals, infs int
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := FromF16(h)
		want := refF16(h)
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		switch {
		case isNaN:
			nans++
			if !math.IsNaN(float64(f)) {
				t.Fatalf("%#04x: NaN pattern widened to %v", h, f)
			}
			bits := math.Float32bits(f)
			if bits>>31 != uint32(h>>15) {
				t.Fatalf("%#04x: NaN sign lost: %#08x", h, bits)
			}
			// payload: the 10 binary16 bits land in the top of the float32 mantissa, quiet bit set.
			if got, want := (bits>>13)&0x3ff, uint32(h&0x3ff)|0x200; got != want {
				t.Fatalf("%#04x: NaN payload %#x, want %#x", h, got, want)
			}
			back := ToF16(f)
			if back != h|0x200 {
				t.Fatalf("%#04x: NaN round-trip gave %#04x, want %#04x (quieted)", h, back, h|0x200)
			}
			continue
		case h&0x7fff == 0x7c00:
			infs++
		case h&0x7c00 == 0 && h&0x3ff != 0:
			subnormals++
		}
		if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("%#04x: FromF16 = %v, want %v", h, f, want)
		}
		if back := ToF16(f); back != h {
			t.Fatalf("%#04x: round trip f16->f32->f16 gave %#04x", h, back)
		}
	}
	if nans != 2*1023 || subnormals != 2*1023 || infs != 2 {
		t.Fatalf("pattern classes: %d NaN, %d subnormal, %d inf", nans, subnormals, infs)
	}
}

// TestF16Rounding checks float32 -> float16 rounding around every finite binary16 value:
// exact midpoints go to the even neighbour, anything off the midpoint to the nearer one.
func TestF16Rounding(t *testing.T) {
	for i := 0; i < 0x7bff; i++ { // positive finite values below the largest
		lo, hi := uint16(i), uint16(i+1)
		a, b := refF16(lo), refF16(hi)
		mid := float32((a + b) / 2) // exact in float32
		even := lo
		if lo&1 == 1 {
			even = hi
		}
		for _, sign := range []float32{1, -1} {
			sb := uint16(0)
			if sign < 0 {
				sb = 0x8000
			}
			if got := ToF16(sign * mid); got != even|sb {
				t.Fatalf("ToF16(%v) = %#04x, want %#04x (ties to even)", sign*mid, got, even|sb)
			}
			below := math.Nextafter32(mid, 0)
			above := math.Nextafter32(mid, float32(math.Inf(1)))
			if got := ToF16(sign * below); got != lo|sb {
				t.Fatalf("ToF16(%v) = %#04x, want %#04x", sign*below, got, lo|sb)
			}
			if got := ToF16(sign * above); got != hi|sb {
				t.Fatalf("ToF16(%v) = %#04x, want %#04x", sign*above, got, hi|sb)
			}
		}
	}
	// Overflow: 65504 stays, 65520 (the midpoint to the next binade) and above go to Inf.
	if ToF16(65504) != 0x7bff || ToF16(65519.99) != 0x7bff || ToF16(65520) != 0x7c00 || ToF16(-1e6) != 0xfc00 {
		t.Fatal("float16 overflow boundary wrong")
	}
	// Underflow: half the smallest subnormal rounds to zero (even), just above it to 2^-24.
	if ToF16(float32(math.Ldexp(1, -25))) != 0 || ToF16(math.Nextafter32(float32(math.Ldexp(1, -25)), 1)) != 1 {
		t.Fatal("float16 underflow boundary wrong")
	}
}

func TestF16Up(t *testing.T) {
	for _, x := range []float64{0, 1e-9, math.Ldexp(1, -24), 0.001, 1.0 / 127, 0.3, 1, 1000.3, 65504} {
		h, ok := f16Up(x)
		if !ok {
			t.Fatalf("f16Up(%v) failed", x)
		}
		v := refF16(h)
		if v < x || (h > 0 && refF16(h-1) >= x) {
			t.Fatalf("f16Up(%v) = %v (bits %#04x), not the smallest float16 >= x", x, v, h)
		}
	}
	for _, x := range []float64{65504.5, math.Inf(1), math.NaN(), -1} {
		if _, ok := f16Up(x); ok {
			t.Fatalf("f16Up(%v) accepted", x)
		}
	}
}
