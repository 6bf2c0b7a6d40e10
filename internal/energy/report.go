package energy

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"periph.io/x/conn/v3/physic"
)

// WriteTable prints the result for people: one column per model, then every window.
func (res *Result) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "edgewatt bench --energy\n")
	how := "live: window edges on the wall clock"
	if res.Replay {
		how = "replay: windows on the trace's timeline; inference counts measured in real time and scaled to each window"
	}
	fmt.Fprintf(ew, "source   %s, sampled every %v (%s)\n", res.Source, res.Interval.Round(time.Microsecond), how)
	fmt.Fprintf(ew, "idle     %s over %s%s\n", fmtW(res.IdlePower), fmtDur(res.Idle.Duration()), tempRange(&res.Idle, " at "))
	fmt.Fprintf(ew, "windows  %d x %s per model, round-robin; medians over windows that are neither throttled nor partial\n",
		res.Rounds, fmtDur(res.WindowLen))
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
	row("", func(s *Summary) string { return s.Model })
	row("inferences/s", func(s *Summary) string { return unless(s, fmtG(s.Rate.Median)) })
	row("average power", func(s *Summary) string { return unless(s, fmt.Sprintf("%.3f W", s.Watts.Median)) })
	row("above idle", func(s *Summary) string { return unless(s, fmt.Sprintf("%.3f W", s.AboveIdle.Median)) })
	row("µJ/inference, marginal", func(s *Summary) string { return unless(s, fmtG(s.MarginalUJ.Median)) })
	row("  spread (min-max)", func(s *Summary) string { return unless(s, spread(s.MarginalUJ)) })
	row("µJ/inference, total", func(s *Summary) string { return unless(s, fmtG(s.TotalUJ.Median)) })
	row("  spread (min-max)", func(s *Summary) string { return unless(s, spread(s.TotalUJ)) })
	row("CO2e per 1M inferences", func(s *Summary) string { return unless(s, fmtGrams(s.CO2eTotal)+" total") })
	row("", func(s *Summary) string { return unless(s, fmtGrams(s.CO2eMarginal)+" marginal") })
	row("windows in median", func(s *Summary) string { return fmt.Sprintf("%d of %d", s.Used, s.Total) })
	row("temperature", func(s *Summary) string { return res.modelTemp(s.Model) })
	row("throttled windows", func(s *Summary) string { return res.modelThrottled(s.Model) })
	tw.Flush()
	fmt.Fprintf(ew, "\nCO2e at %g g/kWh", res.GridIntensity)
	if res.GridIntensity == DefaultGridIntensity {
		fmt.Fprintf(ew, " (CodeCarbon's world average; set your grid's with --grid-intensity)")
	}
	fmt.Fprintf(ew, ".\nmarginal = (E - P_idle x t) / n; total = E / n; E by trapezoid integration of the power readings.\n\n")

	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\twin\tstart s\tend s\tinferences\tinf/s\tavg W\tabove idle W\tµJ marginal\tµJ total\ttemp °C\tsamples\t  flags")
	line := func(w *Window, model, idx string) {
		inf, rate, above, marg, total := "-", "-", "-", "-", "-"
		if w.Index > 0 {
			inf, rate = fmtG(w.Inferences), fmtG(w.Rate)
			if w.Coverage > 0 {
				above = fmt.Sprintf("%.3f", watts(w.AboveIdle))
				marg, total = fmtG(microjoules(w.Marginal)), fmtG(microjoules(w.Total))
			}
		}
		avg := "-"
		if w.Coverage > 0 {
			avg = fmt.Sprintf("%.3f", watts(w.Power))
		}
		flags := w.Flags.String()
		if w.Excluded != "" {
			flags = "EXCLUDED: " + w.Excluded + "; flags " + flags
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t  %s\n", model, idx,
			w.Start.Seconds(), w.End.Seconds(), inf, rate, avg, above, marg, total, tempRange(w, ""), w.Samples, flags)
	}
	line(&res.Idle, "idle", "-")
	for i := range res.Windows {
		w := &res.Windows[i]
		line(w, w.Model, strconv.Itoa(w.Index))
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
	lo, hi := w.TempMin.Celsius(), w.TempMax.Celsius()
	s := fmt.Sprintf("%.0f", hi)
	if math.Round(lo) != math.Round(hi) {
		s = fmt.Sprintf("%.0f-%.0f", lo, hi)
	}
	if prefix != "" {
		return prefix + s + " °C"
	}
	return s
}

