package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// DefaultObserverCap bounds how many values an Observer keeps for percentiles.
const DefaultObserverCap = 1 << 20

// Observer records a stream of activation values for calibration: exact min, max and count,
// and the values themselves (all of them up to Cap, then a uniform reservoir sample drawn with
// a fixed seed, so results are reproducible) for percentile ranges and saturation.
// NaN and ±Inf are refused. The zero value is ready (Cap 0 means DefaultObserverCap).
type Observer struct {
	Cap      int
	N        int64
	Min, Max float32
	kept     []float32
	rng      *rand.Rand
	sorted   bool
}

// Observe records v. It returns a *NonFiniteError (and records nothing of v) when v holds a
// NaN or an infinity: a calibration text that drives the network to non-finite values means
// the model is broken.
func (o *Observer) Observe(v []float32) error {
	if err := CheckFinite("activation", v); err != nil {
		return err
	}
	c := o.Cap
	if c <= 0 {
		c = DefaultObserverCap
	}
	for _, x := range v {
		if o.N == 0 {
			o.Min, o.Max = x, x
		}
		o.Min = min(o.Min, x)
		o.Max = max(o.Max, x)
		o.N++
		if len(o.kept) < c {
			o.kept = append(o.kept, x)
		} else {
			if o.rng == nil {
				o.rng = rand.New(rand.NewPCG(1, 2))
			}
			if j := o.rng.Int64N(o.N); j < int64(c) {
				o.kept[j] = x
			}
		}
		o.sorted = false
	}
	return nil
}

// Sampled reports whether percentiles and saturation are estimated from a sample (more than
// Cap values were observed) rather than exact.
func (o *Observer) Sampled() bool { return int64(len(o.kept)) < o.N }

func (o *Observer) sort() {
	if !o.sorted {
		sort.Slice(o.kept, func(i, j int) bool { return o.kept[i] < o.kept[j] })
		o.sorted = true
	}
}

// Quantile returns the p-quantile (0 <= p <= 1) of the observed values, by the nearest-rank
// method on the kept values; 0 when nothing was observed.
func (o *Observer) Quantile(p float64) float32 {
	if len(o.kept) == 0 {
		return 0
	}
	switch {
	case p <= 0:
		return o.Min
	case p >= 1:
		return o.Max
	}
	o.sort()
	i := int(math.Ceil(p*float64(len(o.kept))-1e-9)) - 1 // tolerate 1-0.99 != 0.01
	i = max(0, min(i, len(o.kept)-1))
	return o.kept[i]
}

// Range returns the calibrated range: [Min, Max] when percentile is 0 or 100, else the
// [(100-percentile)%, percentile%] quantiles (e.g. 99.99 clips the 0.01% tails on each side).
func (o *Observer) Range(percentile float64) (lo, hi float32, err error) {
	if percentile != 0 && (percentile < 50 || percentile > 100 || math.IsNaN(percentile)) {
		return 0, 0, fmt.Errorf("quant: percentile %v must be in [50, 100] (or 0 for min/max)", percentile)
	}
	if o.N == 0 {
		return 0, 0, fmt.Errorf("quant: no calibration values observed")
	}
	if percentile == 0 || percentile == 100 {
		return o.Min, o.Max, nil
	}
	return o.Quantile(1 - percentile/100), o.Quantile(percentile / 100), nil
}

// Saturation returns the fraction of observed values outside [lo, hi] (estimated from the
// sample when Sampled).
func (o *Observer) Saturation(lo, hi float32) float64 {
	if len(o.kept) == 0 {
		return 0
	}
	o.sort()
	below := sort.Search(len(o.kept), func(i int) bool { return o.kept[i] >= lo })
	above := len(o.kept) - sort.Search(len(o.kept), func(i int) bool { return o.kept[i] > hi })
	return float64(below+above) / float64(len(o.kept))
}

// ActParams are asymmetric int8 activation parameters (TFLite's full-integer scheme).
type ActParams struct {
	Scale     float32
	ZeroPoint int32 // in [-128, 127]
}

// ActivationParams maps a calibrated range to asymmetric int8 parameters. The range is first
// widened to contain 0 (so that 0, the padding and ReLU's floor, is exact); an empty range
// gets scale 1.
func ActivationParams(lo, hi float32) (ActParams, error) {
	if err := CheckFinite("activation range", []float32{lo, hi}); err != nil {
		return ActParams{}, err
	}
	if lo > hi {
		return ActParams{}, fmt.Errorf("quant: activation range [%v, %v] is empty", lo, hi)
	}
	l, h := math.Min(float64(lo), 0), math.Max(float64(hi), 0)
	if h == l {
		return ActParams{Scale: 1, ZeroPoint: 0}, nil
	}
	s := float32((h - l) / 255)
	if s == 0 {
		// A range narrower than 255 float32 subnormals: a zero scale would make the zero
		// point and every quantized value NaN.
		s = math.SmallestNonzeroFloat32
	}
	zp := math.Round(-128 - l/float64(s))
	zp = math.Max(-128, math.Min(127, zp))
	return ActParams{Scale: s, ZeroPoint: int32(zp)}, nil
}

// Quantize maps x to int8: clamp(round(x/scale) + zp, -128, 127); sat reports a clamp.
func (p ActParams) Quantize(x float32) (q int8, sat bool) {
	v := math.Round(float64(x)/float64(p.Scale)) + float64(p.ZeroPoint)
	switch {
	case v > 127:
		return 127, true
	case v < -128:
		return -128, true
	}
	return int8(v), false
}

// Dequantize maps q back: (q - zp) * scale.
func (p ActParams) Dequantize(q int8) float32 { return float32(int32(q)-p.ZeroPoint) * p.Scale }
