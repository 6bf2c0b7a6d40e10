package quant

import "math"

// Stats accumulates the error of an approximation y of a reference x, in float64.
// The zero value is ready to use.
type Stats struct {
	N      int
	MaxAbs float64 // max |x - y|
	sumAbs float64
	signal float64 // sum x^2
	noise  float64 // sum (x - y)^2
}

// Add records one pair.
func (s *Stats) Add(x, y float64) {
	d := x - y
	s.N++
	s.MaxAbs = math.Max(s.MaxAbs, math.Abs(d))
	s.sumAbs += math.Abs(d)
	s.signal += x * x
	s.noise += d * d
}

// AddSlices records x[i], y[i] pairs (equal lengths).
func (s *Stats) AddSlices(x, y []float32) {
	if len(x) != len(y) {
		panic("quant: Stats.AddSlices length mismatch")
	}
	for i := range x {
		s.Add(float64(x[i]), float64(y[i]))
	}
}

// AddSlices64 records x[i], y[i] pairs (equal lengths).
func (s *Stats) AddSlices64(x, y []float64) {
	if len(x) != len(y) {
		panic("quant: Stats.AddSlices64 length mismatch")
	}
	for i := range x {
		s.Add(x[i], y[i])
	}
}

// MeanAbs is the mean |x - y| (0 when empty).
func (s *Stats) MeanAbs() float64 {
	if s.N == 0 {
		return 0
	}
	return s.sumAbs / float64(s.N)
}

// SQNR is 10 log10(sum x^2 / sum (x-y)^2) in dB: +Inf when y == x exactly, -Inf when the
// reference is all zero but y is not, NaN when empty.
func (s *Stats) SQNR() float64 {
	switch {
	case s.N == 0:
		return math.NaN()
	case s.noise == 0:
		return math.Inf(1)
	}
	return 10 * math.Log10(s.signal/s.noise)
}

// Compare returns the Stats of y against x.
func Compare(x, y []float32) Stats {
	var s Stats
	s.AddSlices(x, y)
	return s
}
