package energy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// maxGapIntervals is how many sampling intervals two consecutive readings may lie apart
// and still count as covering the time between them.
const maxGapIntervals = 3

// clockCap is the fraction of the run's highest load clock under which a load window's
// CPU clock counts as capped.
const clockCap = 0.9

// measure fills the windows' energies and the summaries from the readings.
// conds are condition readings (temperature, throttle flags, clock) without power.
func (res *Result) measure(readings, conds []sampled, origin time.Time, work []Workload, trace *board.Trace) {
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
	end := res.Idles[len(res.Idles)-1].End
	if n := len(res.Windows); n > 0 {
		end = max(end, res.Windows[n-1].End)
	}
	for _, r := range rs {
		t := r.Time.Sub(origin)
		if t < -res.Interval || t > end+res.Interval {
			continue
		}
		res.Samples = append(res.Samples, Sample{T: t, Power: r.Power, Temp: r.temp, Flags: r.Flags})
	}
	maxGap := maxGapIntervals * res.Interval

	// The idle windows, and the baseline through the usable ones.
	var base baseline
	for i := range res.Idles {
		w := &res.Idles[i]
		res.fillWindow(w, rs, conds, origin, counter, maxGap)
		if w.Excluded == "" && trace != nil && trace.HasRate {
			t0 := trace.Samples[0].T
			if n := trace.Inferences(t0+w.Start, t0+w.End); n >= 0.5 {
				w.Excluded = fmt.Sprintf("the trace records %.0f inferences in it: the trace does not follow this schedule", n)
			}
		}
		if w.Excluded == "" {
			base = append(base, idleSample{t: origin.Add((w.Start + w.End) / 2), w: watts(w.Power), dur: w.Duration(), n: w.Samples})
		}
	}
	res.Idle = res.Idles[0]
	idleOK := len(base) > 0
	if idleOK {
		res.IdlePower = board.Watts(base[0].w)
		res.IdleEndPower = board.Watts(base[len(base)-1].w)
		res.Drift = res.IdleEndPower - res.IdlePower
		res.DriftOver = base[len(base)-1].t.Sub(base[0].t)
	}
	for _, w := range res.Idles {
		if w.Excluded != "" && w.Excluded != "interrupted" {
			res.Notes = append(res.Notes, fmt.Sprintf("idle window %d (%.2f-%.2f s) left out of the baseline: %s", w.Index, w.Start.Seconds(), w.End.Seconds(), w.Excluded))
		}
	}
	switch {
	case !idleOK:
		res.Notes = append(res.Notes, res.partial("no usable idle window: marginal energy (above idle) cannot be computed"))
	case len(base) == 1 && len(res.Idles) > 1:
		res.Notes = append(res.Notes, "only one idle window is usable: the baseline cannot follow a drift")
	case len(base) > 1:
		rel := 0.0
		if res.IdlePower != 0 {
			rel = 100 * float64(res.Drift) / float64(res.IdlePower)
		}
		if math.Abs(rel) >= 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("idle baseline drifted by %+.3f W (%+.1f%%) over %.0f s (temperature, fan, other processes): the marginal uses the baseline interpolated between the idle windows", watts(res.Drift), rel, res.DriftOver.Seconds()))
		}
	}

	// The load windows.
	var topClock int64
	for i := range res.Windows {
		w := &res.Windows[i]
		res.fillWindow(w, rs, conds, origin, counter, maxGap)
		if w.ClockKHz > topClock {
			topClock = w.ClockKHz
		}
		if w.Coverage > 0 && w.Inferences > 0 {
			e := joulesOf(w.Energy)
			if w.Coverage < 1 {
				// Partly covered (and so excluded): the average power over the covered
				// part stands for the whole window, for the table.
				e = watts(w.Power) * w.Duration().Seconds()
			}
			w.TotalJ = e / w.Inferences
			if idleOK {
				idleJ, _ := base.integral(origin.Add(w.Start), origin.Add(w.End))
				w.Baseline = board.Watts(idleJ / w.Duration().Seconds())
				w.AboveIdle = w.Power - w.Baseline
				w.MarginalJ = (e - idleJ) / w.Inferences
			}
		}
		if w.Excluded == "" && w.Inferences == 0 {
			w.Excluded = "no inference completed"
		}
	}
	for i := range res.Windows {
		w := &res.Windows[i]
		if w.Excluded == "" && w.ClockKHz > 0 && float64(w.ClockKHz) < clockCap*float64(topClock) {
			w.Excluded = fmt.Sprintf("CPU clock down to %d MHz (the run's load windows reached %d MHz): capped", w.ClockKHz/1000, topClock/1000)
		}
	}
	for _, w := range res.timeline() {
		if w.Partial {
			what := "idle window " + strconv.Itoa(w.Index)
			if w.Model != "" {
				what = fmt.Sprintf("%s window %d", w.Model, w.Index)
			}
			res.partial(fmt.Sprintf("%s: %s", what, w.Excluded))
		}
	}
	res.Idle = res.Idles[0]
	for _, wl := range work {
		res.Models = append(res.Models, res.summarize(wl, idleOK))
	}
	for _, m := range res.Models {
		if m.NoMarginal != "" && idleOK {
			res.Notes = append(res.Notes, res.partial(fmt.Sprintf("%s: %s", m.Model, m.NoMarginal)))
		}
		if st := m.TotalUJ; m.Used >= 2 && st.Median > 0 && (st.Max-st.Min)/st.Median > maxSpread {
			why := "the board was not steady (other processes, clock or thermal changes); close other work, or use more and longer windows"
			if res.Provenance.RatesFrom == "host" {
				why = "the power is replayed and the inference rate is this machine's, so the spread is this machine's throughput varying (other processes), not the board"
			}
			res.Notes = append(res.Notes, fmt.Sprintf("%s: µJ/inference varies by %.0f%% across windows: %s", m.Model, 100*(st.Max-st.Min)/st.Median, why))
		}
	}
	var all board.Quality
	var samples, stale int
	for _, w := range append(append([]Window{}, res.Idles...), res.Windows...) {
		all |= w.Flags
		samples += w.Samples
		stale += w.Stale
	}
	if stale > 0 && 2*stale > samples {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d readings repeated the previous one exactly (flag stale): the sensor may produce new samples more slowly than every %v, or the board is very steady; the energy is still integrated, but check the source's interval", stale, samples, res.Interval))
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
		res.Notes = append(res.Notes, "PARTIAL RESULTS: windows without full power data are left out of the medians, and figures that cannot be trusted are not reported")
	}
}

