package energy

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"periph.io/x/conn/v3/physic"
)

// maxSpread is the (max - min) / median of a model's total µJ/inference above which the
// report warns that the windows disagree.
const maxSpread = 0.10

// minCoverage is the fraction of a window the readings must cover for it to count.
const minCoverage = 0.99

// spoiled are the reading flags that take a window out of the median.
const spoiled = board.Throttled | board.UnderVoltage

// measure fills the windows' energies and the summaries from the readings.
// conds are condition readings (temperature, throttle flags) without power.
func (res *Result) measure(readings, conds []sampled, origin time.Time, work []Workload) {
	rs := make([]sampled, 0, len(readings))
	counter := false
	for _, r := range readings {
		counter = counter || r.Energy != 0
	}
	for _, r := range readings {
		if r.Flags&board.First != 0 && !counter {
			continue // carries no power
		}
		if n := len(rs); n > 0 && !r.Time.After(rs[n-1].Time) {
			continue // time stood still or went back: the pair would add nothing
		}
		rs = append(rs, r)
	}
	end := res.Idle.End
	if n := len(res.Windows); n > 0 {
		end = res.Windows[n-1].End
	}
	for _, r := range rs {
		t := r.Time.Sub(origin)
		if t < -res.Interval || t > end+res.Interval {
			continue
		}
		res.Samples = append(res.Samples, Sample{T: t, Power: r.Power, Temp: r.temp, Flags: r.Flags})
	}

	fillWindow(&res.Idle, rs, conds, origin, counter)
	idleOK := res.Idle.Coverage > 0
	if idleOK {
		res.IdlePower = res.Idle.Power
	}
	switch {
	case !idleOK:
		res.Partial = true
		res.Notes = append(res.Notes, "no power data in the idle window: marginal energy (above idle) cannot be computed")
	case res.Idle.Partial:
		res.Partial = true
		res.Notes = append(res.Notes, fmt.Sprintf("idle window only %.0f%% covered by power data: the baseline is uncertain", 100*res.Idle.Coverage))
	}
	if res.Idle.Throttled {
		res.Notes = append(res.Notes, fmt.Sprintf("idle window throttled (%v): the baseline may be off", res.Idle.Flags))
	}
	for i := range res.Windows {
		w := &res.Windows[i]
		fillWindow(w, rs, conds, origin, counter)
		if w.Coverage > 0 && w.Rate > 0 {
			w.Total = perInference(w.Power, w.Rate)
			if idleOK {
				w.AboveIdle = w.Power - res.IdlePower
				w.Marginal = perInference(w.AboveIdle, w.Rate)
			}
		}
		switch {
		case w.Excluded != "": // interrupted
		case w.Coverage == 0:
			w.Excluded = "no power data"
		case w.Partial:
			w.Excluded = fmt.Sprintf("power data covers %.0f%%", 100*w.Coverage)
		case w.Throttled:
			w.Excluded = "throttled"
			if w.TempMax != 0 {
				w.Excluded += fmt.Sprintf(" at up to %.0f °C", w.TempMax.Celsius())
			}
		case w.Inferences == 0:
			w.Excluded = "no inference completed"
		}
		if w.Partial {
			res.Partial = true
		}
	}
	for _, wl := range work {
		res.Models = append(res.Models, res.summarize(wl.Name, idleOK))
	}
	for _, m := range res.Models {
		if st := m.TotalUJ; m.Used >= 2 && st.Median > 0 && (st.Max-st.Min)/st.Median > maxSpread {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: µJ/inference varies by %.0f%% across windows: the board was not steady (other processes, clock or thermal changes); close other work, or use more and longer windows",
				m.Model, 100*(st.Max-st.Min)/st.Median))
		}
	}
	var all board.Quality
	for _, w := range append([]Window{res.Idle}, res.Windows...) {
		all |= w.Flags
	}
	if all&board.Partial != 0 {
		res.Notes = append(res.Notes, "the source meters only part of the board (flag partial; the Pi 5 PMIC does not see the 5 V loads): energies are those of the metered rails")
	}
	if all&board.Saturated != 0 {
		res.Notes = append(res.Notes, "some readings saturated the sensor (flag saturated): their windows' energy is a lower bound; use a smaller shunt or a higher range")
	}
	if all&board.Estimated != 0 {
		res.Notes = append(res.Notes, "the source estimates power through a model (flag estimated): compare models against each other rather than trusting absolute joules")
	}
	if res.Partial {
		res.Notes = append(res.Notes, "PARTIAL RESULTS: windows without full power data are left out of the medians")
	}
}

// perInference divides a power by a rate: W / (1/s) = J.
func perInference(p physic.Power, rate float64) physic.Energy {
	// physic.Power is in nW and physic.Energy in nJ, so nW / (1/s) is nJ.
	return physic.Energy(math.Round(float64(p) / rate))
}

