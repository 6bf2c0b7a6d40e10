package energy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"periph.io/x/conn/v3/physic"
)

// WriteTable prints the result for people: where the numbers come from, one column per
// model, then every window (idle windows included).
func (res *Result) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "edgewatt bench --energy\n")
	fmt.Fprintf(ew, "numbers  %s\n", res.Provenance)
	if d := res.Provenance.TraceDescription; d != "" {
		for i, l := range strings.Split(d, "\n") {
			lead := "         "
			if i == 0 {
				lead = "trace    "
			}
			fmt.Fprintf(ew, "%s# %s\n", lead, l)
		}
	}
	how := "live: window edges on the wall clock"
	if res.Replay {
		how = "replay: windows on the trace's timeline"
		switch res.Provenance.RatesFrom {
		case "trace":
			how += "; inference counts from the trace's inferences_per_s"
		default:
			how += "; inference counts measured on this machine in real time and scaled to each window"
		}
	}
	fmt.Fprintf(ew, "source   %s, a reading every %v (%s)\n", res.Source, res.Interval.Round(time.Microsecond), how)
	fmt.Fprintf(ew, "threads  %s\n", res.threadsText())
	fmt.Fprintf(ew, "idle     %s\n", res.idleText())
	fmt.Fprintf(ew, "windows  %d x %s per model, round-robin, %v settling before each, at least %d readings each; medians over windows neither throttled nor partial\n",
		res.Rounds, fmtDur(res.WindowLen), res.Settle, res.MinReadings)
	if res.Partial {
		fmt.Fprintf(ew, "\n*** PARTIAL RESULTS: see the notes below ***\n")
	}
	fmt.Fprintln(ew)

	tw := tabwriter.NewWriter(ew, 0, 0, 3, ' ', 0)
	row := func(label string, cell func(s *Summary) string) {
		cells := []string{label}
		for i := range res.Models {
			cells = append(cells, cell(&res.Models[i]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	marginal := func(s *Summary, v string) string {
		if s.NoMarginal != "" && s.Used > 0 {
			return "n/a (see notes)"
		}
		return unless(s, v)
	}
	row("", func(s *Summary) string { return s.Model })
	row("threads", func(s *Summary) string { return strconv.Itoa(s.Threads) })
	row("inferences/s", func(s *Summary) string { return unless(s, fmtG(s.Rate.Median)) })
	row("average power", func(s *Summary) string { return unless(s, fmt.Sprintf("%.3f W", s.Watts.Median)) })
	row("above idle", func(s *Summary) string { return marginal(s, fmt.Sprintf("%.4f W", s.AboveIdle.Median)) })
	row("µJ/inference, marginal", func(s *Summary) string { return marginal(s, fmtG(s.MarginalUJ.Median)) })
	row("  spread (min-max)", func(s *Summary) string { return marginal(s, spread(s.MarginalUJ)) })
	row("µJ/inference, total", func(s *Summary) string { return unless(s, fmtG(s.TotalUJ.Median)) })
	row("  spread (min-max)", func(s *Summary) string { return unless(s, spread(s.TotalUJ)) })
	row("CO2e per 1M inferences", func(s *Summary) string { return unless(s, fmtGrams(s.CO2eTotal)+" total") })
	row("", func(s *Summary) string { return marginal(s, fmtGrams(s.CO2eMarginal)+" marginal") })
	row("windows in median", func(s *Summary) string { return fmt.Sprintf("%d of %d", s.Used, s.Total) })
	row("temperature", func(s *Summary) string { return res.modelTemp(s.Model) })
	row("throttled windows", func(s *Summary) string { return res.modelThrottled(s.Model) })
	tw.Flush()
	fmt.Fprintf(ew, "\nCO2e at %g g/kWh", res.GridIntensity)
	if res.GridIntensity == DefaultGridIntensity {
		fmt.Fprintf(ew, " (CodeCarbon's world average; set your grid's with --grid-intensity)")
	}
	fmt.Fprintf(ew, ".\nmarginal = (E - E_idle) / n, E_idle the idle baseline interpolated between the idle windows over the window; total = E / n;\nE by trapezoid integration of the power readings.\n\n")

	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\twin\tstart s\tend s\tinferences\tinf/s\tavg W\tbaseline W\tabove W\tµJ marginal\tµJ total\ttemp °C\treadings\tcover\t  flags")
	line := func(w *Window, model, idx string) {
		inf, rate, base, above, marg, total := "-", "-", "-", "-", "-", "-"
		if model != "idle" {
			inf, rate = fmtG(w.Inferences), fmtG(w.Rate)
			if w.Coverage > 0 && w.Inferences > 0 {
				total = fmtG(w.TotalJ * 1e6)
				if w.Baseline != 0 {
					base, above = fmt.Sprintf("%.4f", watts(w.Baseline)), fmt.Sprintf("%.4f", watts(w.AboveIdle))
					marg = fmtG(w.MarginalJ * 1e6)
				}
			}
		}
		avg := "-"
		if w.Coverage > 0 {
			avg = fmt.Sprintf("%.4f", watts(w.Power))
		}
		flags := w.Flags.String()
		if w.Excluded != "" {
			flags = "EXCLUDED: " + w.Excluded + "; flags " + flags
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%.0f%%\t  %s\n", model, idx,
			w.Start.Seconds(), w.End.Seconds(), inf, rate, avg, base, above, marg, total, tempRange(w, ""), w.Samples, w.Expected, 100*w.Coverage, flags)
	}
	for _, e := range res.timeline() {
		if e.Model == "" {
			line(e, "idle", strconv.Itoa(e.Index))
		} else {
			line(e, e.Model, strconv.Itoa(e.Index))
		}
	}
	tw.Flush()
	for _, s := range res.Models {
		for _, e := range s.Excluded {
			fmt.Fprintf(ew, "note: %s %s left out of the median\n", s.Model, e)
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(ew, "note: %s\n", n)
	}
	return ew.err
}

// timeline returns the idle and load windows in time order.
func (res *Result) timeline() []*Window {
	var all []*Window
	for i := range res.Idles {
		all = append(all, &res.Idles[i])
	}
	for i := range res.Windows {
		all = append(all, &res.Windows[i])
	}
	slices.SortStableFunc(all, func(a, b *Window) int { return cmp.Compare(a.Start, b.Start) })
	return all
}

func (res *Result) threadsText() string {
	ts := map[int]bool{}
	var list []string
	for _, m := range res.Models {
		if !ts[m.Threads] {
			ts[m.Threads] = true
			list = append(list, strconv.Itoa(m.Threads))
		}
	}
	if len(list) == 0 {
		list = []string{strconv.Itoa(res.Threads)}
	}
	s := strings.Join(list, " and ") + " predictor(s) running at once per model"
	if res.Provenance.Host != "" {
		s += " on " + res.Provenance.Host
	}
	return s
}

func (res *Result) idleText() string {
	n := len(res.Idles)
	if res.IdlePower == 0 && res.IdleEndPower == 0 {
		return fmt.Sprintf("no usable idle window of %d (see the notes)", n)
	}
	s := fmt.Sprintf("%s before the first round%s, %s after the last: drift %+.4f W over %.0f s; %d idle windows of %s (one before, one after each round)",
		fmtW(res.IdlePower), tempRange(&res.Idle, " at "), fmtW(res.IdleEndPower), watts(res.Drift), res.DriftOver.Seconds(), n, fmtDur(res.IdleLen))
	return s
}

func unless(s *Summary, v string) string {
	if s.Used == 0 {
		return "n/a (no usable window)"
	}
	return v
}

func spread(s Stat) string {
	rel := 0.0
	if s.Median != 0 {
		rel = 100 * (s.Max - s.Min) / math.Abs(s.Median)
	}
	return fmt.Sprintf("%s-%s (%.1f%%)", fmtG(s.Min), fmtG(s.Max), rel)
}

func (res *Result) modelTemp(model string) string {
	agg := Window{}
	for i := range res.Windows {
		w := &res.Windows[i]
		if w.Model != model || w.TempMax == 0 {
			continue
		}
		if agg.TempMax == 0 || w.TempMax > agg.TempMax {
			agg.TempMax = w.TempMax
		}
		if agg.TempMin == 0 || w.TempMin < agg.TempMin {
			agg.TempMin = w.TempMin
		}
	}
	if agg.TempMax == 0 {
		return "unknown"
	}
	return tempRange(&agg, "") + " °C"
}

func (res *Result) modelThrottled(model string) string {
	var th []string
	for _, w := range res.Windows {
		if w.Model == model && w.Throttled {
			th = append(th, strconv.Itoa(w.Index))
		}
	}
	if len(th) == 0 {
		return "none"
	}
	return "window " + strings.Join(th, ",") + " (excluded)"
}

// tempRange prints "45-55" (°C) or "45", with prefix, or "" when unknown.
func tempRange(w *Window, prefix string) string {
	if w.TempMax == 0 {
		if prefix != "" {
			return ""
		}
		return "-"
	}
	lo, hi := fmt.Sprintf("%.0f", w.TempMin.Celsius()), fmt.Sprintf("%.0f", w.TempMax.Celsius())
	s := hi
	if lo != hi {
		s = lo + "-" + hi
	}
	if prefix != "" {
		return prefix + s + " °C"
	}
	return s
}

func fmtW(p physic.Power) string { return fmt.Sprintf("%.4f W", watts(p)) }

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// fmtG prints v with 4 significant digits, without an exponent below a billion.
func fmtG(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e9 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	dec := max(0, 3-int(math.Floor(math.Log10(math.Abs(r)))))
	out := strconv.FormatFloat(r, 'f', dec, 64)
	if math.Abs(r) < 1 {
		out = strings.TrimRight(out, "0") // 0.8700 -> 0.87
	}
	return out
}

func fmtGrams(g float64) string {
	switch a := math.Abs(g); {
	case a >= 1000:
		return fmtG(g/1000) + " kg"
	case a >= 1 || a == 0:
		return fmtG(g) + " g"
	default:
		return fmtG(g*1000) + " mg"
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// JSON types: SI units named in the keys.

type jsonStat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

type jsonWindow struct {
	Model       string   `json:"model,omitempty"`
	Index       int      `json:"window"`
	Threads     int      `json:"threads,omitempty"`
	StartS      float64  `json:"start_s"`
	EndS        float64  `json:"end_s"`
	Inferences  float64  `json:"inferences"`
	Rate        float64  `json:"inferences_per_s"`
	EnergyJ     float64  `json:"energy_j"`
	PowerW      float64  `json:"power_w"`
	BaselineW   float64  `json:"baseline_w"`
	AboveIdleW  float64  `json:"above_idle_w"`
	MarginalJ   float64  `json:"marginal_j_per_inference"`
	TotalJ      float64  `json:"total_j_per_inference"`
	MarginalUJ  float64  `json:"marginal_uj_per_inference"`
	TotalUJ     float64  `json:"total_uj_per_inference"`
	Samples     int      `json:"samples"`
	Stale       int      `json:"samples_stale"`
	Expected    int      `json:"samples_expected"`
	Coverage    float64  `json:"coverage"`
	Flags       string   `json:"flags"`
	TempMinC    *float64 `json:"temp_min_c,omitempty"`
	TempMaxC    *float64 `json:"temp_max_c,omitempty"`
	ClockMHz    float64  `json:"clock_min_mhz,omitempty"`
	Throttled   bool     `json:"throttled"`
	Partial     bool     `json:"partial"`
	ExcludedWhy string   `json:"excluded,omitempty"`
	InMedian    bool     `json:"in_median"`
}

type jsonModel struct {
	Model         string    `json:"model"`
	Threads       int       `json:"threads"`
	Used          int       `json:"windows_in_median"`
	Total         int       `json:"windows"`
	Excluded      []string  `json:"excluded"`
	Rate          jsonStat  `json:"inferences_per_s"`
	PowerW        jsonStat  `json:"power_w"`
	AboveIdleW    *jsonStat `json:"above_idle_w"`
	MarginalUJ    *jsonStat `json:"marginal_uj_per_inference"`
	TotalUJ       jsonStat  `json:"total_uj_per_inference"`
	CO2eMarginalG *float64  `json:"co2e_g_per_million_marginal"`
	CO2eTotalG    float64   `json:"co2e_g_per_million_total"`
	NoMarginal    string    `json:"marginal_unavailable,omitempty"`
}

type jsonProvenance struct {
	Power            string `json:"power"` // "measured" or "replayed"
	Trace            string `json:"trace,omitempty"`
	TraceDescription string `json:"trace_description,omitempty"`
	Rates            string `json:"inference_rate"` // "measured", "host", "trace"
	Host             string `json:"host,omitempty"`
	Summary          string `json:"summary"`
}

type jsonResult struct {
	Provenance      jsonProvenance `json:"provenance"`
	Source          string         `json:"source"`
	Replay          bool           `json:"replay"`
	IntervalS       float64        `json:"sample_interval_s"`
	WindowS         float64        `json:"window_s"`
	IdleS           float64        `json:"idle_window_s"`
	SettleS         float64        `json:"settle_s"`
	MinReadings     int            `json:"min_readings_per_window"`
	Rounds          int            `json:"windows_per_model"`
	Threads         int            `json:"threads"`
	GridIntensity   float64        `json:"grid_intensity_g_per_kwh"`
	GridNote        string         `json:"grid_intensity_note,omitempty"`
	IdlePowerW      float64        `json:"idle_power_w"`
	IdleEndPowerW   float64        `json:"idle_end_power_w"`
	IdleDriftW      float64        `json:"idle_drift_w"`
	IdleDriftOverS  float64        `json:"idle_drift_over_s"`
	ThrottleFrom    string         `json:"throttle_from,omitempty"`
	Idle            jsonWindow     `json:"idle"`
	Idles           []jsonWindow   `json:"idle_windows"`
	Models          []jsonModel    `json:"models"`
	Windows         []jsonWindow   `json:"windows"`
	Partial         bool           `json:"partial"`
	Notes           []string       `json:"notes"`
	MarginalFormula string         `json:"marginal_formula"`
	Readings        [][2]float64   `json:"readings_s_w"` // [seconds since the first idle window's start, watts]
}

func toJSONWindow(w *Window) jsonWindow {
	j := jsonWindow{Model: w.Model, Index: w.Index, Threads: w.Threads, StartS: w.Start.Seconds(), EndS: w.End.Seconds(),
		Inferences: w.Inferences, Rate: w.Rate, EnergyJ: joulesOf(w.Energy),
		PowerW: watts(w.Power), BaselineW: watts(w.Baseline), AboveIdleW: watts(w.AboveIdle),
		MarginalJ: w.MarginalJ, TotalJ: w.TotalJ, MarginalUJ: w.MarginalJ * 1e6, TotalUJ: w.TotalJ * 1e6,
		Samples: w.Samples, Stale: w.Stale, Expected: w.Expected, Coverage: w.Coverage, Flags: w.Flags.String(),
		ClockMHz:  float64(w.ClockKHz) / 1000,
		Throttled: w.Throttled, Partial: w.Partial, ExcludedWhy: w.Excluded, InMedian: w.Model != "" && w.Excluded == ""}
	if w.TempMax != 0 {
		lo, hi := w.TempMin.Celsius(), w.TempMax.Celsius()
		j.TempMinC, j.TempMaxC = &lo, &hi
	}
	return j
}

// WriteJSON writes the result for machines, indented.
func (res *Result) WriteJSON(w io.Writer) error {
	p := res.Provenance
	jp := jsonProvenance{Power: "measured", Rates: p.RatesFrom, Host: p.Host, Summary: p.String()}
	if p.Replay {
		jp.Power, jp.Trace, jp.TraceDescription = "replayed", p.Trace, p.TraceDescription
	}
	j := jsonResult{Provenance: jp, Source: res.Source, Replay: res.Replay, IntervalS: res.Interval.Seconds(),
		WindowS: res.WindowLen.Seconds(), IdleS: res.IdleLen.Seconds(), SettleS: res.Settle.Seconds(), MinReadings: res.MinReadings,
		Rounds: res.Rounds, Threads: res.Threads, GridIntensity: res.GridIntensity,
		IdlePowerW: watts(res.IdlePower), IdleEndPowerW: watts(res.IdleEndPower), IdleDriftW: watts(res.Drift),
		IdleDriftOverS: res.DriftOver.Seconds(), ThrottleFrom: res.ThrottleFrom,
		Idle: toJSONWindow(&res.Idle), Partial: res.Partial,
		Notes: append([]string{}, res.Notes...), Windows: []jsonWindow{}, Idles: []jsonWindow{},
		MarginalFormula: "(E - integral of the interpolated idle baseline over the window) / n"}
	if res.GridIntensity == DefaultGridIntensity {
		j.GridNote = "CodeCarbon's world average"
	}
	for i := range res.Idles {
		j.Idles = append(j.Idles, toJSONWindow(&res.Idles[i]))
	}
	for i := range res.Windows {
		j.Windows = append(j.Windows, toJSONWindow(&res.Windows[i]))
	}
	j.Readings = make([][2]float64, 0, len(res.Samples))
	for _, s := range res.Samples {
		j.Readings = append(j.Readings, [2]float64{s.T.Seconds(), watts(s.Power)})
	}
	for _, s := range res.Models {
		st := func(s Stat) jsonStat { return jsonStat(s) }
		m := jsonModel{Model: s.Model, Threads: s.Threads, Used: s.Used, Total: s.Total,
			Excluded: append([]string{}, s.Excluded...), Rate: st(s.Rate), PowerW: st(s.Watts),
			TotalUJ: st(s.TotalUJ), CO2eTotalG: s.CO2eTotal, NoMarginal: s.NoMarginal}
		if s.NoMarginal == "" {
			a, mu, c := st(s.AboveIdle), st(s.MarginalUJ), s.CO2eMarginal
			m.AboveIdleW, m.MarginalUJ, m.CO2eMarginalG = &a, &mu, &c
		}
		j.Models = append(j.Models, m)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}