// partial marks the result partial for why (the first reason is kept) and returns why.
func (res *Result) partial(why string) string {
	if !res.Partial {
		res.Partial, res.PartialWhy = true, why
	}
	return why
}

func joulesOf(e physic.Energy) float64 { return float64(e) / float64(physic.Joule) }

// fillWindow integrates the readings over w and sets its energy, power, conditions,
// reading count and coverage, and why it is excluded when it is. The inference count
// must be set already.
func (res *Result) fillWindow(w *Window, rs, conds []sampled, origin time.Time, counter bool, maxGap time.Duration) {
	from, to := origin.Add(w.Start), origin.Add(w.End)
	if d := w.Duration().Seconds(); d > 0 {
		w.Rate = w.Inferences / d
		w.Expected = int(w.Duration() / res.Interval)
	}
	w.Coverage, w.Partial = 0, true
	if !to.After(from) {
		return
	}
	w.Samples = w.conditions(rs, from, to)
	w.conditions(conds, from, to)
	var e physic.Energy
	var covered time.Duration
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if !b.Time.After(from) || !a.Time.Before(to) {
			continue
		}
		if b.Time.Sub(a.Time) > maxGap {
			continue // a hole in the data: neither covered nor integrated
		}
		e += piece(a, b, from, to, counter)
		covered += minTime(b.Time, to).Sub(maxTime(a.Time, from))
	}
	if covered > 0 {
		w.Coverage = min(1, covered.Seconds()/to.Sub(from).Seconds())
		w.Partial = w.Coverage < minCoverage
		w.Energy = e
		w.Power = physic.Power(math.Round(float64(e) / covered.Seconds())) // nJ / s = nW
	}
	least := max(2, w.Expected/2)
	switch {
	case w.Excluded != "": // interrupted
	case w.Coverage == 0:
		w.Excluded = "no power data"
	case w.Partial:
		w.Excluded = fmt.Sprintf("power data covers %.0f%%", 100*w.Coverage)
	case w.Samples < least:
		w.Excluded = fmt.Sprintf("only %d readings inside, fewer than half the %d its length promises at one every %v: the source stalled or samples slower than it says", w.Samples, w.Expected, res.Interval)
	case w.Throttled:
		var why []string
		if w.Flags&board.Throttled != 0 {
			why = append(why, "throttled")
		}
		if w.Flags&board.UnderVoltage != 0 {
			why = append(why, "under-voltage")
		}
		w.Excluded = strings.Join(why, " and ")
		if w.TempMax != 0 {
			w.Excluded += fmt.Sprintf(" at up to %.0f °C", w.TempMax.Celsius())
		}
	}
}