func fmtW(p physic.Power) string { return fmt.Sprintf("%.3f W", watts(p)) }

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
	StartS      float64  `json:"start_s"`
	EndS        float64  `json:"end_s"`
	Inferences  float64  `json:"inferences"`
	Rate        float64  `json:"inferences_per_s"`
	EnergyJ     float64  `json:"energy_j"`
	PowerW      float64  `json:"power_w"`
	AboveIdleW  float64  `json:"above_idle_w"`
	MarginalUJ  float64  `json:"marginal_uj_per_inference"`
	TotalUJ     float64  `json:"total_uj_per_inference"`
	Samples     int      `json:"samples"`
	Coverage    float64  `json:"coverage"`
	Flags       string   `json:"flags"`
	TempMinC    *float64 `json:"temp_min_c,omitempty"`
	TempMaxC    *float64 `json:"temp_max_c,omitempty"`
	Throttled   bool     `json:"throttled"`
	Partial     bool     `json:"partial"`
	ExcludedWhy string   `json:"excluded,omitempty"`
	InMedian    bool     `json:"in_median"`
}

type jsonModel struct {
	Model         string   `json:"model"`
	Used          int      `json:"windows_in_median"`
	Total         int      `json:"windows"`
	Excluded      []string `json:"excluded"`
	Rate          jsonStat `json:"inferences_per_s"`
	PowerW        jsonStat `json:"power_w"`
	AboveIdleW    jsonStat `json:"above_idle_w"`
	MarginalUJ    jsonStat `json:"marginal_uj_per_inference"`
	TotalUJ       jsonStat `json:"total_uj_per_inference"`
	CO2eMarginalG float64  `json:"co2e_g_per_million_marginal"`
	CO2eTotalG    float64  `json:"co2e_g_per_million_total"`
}

type jsonResult struct {
	Source          string       `json:"source"`
	Replay          bool         `json:"replay"`
	IntervalS       float64      `json:"sample_interval_s"`
	WindowS         float64      `json:"window_s"`
	Rounds          int          `json:"windows_per_model"`
	GridIntensity   float64      `json:"grid_intensity_g_per_kwh"`
	GridNote        string       `json:"grid_intensity_note,omitempty"`
	IdlePowerW      float64      `json:"idle_power_w"`
	Idle            jsonWindow   `json:"idle"`
	Models          []jsonModel  `json:"models"`
	Windows         []jsonWindow `json:"windows"`
	Partial         bool         `json:"partial"`
	Notes           []string     `json:"notes"`
	MarginalFormula string       `json:"marginal_formula"`
	Readings        [][2]float64 `json:"readings_s_w"` // [seconds since the idle window's start, watts]
}

func toJSONWindow(w *Window) jsonWindow {
	j := jsonWindow{Model: w.Model, Index: w.Index, StartS: w.Start.Seconds(), EndS: w.End.Seconds(),
		Inferences: w.Inferences, Rate: w.Rate, EnergyJ: float64(w.Energy) / float64(physic.Joule),
		PowerW: watts(w.Power), AboveIdleW: watts(w.AboveIdle), MarginalUJ: microjoules(w.Marginal),
		TotalUJ: microjoules(w.Total), Samples: w.Samples, Coverage: w.Coverage, Flags: w.Flags.String(),
		Throttled: w.Throttled, Partial: w.Partial, ExcludedWhy: w.Excluded, InMedian: w.Index > 0 && w.Excluded == ""}
	if w.TempMax != 0 {
		lo, hi := w.TempMin.Celsius(), w.TempMax.Celsius()
		j.TempMinC, j.TempMaxC = &lo, &hi
	}
	return j
}

// WriteJSON writes the result for machines, indented.
func (res *Result) WriteJSON(w io.Writer) error {
	j := jsonResult{Source: res.Source, Replay: res.Replay, IntervalS: res.Interval.Seconds(),
		WindowS: res.WindowLen.Seconds(), Rounds: res.Rounds, GridIntensity: res.GridIntensity,
		IdlePowerW: watts(res.IdlePower), Idle: toJSONWindow(&res.Idle), Partial: res.Partial,
		Notes: append([]string{}, res.Notes...), Windows: []jsonWindow{},
		MarginalFormula: "(E - P_idle * t) / n"}
	if res.GridIntensity == DefaultGridIntensity {
		j.GridNote = "CodeCarbon's world average"
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
		j.Models = append(j.Models, jsonModel{Model: s.Model, Used: s.Used, Total: s.Total,
			Excluded: append([]string{}, s.Excluded...), Rate: st(s.Rate), PowerW: st(s.Watts),
			AboveIdleW: st(s.AboveIdle), MarginalUJ: st(s.MarginalUJ), TotalUJ: st(s.TotalUJ),
			CO2eMarginalG: s.CO2eMarginal, CO2eTotalG: s.CO2eTotal})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}
