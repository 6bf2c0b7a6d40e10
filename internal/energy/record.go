package energy

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgewatt/edgewatt/board"
)

// WriteTrace writes the run's readings as a replay trace (board.ParseTrace's format) with
// the inferences_per_s column: each row carries the mean inference rate of the load windows
// over the interval since the previous row (0 while idle or settling), so that replaying
// the trace with the same schedule (--windows, --window, --settle, --models in the same
// order) reproduces this run's µJ per inference on any machine. The '#' description says
// where and how it was recorded. Rows start at the first idle window's start (t = 0,
// interpolated), as a replay expects.
func (res *Result) WriteTrace(w io.Writer) error {
	ew := &errWriter{w: w}
	what := "MEASURED"
	if res.Replay {
		what = "a REPLAY of " + res.Provenance.Trace + ", not a measurement"
	}
	var models []string
	for _, m := range res.Models {
		models = append(models, fmt.Sprintf("%s (%d thread(s))", m.Model, m.Threads))
	}
	fmt.Fprintf(ew, "# Recorded by edgewatt bench --energy: %s, source %s, a reading every %v.\n", what, res.Source, res.Interval)
	fmt.Fprintf(ew, "# Schedule: --windows %d --window %v --settle %v, idle windows of %v; models in order: %s.\n",
		res.Rounds, res.WindowLen, res.Settle, res.IdleLen, strings.Join(models, ", "))
	if res.Provenance.Host != "" {
		fmt.Fprintf(ew, "# Host: %s.\n", res.Provenance.Host)
	}
	fmt.Fprintf(ew, "time_s,watts,temp_c,throttled,inferences_per_s\n")
	var rows []Sample
	for i, s := range res.Samples {
		if s.T < 0 {
			continue
		}
		if len(rows) == 0 && s.T > 0 && i > 0 {
			// A row at t = 0, interpolated, so that the replay's timeline starts where this
			// run's did.
			p := res.Samples[i-1]
			f := float64(-p.T) / float64(s.T-p.T)
			rows = append(rows, Sample{T: 0, Power: p.Power + board.Watts(f*watts(s.Power-p.Power)), Temp: p.Temp, Flags: p.Flags})
		}
		rows = append(rows, s)
	}
	for i, s := range rows {
		rate := 0.0
		if i > 0 {
			rate = res.rateBetween(rows[i-1].T, s.T)
		}
		temp := ""
		if s.Temp != 0 {
			temp = fmt.Sprintf("%.1f", s.Temp.Celsius())
		}
		var th board.Throttle
		if s.Flags&board.Throttled != 0 {
			th |= board.ThrottledNow
		}
		if s.Flags&board.UnderVoltage != 0 {
			th |= board.UnderVoltageNow
		}
		fmt.Fprintf(ew, "%.6f,%.9f,%s,0x%x,%.6g\n", s.T.Seconds(), watts(s.Power), temp, uint32(th), rate)
	}
	return ew.err
}

// rateBetween is the load windows' mean inference rate over (a, b].
func (res *Result) rateBetween(a, b time.Duration) float64 {
	if b <= a {
		return 0
	}
	var n float64
	for _, w := range res.Windows {
		lo, hi := max(a, w.Start), min(b, w.End)
		if hi > lo {
			n += w.Rate * (hi - lo).Seconds()
		}
	}
	return n / (b - a).Seconds()
}
