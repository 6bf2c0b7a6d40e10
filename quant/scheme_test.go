package quant

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func randMatrix(r *rand.Rand, rows, cols int, spread float64) []float32 {
	w := make([]float32, rows*cols)
	for i := range w {
		// embedding-like: row magnitudes vary over a few decades
		w[i] = float32(r.NormFloat64() * spread * math.Exp(float64(i/cols%7)-3))
	}
	return w
}

func TestInt8RoundTripBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []*Scheme{Int8Row, Int8Tensor, Int8Channel} {
		for _, shape := range [][2]int{{1, 1}, {7, 16}, {100, 16}, {24, 16}, {3, 1000}} {
			rows, cols := shape[0], shape[1]
			w := randMatrix(r, rows, cols, 0.2)
			q, err := s.Quantize(w, rows, cols)
			if err != nil {
				t.Fatal(err)
			}
			if q.Saturated != 0 {
				t.Errorf("%s: %d saturated with reference scales", s.Name, q.Saturated)
			}
			d := q.Dequantize()
			for row := 0; row < rows; row++ {
				sc := q.Scale(row)
				maxq := 0
				for c := 0; c < cols; c++ {
					i := row*cols + c
					if q.Q[i] == -128 {
						t.Fatalf("%s: -128 produced", s.Name)
					}
					maxq = max(maxq, int(q.Q[i]), -int(q.Q[i]))
					bound := float64(sc)/2*(1+1e-6) + 1e-7*math.Abs(float64(w[i]))
					if e := math.Abs(float64(w[i]) - float64(d[i])); e > bound {
						t.Fatalf("%s %dx%d: w[%d]=%v dequantized %v: error %g > s/2 = %g", s.Name, rows, cols, i, w[i], d[i], e, bound)
					}
				}
				if s.Granularity == PerRow && maxq != 127 {
					t.Fatalf("%s: row %d max |q| = %d, want 127 (scale wasted)", s.Name, row, maxq)
				}
			}
			// Stored bytes: sizes and a lossless trip through FromStored.
			wantScales := rows
			if s.Granularity == PerTensor {
				wantScales = 1
			}
			sz := map[string]int{"F16": 2, "F32": 4}[s.ScaleDType]
			if got, want := q.Bytes(), rows*cols+wantScales*sz; got != want {
				t.Fatalf("%s: %d bytes, want %d", s.Name, got, want)
			}
			back, err := FromStored(s, rows, cols, q.WeightBytes(), q.ScaleBytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.WeightBytes(), q.WeightBytes()) || !bytes.Equal(back.ScaleBytes(), q.ScaleBytes()) {
				t.Fatalf("%s: FromStored round trip differs", s.Name)
			}
			d2 := back.Dequantize()
			for i := range d {
				if d[i] != d2[i] {
					t.Fatalf("%s: dequantized from stored bytes differs at %d", s.Name, i)
				}
			}
		}
	}
}

