package runtime

import "math"

// exp32 returns e^x in float32 arithmetic: x = k ln2 + r with k = round(x log2e) and
// |r| <= ln2/2 (ln2 split in two parts so k ln2 is exact), e^r from the degree-6 minimax
// polynomial of Cephes' expf, times 2^k built in the exponent bits. Its largest error against
// e^x computed in float64 and rounded to float32 is 1 ulp (relative error below 1.2e-7),
// measured by TestExp32 over all 2,237,668,982 float32 values in [-87.33, 88.72] with
// -exp.all (a strided sample otherwise). Above 88.72 it returns +Inf (e^x exceeds
// MaxFloat32), below -87.33 it returns 0 (e^x is under the smallest normal float32, 1.2e-38:
// the absolute error is below that); NaN gives NaN. It is the activations' exponential:
// sigmoid's and softmax's error stays far under the 1e-6 the predictions are held to.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375 // 8 significant bits: k*ln2Hi is exact for |k| < 2^16
		ln2Lo = -2.12194440e-4
		round = 12582912 // 1.5 * 2^23: adding and subtracting it rounds to an integer
		maxX  = 88.72283
		minX  = -87.33654
	)
	if x > maxX {
		return float32(math.Inf(1))
	}
	if x < minX {
		return 0
	}
	c := &expPoly
	kf := (x*log2e + round) - round
	r := x - kf*ln2Hi - kf*ln2Lo
	p := c[0]*r + c[1]
	p = p*r + c[2]
	p = p*r + c[3]
	p = p*r + c[4]
	p = p*r + c[5]
	y := p*r*r + r + 1
	if kf > 127 { // e^x in [2^127.5, MaxFloat32]: 2^128 has no float32, scale in two steps
		return y * 2 * math.Float32frombits(254<<23)
	}
	return y * math.Float32frombits(uint32(int32(kf)+127)<<23)
}

// expPoly is Cephes expf's polynomial, highest degree first (in memory, so that the compiled
// code loads each with one instruction from one base).
var expPoly = [6]float32{1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1}

// sigmoid32 is 1/(1+e^-x) with exp32: within 1.2e-7 of the float64 value (relative, and
// absolute since it lies in [0, 1]).
func sigmoid32(x float32) float32 { return 1 / (1 + exp32(-x)) }