// fillWindow integrates the readings over w and sets its energy, power, conditions and
// coverage. The inference count must be set already.
func fillWindow(w *Window, rs, conds []sampled, origin time.Time, counter bool) {
	from, to := origin.Add(w.Start), origin.Add(w.End)
	if d := w.Duration().Seconds(); d > 0 {
		w.Rate = w.Inferences / d
	}
	w.Coverage, w.Partial = 0, true
	if !to.After(from) {
		return
	}
	w.Samples = w.conditions(rs, from, to)
	w.conditions(conds, from, to)
	if len(rs) == 0 {
		return
	}
	var e physic.Energy
	for i := 1; i < len(rs); i++ {
		e += piece(rs[i-1], rs[i], from, to, counter)
	}
	covered := minTime(rs[len(rs)-1].Time, to).Sub(maxTime(rs[0].Time, from))
	if covered <= 0 {
		return
	}
	w.Coverage = covered.Seconds() / to.Sub(from).Seconds()
	w.Partial = w.Coverage < minCoverage
	w.Energy = e
	w.Power = physic.Power(math.Round(float64(e) / covered.Seconds())) // nJ / s = nW
}

// conditions adds the flags and temperatures of the readings in [from, to) (a reading on
// an edge belongs to the next window) and returns how many there were.
func (w *Window) conditions(rs []sampled, from, to time.Time) int {
	n := 0
	for _, r := range rs {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		n++
		w.Flags |= r.Flags
		if r.temp != 0 {
			if w.TempMax == 0 || r.temp > w.TempMax {
				w.TempMax = r.temp
			}
			if w.TempMin == 0 || r.temp < w.TempMin {
				w.TempMin = r.temp
			}
		}
	}
	w.Throttled = w.Flags&spoiled != 0
	return n
}

// piece is the energy between readings a and b that falls inside [from, to].
func piece(a, b sampled, from, to time.Time, counter bool) physic.Energy {
	s, e := maxTime(a.Time, from), minTime(b.Time, to)
	if !e.After(s) {
		return 0
	}
	span := b.Time.Sub(a.Time).Seconds()
	if counter {
		// The counter's energy for (a, b] is spread evenly over the interval.
		d := float64(b.Energy - a.Energy)
		if b.Energy < a.Energy {
			d = float64(b.Power) * span // wrapped: the source's power for the interval
		}
		return physic.Energy(math.Round(d * e.Sub(s).Seconds() / span))
	}
	at := func(t time.Time) physic.Power {
		f := t.Sub(a.Time).Seconds() / span
		return a.Power + physic.Power(math.Round(f*float64(b.Power-a.Power)))
	}
	return board.Trapezoid(board.Reading{Time: s, Power: at(s)}, board.Reading{Time: e, Power: at(e)})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// summarize computes one model's medians over its usable windows.
func (res *Result) summarize(model string, idleOK bool) Summary {
	s := Summary{Model: model}
	var rate, power, above, marg, total []float64
	for i := range res.Windows {
		w := &res.Windows[i]
		if w.Model != model {
			continue
		}
		s.Total++
		if w.Excluded != "" {
			s.Excluded = append(s.Excluded, fmt.Sprintf("window %d: %s", w.Index, w.Excluded))
			continue
		}
		s.Used++
		rate = append(rate, w.Rate)
		power = append(power, watts(w.Power))
		total = append(total, microjoules(w.Total))
		if idleOK {
			above = append(above, watts(w.AboveIdle))
			marg = append(marg, microjoules(w.Marginal))
		}
	}
	s.Rate, s.Watts, s.AboveIdle = stat(rate), stat(power), stat(above)
	s.MarginalUJ, s.TotalUJ = stat(marg), stat(total)
	s.CO2eMarginal = co2e(s.MarginalUJ.Median, res.GridIntensity)
	s.CO2eTotal = co2e(s.TotalUJ.Median, res.GridIntensity)
	return s
}

func microjoules(e physic.Energy) float64 { return float64(e) / float64(physic.MicroJoule) }

// co2e converts µJ per inference to grams of CO2e per million inferences at g/kWh.
func co2e(uj, gPerKWh float64) float64 {
	// µJ x 1e-6 J/µJ x 1e6 inferences = uj joules; / 3.6e6 J/kWh; x g/kWh.
	return uj / 3.6e6 * gPerKWh
}

// stat returns the median, minimum and maximum of v; zero for none.
func stat(v []float64) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	m := v[n/2]
	if n%2 == 0 {
		m = (v[n/2-1] + v[n/2]) / 2
	}
	return Stat{Median: m, Min: v[0], Max: v[n-1]}
}

func watts(p physic.Power) float64 { return float64(p) / float64(physic.Watt) }