// The per-row scale is rounded up to float16 before quantizing: the stored scale is the one
// used, and it is never below max|w|/127.
func TestInt8RowScaleIsStoredF16(t *testing.T) {
	w := []float32{0.1, -0.3, 0.2, 0.05, 1e-6, 0, 0, 2e-6}
	q, err := Int8Row.Quantize(w, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 2; r++ {
		if q.Scales[r] != FromF16(q.ScaleF16[r]) {
			t.Fatalf("row %d: effective scale %v is not the stored f16 %v", r, q.Scales[r], FromF16(q.ScaleF16[r]))
		}
		var m float64
		for _, v := range w[r*4 : r*4+4] {
			m = math.Max(m, math.Abs(float64(v)))
		}
		if float64(q.Scales[r]) < m/127 {
			t.Fatalf("row %d: scale %v below max/127 = %v", r, q.Scales[r], m/127)
		}
	}
	if got := q.Q[1]; got != -127 {
		t.Fatalf("max element quantized to %d, want -127", got)
	}
}

func TestAllZeroRows(t *testing.T) {
	w := []float32{0, 0, 0, 0, 1, -1, 0.5, 0, 0, 0, 0, 0}
	for _, s := range []*Scheme{Int8Row, Int8Channel} {
		q, err := s.Quantize(w, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		if q.ZeroRows != 2 || q.Scales[0] != 0 || q.Scales[2] != 0 {
			t.Fatalf("%s: zero rows %d, scales %v", s.Name, q.ZeroRows, q.Scales)
		}
		d := q.Dequantize()
		for i, v := range d {
			if (i < 4 || i >= 8) && (v != 0 || math.Signbit(float64(v))) {
				t.Fatalf("%s: zero row element %d dequantized to %v", s.Name, i, v)
			}
		}
	}
	q, err := Int8Tensor.Quantize(make([]float32, 8), 2, 4)
	if err != nil || q.Scales[0] != 0 || q.ZeroRows != 1 {
		t.Fatalf("all-zero tensor: %v %v", q, err)
	}
}

func TestNonFiniteRefused(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for _, s := range Schemes() {
			w := []float32{1, 2, bad, 4}
			_, err := s.Quantize(w, 2, 2)
			var nf *NonFiniteError
			if !errors.As(err, &nf) || nf.Index != 2 {
				t.Fatalf("%s accepted %v (err %v)", s.Name, bad, err)
			}
		}
	}
	var o Observer
	var nf *NonFiniteError
	if err := o.Observe([]float32{1, float32(math.NaN())}); !errors.As(err, &nf) || o.N != 0 {
		t.Fatalf("observer accepted NaN: %v, N=%d", err, o.N)
	}
	if _, err := FromStored(Int8Tensor, 1, 1, []byte{1}, PutF32([]float32{float32(math.Inf(1))})); !errors.As(err, &nf) {
		t.Fatalf("FromStored accepted an infinite scale: %v", err)
	}
}

func TestRangeRefused(t *testing.T) {
	if _, err := F16.Quantize([]float32{1, 70000}, 1, 2); err == nil {
		t.Fatal("f16 accepted 70000")
	}
	if _, err := Int8Row.Quantize([]float32{1e7, 1}, 1, 2); err == nil {
		t.Fatal("int8-row accepted a scale beyond float16")
	}
	if _, err := Int8Tensor.Quantize([]float32{1e7, 1}, 1, 2); err != nil {
		t.Fatalf("int8-tensor refused 1e7: %v", err)
	}
	if _, err := Int8Row.Quantize([]float32{1, 2, 3}, 2, 2); err == nil {
		t.Fatal("shape mismatch accepted")
	}
}

func TestF16Scheme(t *testing.T) {
	w := []float32{0, 1, -1, 0.1, 1e-8, 3e-5, 65504, -0.333}
	q, err := F16.Quantize(w, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if q.Underflow != 1 {
		t.Fatalf("underflow count %d, want 1 (1e-8)", q.Underflow)
	}
	d := q.Dequantize()
	for i := range w {
		e := math.Abs(float64(w[i]) - float64(d[i]))
		if e > math.Abs(float64(w[i]))*math.Ldexp(1, -11)+math.Ldexp(1, -25) {
			t.Fatalf("f16 error at %v: %g", w[i], e)
		}
	}
	if q.Bytes() != 16 {
		t.Fatalf("f16 bytes %d", q.Bytes())
	}
}

func TestQuantizeSymSaturation(t *testing.T) {
	cases := []struct {
		w, s float32
		q    int8
		sat  bool
	}{
		{127, 1, 127, false}, {127.4, 1, 127, false}, {127.6, 1, 127, true}, {1000, 1, 127, true},
		{-127.5, 1, -127, false}, {-128, 1, -127, true}, {-1e9, 1, -127, true},
		{0.5, 1, 1, false}, {-0.5, 1, -1, false}, {0.49, 1, 0, false}, {3, 0, 0, false},
	}
	for _, c := range cases {
		q, sat := QuantizeSym(c.w, c.s)
		if q != c.q || sat != c.sat {
			t.Errorf("QuantizeSym(%v, %v) = %d, %v; want %d, %v", c.w, c.s, q, sat, c.q, c.sat)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, s := range Schemes() {
		got, err := Lookup(s.Name)
		if err != nil || got != s {
			t.Fatalf("Lookup(%q) = %v, %v", s.Name, got, err)
		}
	}
	if _, err := Lookup("int4"); err == nil {
		t.Fatal("unknown scheme accepted")
	}
}

func FuzzInt8Row(f *testing.F) {
	f.Add(float32(0.1), float32(-3), float32(1e-7), float32(0))
	f.Fuzz(func(t *testing.T, a, b, c, d float32) {
		w := []float32{a, b, c, d}
		q, err := Int8Row.Quantize(w, 2, 2)
		if CheckFinite("w", w) != nil {
			if err == nil {
				t.Fatal("non-finite accepted")
			}
			return
		}
		if err != nil {
			return // scale beyond float16: refused with an error
		}
		dq := q.Dequantize()
		for i := range w {
			s := q.Scale(i / 2)
			if e := math.Abs(float64(w[i]) - float64(dq[i])); e > float64(s)/2*(1+1e-6)+1e-7*math.Abs(float64(w[i])) {
				t.Fatalf("w=%v dq=%v s=%v", w[i], dq[i], s)
			}
		}
	})
}

// On a 32-bit int (GOARCH=arm), rows*cols and 4*rows*cols wrap around: 65536 x 65536 is 0
// elements and 32768 x 32768 float32s are 0 bytes. Such shapes used to match an empty
// buffer, and Dequantize then allocated or indexed far past it.
func TestShapeOverflowRefused(t *testing.T) {
	for _, c := range []struct {
		s          *Scheme
		rows, cols int
	}{
		{F32, 1 << 15, 1 << 15}, {F16, 1 << 15, 1 << 16}, {Int8Tensor, 1 << 16, 1 << 16},
		{F32, -1, -4}, {F32, 2, -1},
	} {
		if _, err := FromStored(c.s, c.rows, c.cols, nil, make([]byte, 4)); err == nil {
			t.Errorf("FromStored(%s, %d, %d) accepted no weight bytes", c.s.Name, c.rows, c.cols)
		}
		if _, err := c.s.Quantize(nil, c.rows, c.cols); err == nil {
			t.Errorf("%s.Quantize(nil, %d, %d) accepted no weights", c.s.Name, c.rows, c.cols)
		}
	}
	if _, err := FromStored(F32, 1, 2, make([]byte, 9), nil); err == nil {
		t.Error("FromStored accepted 9 bytes for 2 float32s")
	}
}