// conditions adds the flags, temperatures and clocks of the readings in [from, to) (a
// reading on an edge belongs to the next window; a condition with a since time counts
// where [since, Time] overlaps) and returns how many point readings there were.
func (w *Window) conditions(rs []sampled, from, to time.Time) int {
	n := 0
	for _, r := range rs {
		if !r.since.IsZero() {
			if r.since.Before(to) && !r.Time.Before(from) {
				w.Flags |= r.Flags
			}
			continue
		}
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		n++
		if r.Flags&board.Stale != 0 {
			w.Stale++
		}
		w.Flags |= r.Flags
		if r.temp != 0 {
			if w.TempMax == 0 || r.temp > w.TempMax {
				w.TempMax = r.temp
			}
			if w.TempMin == 0 || r.temp < w.TempMin {
				w.TempMin = r.temp
			}
		}
		if r.clock > 0 && (w.ClockKHz == 0 || r.clock < w.ClockKHz) {
			w.ClockKHz = r.clock
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

// summarize computes one workload's medians over its usable windows.
func (res *Result) summarize(wl Workload, idleOK bool) Summary {
	s := Summary{Model: wl.Name, Threads: wl.Threads}
	if s.Threads == 0 {
		s.Threads = res.Threads
	}
	var rate, power, above, marg, total []float64
	for i := range res.Windows {
		w := &res.Windows[i]
		if w.Model != wl.Name {
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
		total = append(total, w.TotalJ*1e6)
		if idleOK {
			above = append(above, watts(w.AboveIdle))
			marg = append(marg, w.MarginalJ*1e6)
		}
	}
	s.Rate, s.Watts, s.TotalUJ = stat(rate), stat(power), stat(total)
	s.CO2eTotal = co2e(s.TotalUJ.Median, res.GridIntensity)
	switch {
	case !idleOK:
		s.NoMarginal = "no idle baseline"
	case s.Used > 0:
		s.AboveIdle, s.MarginalUJ = stat(above), stat(marg)
		if s.AboveIdle.Median <= 0 {
			s.NoMarginal = fmt.Sprintf("the load windows are not above the idle baseline (median %+.4f W): the idle windows held load, or the replayed trace does not follow this schedule; no marginal energy is reported", s.AboveIdle.Median)
			s.MarginalUJ = Stat{}
		} else {
			s.CO2eMarginal = co2e(s.MarginalUJ.Median, res.GridIntensity)
		}
	}
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
