package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The two ways to run this network's Dense layers (16 -> 24 relu -> 1), as reference loops:
// dequantize-on-the-fly (int8 weights, float32 activations: what edgewatt runs) and TFLite's
// full-integer scheme (int8 activations, int8 x int8 -> int32, int32 bias, requantize).
// Speed is only measured here; convert's report measures the accuracy of both.

type benchNet struct {
	q      [2][]int8
	s      [2][]float32
	b      [2][]float32
	bq     [2][]int32
	in     [2]ActParams
	out    [2]int
	inW    [2]int
	x      []float32
	h, y   []float32
	xq, hq []int8
}

func newBenchNet() *benchNet {
	r := rand.New(rand.NewPCG(1, 1))
	n := &benchNet{out: [2]int{24, 1}, inW: [2]int{16, 24}}
	for l := 0; l < 2; l++ {
		w := make([]float32, n.out[l]*n.inW[l])
		for i := range w {
			w[i] = float32(r.NormFloat64() * 0.3)
		}
		t, _ := Int8Channel.Quantize(w, n.out[l], n.inW[l])
		n.q[l], n.s[l] = t.Q, t.Scales
		n.b[l] = make([]float32, n.out[l])
		n.bq[l] = make([]int32, n.out[l])
	}
	n.in[0], _ = ActivationParams(-0.5, 0.3)
	n.in[1], _ = ActivationParams(0, 2)
	for l := 0; l < 2; l++ {
		for o := range n.bq[l] {
			n.bq[l][o] = int32(math.Round(float64(n.b[l][o]) / float64(n.s[l][o]*n.in[l].Scale)))
		}
	}
	n.x = make([]float32, 16)
	for i := range n.x {
		n.x[i] = float32(r.Float64()*0.8 - 0.5)
	}
	n.h, n.y = make([]float32, 24), make([]float32, 1)
	n.xq, n.hq = make([]int8, 16), make([]int8, 24)
	return n
}

func denseDequant(y, x []float32, q []int8, s, b []float32, relu bool) {
	in := len(x)
	for o := range y {
		var acc float32
		for k, w := range q[o*in : o*in+in] {
			acc += float32(w) * x[k]
		}
		v := acc*s[o] + b[o]
		if relu && v < 0 {
			v = 0
		}
		y[o] = v
	}
}

func denseInt8(y []float32, xq []int8, p ActParams, q []int8, s []float32, bq []int32, relu bool) {
	in := len(xq)
	for o := range y {
		acc := bq[o]
		for k, w := range q[o*in : o*in+in] {
			acc += int32(w) * (int32(xq[k]) - p.ZeroPoint)
		}
		v := float32(acc) * (s[o] * p.Scale)
		if relu && v < 0 {
			v = 0
		}
		y[o] = v
	}
}

func BenchmarkDenseDequantOnTheFly(b *testing.B) {
	n := newBenchNet()
	for b.Loop() {
		denseDequant(n.h, n.x, n.q[0], n.s[0], n.b[0], true)
		denseDequant(n.y, n.h, n.q[1], n.s[1], n.b[1], false)
	}
}

func BenchmarkDenseFullInteger(b *testing.B) {
	n := newBenchNet()
	for b.Loop() {
		for i, v := range n.x {
			n.xq[i], _ = n.in[0].Quantize(v)
		}
		denseInt8(n.h, n.xq, n.in[0], n.q[0], n.s[0], n.bq[0], true)
		for i, v := range n.h {
			n.hq[i], _ = n.in[1].Quantize(v)
		}
		denseInt8(n.y, n.hq, n.in[1], n.q[1], n.s[1], n.bq[1], false)
	}
}

// The two paths compute nearly the same thing (a failing twin would make the benchmark moot).
func TestBenchNetsAgree(t *testing.T) {
	n := newBenchNet()
	denseDequant(n.h, n.x, n.q[0], n.s[0], n.b[0], true)
	denseDequant(n.y, n.h, n.q[1], n.s[1], n.b[1], false)
	want := n.y[0]
	for i, v := range n.x {
		n.xq[i], _ = n.in[0].Quantize(v)
	}
	denseInt8(n.h, n.xq, n.in[0], n.q[0], n.s[0], n.bq[0], true)
	for i, v := range n.h {
		n.hq[i], _ = n.in[1].Quantize(v)
	}
	denseInt8(n.y, n.hq, n.in[1], n.q[1], n.s[1], n.bq[1], false)
	if d := math.Abs(float64(n.y[0] - want)); d > 0.05*math.Max(1, math.Abs(float64(want))) {
		t.Fatalf("full-integer %v vs dequantized %v", n.y[0], want)
	}
}
