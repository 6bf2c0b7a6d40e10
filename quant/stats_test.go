package quant

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestStats(t *testing.T) {
	s := Compare([]float32{1, 1}, []float32{1.1, 0.9})
	if math.Abs(s.SQNR()-20) > 1e-5 || math.Abs(s.MaxAbs-0.1) > 1e-6 || math.Abs(s.MeanAbs()-0.1) > 1e-6 {
		t.Fatalf("stats %+v sqnr %v", s, s.SQNR())
	}
	e := Compare([]float32{1, 2}, []float32{1, 2})
	if !math.IsInf(e.SQNR(), 1) || e.MaxAbs != 0 {
		t.Fatalf("identical: %+v", e)
	}
	var z Stats
	if !math.IsNaN(z.SQNR()) || z.MeanAbs() != 0 {
		t.Fatal("empty stats")
	}
}

// Uniform int8 quantization of a Gaussian at max-abs scaling measures near the textbook SQNR:
// 6.02*8 + 1.76 - 20log10(max/sigma) dB. Catches a broken scale or rounding.
func TestInt8SQNRTextbook(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	w := make([]float32, 1<<16)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	q, err := Int8Tensor.Quantize(w, 1, len(w))
	if err != nil {
		t.Fatal(err)
	}
	s := Compare(w, q.Dequantize())
	m := float64(q.Scales[0]) * 127
	// Step = 2m/254; noise power step^2/12; signal power 1.
	want := 10 * math.Log10(12/math.Pow(2*m/254, 2))
	if math.Abs(s.SQNR()-want) > 0.3 {
		t.Fatalf("SQNR %.2f dB, want %.2f", s.SQNR(), want)
	}
}

func TestObserver(t *testing.T) {
	var o Observer
	v := make([]float32, 0, 1000)
	for i := 0; i < 1000; i++ {
		v = append(v, float32(i))
	}
	if err := o.Observe(v); err != nil {
		t.Fatal(err)
	}
	lo, hi, err := o.Range(0)
	if err != nil || lo != 0 || hi != 999 {
		t.Fatalf("minmax %v %v %v", lo, hi, err)
	}
	lo, hi, err = o.Range(99)
	if err != nil || lo != 9 || hi != 989 {
		t.Fatalf("p99 range %v %v %v", lo, hi, err)
	}
	if s := o.Saturation(lo, hi); math.Abs(s-0.019) > 1e-9 {
		t.Fatalf("saturation %v, want 0.019", s)
	}
	if o.Sampled() {
		t.Fatal("sampled below cap")
	}
	if _, _, err := o.Range(20); err == nil {
		t.Fatal("percentile 20 accepted")
	}
	var empty Observer
	if _, _, err := empty.Range(0); err == nil {
		t.Fatal("empty range accepted")
	}
}

func TestObserverReservoir(t *testing.T) {
	run := func() *Observer {
		o := &Observer{Cap: 1000}
		r := rand.New(rand.NewPCG(7, 8))
		for i := 0; i < 100; i++ {
			v := make([]float32, 1000)
			for j := range v {
				v[j] = float32(r.Float64())
			}
			if err := o.Observe(v); err != nil {
				t.Fatal(err)
			}
		}
		return o
	}
	a, b := run(), run()
	if !a.Sampled() || a.N != 100000 || len(a.kept) != 1000 {
		t.Fatalf("reservoir: sampled %v N %d kept %d", a.Sampled(), a.N, len(a.kept))
	}
	if a.Quantile(0.5) != b.Quantile(0.5) {
		t.Fatal("reservoir not reproducible")
	}
	if m := a.Quantile(0.5); math.Abs(float64(m)-0.5) > 0.06 {
		t.Fatalf("median of U(0,1) sample %v", m)
	}
	if s := a.Saturation(0.1, 0.9); math.Abs(s-0.2) > 0.05 {
		t.Fatalf("saturation estimate %v, want ~0.2", s)
	}
}

func TestActivationParams(t *testing.T) {
	for _, rg := range [][2]float32{{0, 6}, {-1, 1}, {-3, -1}, {2, 5}, {-0.2, 17.5}} {
		p, err := ActivationParams(rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		if q, _ := p.Quantize(0); p.Dequantize(q) != 0 {
			t.Fatalf("%v: zero not exact (zp %d)", rg, p.ZeroPoint)
		}
		lo, hi := min(rg[0], 0), max(rg[1], 0)
		for i := 0; i <= 100; i++ {
			x := lo + (hi-lo)*float32(i)/100
			q, sat := p.Quantize(x)
			if sat {
				t.Fatalf("%v: %v saturated inside the range", rg, x)
			}
			if e := math.Abs(float64(x - p.Dequantize(q))); e > float64(p.Scale)*0.5001+1e-6 {
				t.Fatalf("%v: x=%v error %g > scale/2 %g", rg, x, e, p.Scale/2)
			}
		}
		if _, sat := p.Quantize(hi + 3*p.Scale); !sat {
			t.Fatalf("%v: beyond range not saturated", rg)
		}
	}
	var nf *NonFiniteError
	if _, err := ActivationParams(0, float32(math.Inf(1))); !errors.As(err, &nf) {
		t.Fatal("infinite range accepted")
	}
	if _, err := ActivationParams(2, 1); err == nil {
		t.Fatal("empty range accepted")
	}
}

func TestActivationParamsTinyRange(t *testing.T) {
	// (hi - lo) / 255 underflows float32 to 0; the scale used to be 0 and the zero point NaN.
	for _, rg := range [][2]float32{{0, 1e-44}, {-1e-44, 0}, {-3e-45, 3e-45}} {
		p, err := ActivationParams(rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		if !(p.Scale > 0) || p.ZeroPoint < -128 || p.ZeroPoint > 127 {
			t.Fatalf("range %v: params %+v", rg, p)
		}
		for _, x := range []float32{rg[0], 0, rg[1]} {
			q, sat := p.Quantize(x)
			if sat || math.Abs(float64(p.Dequantize(q)-x)) > float64(p.Scale) {
				t.Errorf("range %v: %g -> %d (sat %v) -> %g", rg, x, q, sat, p.Dequantize(q))
			}
		}
	}
}
