package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/edgewatt/edgewatt/board"
)

// maxConsecutiveErrors ends --watch when a source keeps failing.
const maxConsecutiveErrors = 10

// runPower implements 'edgewatt power': read the board's power source once, or watch it.
func runPower(env *Env) error {
	fs := newFlagSet(env, "power", "[--power SPEC] [--watch] [--interval 100ms] [--count N] [--csv|--json] [--pace]")
	spec := fs.String("power", "auto", "power source: "+board.SpecHelp)
	watch := fs.Bool("watch", false, "keep reading until --count readings, the end of a replay, or Ctrl-C")
	interval := fs.Duration("interval", 100*time.Millisecond, "time between readings with --watch (a replay uses its own timestamps)")
	count := fs.Int("count", 0, "stop after `N` readings (0: no limit)")
	asCSV := fs.Bool("csv", false, "print CSV: time_s,source,watts,volts,amps,temp_c,throttled,flags,energy_j")
	asJSON := fs.Bool("json", false, "print one JSON object per reading")
	pace := fs.Bool("pace", false, "replay: play the trace in real time instead of as fast as possible")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	switch {
	case len(args) > 0:
		return usagef("power: unexpected argument %q; select a source with --power SPEC", args[0])
	case *asCSV && *asJSON:
		return usagef("power: --csv and --json exclude each other")
	case *interval <= 0:
		return usagef("power: --interval %v: want a positive duration such as 100ms", *interval)
	case *count < 0:
		return usagef("power: --count %d: want 0 (no limit) or more", *count)
	}
	sp, err := board.ParseSpec(*spec)
	if err != nil {
		return usagef("power: --power: %v", err)
	}
	src, err := board.OpenSpec(sp, board.OpenOptions{Pace: *pace})
	if err != nil {
		var ne *board.NoSourceError
		if errors.As(err, &ne) {
			printNoSource(env.Stdout, ne)
			return nil // auto found nothing: a fact about this machine, not a failure
		}
		return fmt.Errorf("power: %w", err)
	}
	defer src.Close()

	n := 1
	if *watch {
		n = *count
	} else if *count > 0 {
		n = *count
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := newPowerPrinter(env.Stdout, *asCSV, *asJSON)
	return watchPower(ctx, src, out, env.Stderr, n, *interval)
}

// printNoSource explains that auto found nothing and how to get a source.
func printNoSource(w io.Writer, ne *board.NoSourceError) {
	in := board.Detect(board.DetectOptions{})
	fmt.Fprintf(w, "no power source found on this machine (%s).\ntried:\n", in.Summary())
	for _, a := range ne.Tried {
		fmt.Fprintf(w, "  %-13s %s\n", a.Spec, strings.TrimPrefix(a.Err.Error(), "board: "))
	}
	fmt.Fprint(w, `to measure power:
  - wire an INA219, INA226 or INA260 into the 5 V feed, enable I2C (sudo raspi-config nonint do_i2c 0),
    then: edgewatt power --power ina219:bus=1,addr=0x40,shunt=100mΩ
  - on a Raspberry Pi 5: edgewatt power --power pmic (add :community for the community calibration)
  - with a sensor bound to a kernel driver: --power hwmon, --power powersupply, or --power rapl on x86 (as root)
  - without hardware, replay a recorded trace: edgewatt power --power replay:board/testdata/replay/idle-load.csv --watch
`)
}

// watchPower reads n readings (0: until EOF or ctx ends), integrating energy.
func watchPower(ctx context.Context, src board.Source, out *powerPrinter, stderr io.Writer, n int, interval time.Duration) error {
	_, isReplay := src.(*board.Replay)
	cond := newConditions(src)
	var (
		first, prev board.Reading
		have        bool
		energy      float64 // joules, trapezoid
		counted     int
		fails       int
		next        = time.Now()
	)
	for n == 0 || counted < n {
		if !isReplay && (have || fails > 0) {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				select {
				case <-ctx.Done():
					return out.summary(stderr, src, counted, first, prev, energy)
				case <-time.After(d):
				}
			} else {
				next = time.Now()
			}
		}
		if ctx.Err() != nil {
			break
		}
		r, err := src.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fails++
			if fails >= maxConsecutiveErrors || n == 1 && !have {
				return fmt.Errorf("power: %w", err)
			}
			fmt.Fprintf(stderr, "edgewatt: power: %v (retrying)\n", err)
			continue
		}
		fails = 0
		if r.Flags&board.First != 0 {
			// A counter source's first value carries no power: wait for the second.
			prev, have, first = r, true, r
			if !isReplay {
				next = time.Now()
			}
			continue
		}
		if !have {
			first, have = r, true
		} else {
			if r.Energy != 0 || prev.Energy != 0 {
				energy += board.Joules(r.Energy - prev.Energy)
			} else if prev.Flags&board.First == 0 {
				energy += board.Joules(board.Trapezoid(prev, r))
			}
		}
		prev = r
		counted++
		if err := out.reading(src.Name(), first.Time, r, cond.get(), energy); err != nil {
			return err
		}
	}
	if counted == 0 && n != 1 {
		return fmt.Errorf("power: %s gave no readings", src.Name())
	}
	return out.summary(stderr, src, counted, first, prev, energy)
}

// conditions reads temperature and throttling beside the power: from the trace for a
// replay, else through a board.ConditionsProbe at most once a second.
type conditions struct {
	replay *board.Replay
	probe  *board.ConditionsProbe
	last   time.Time
	c      board.Conditions
}

func newConditions(src board.Source) *conditions {
	if r, ok := src.(*board.Replay); ok {
		return &conditions{replay: r}
	}
	return &conditions{probe: board.NewConditionsProbe(board.OpenOptions{})}
}

// get returns the conditions beside the current reading.
func (c *conditions) get() board.Conditions {
	if c.replay != nil {
		t, bits, ok := c.replay.Conditions()
		c.c = board.Conditions{Temp: t, HasTemp: ok, Throttled: bits, HasThrottled: true}
	} else if time.Since(c.last) >= time.Second {
		c.last = time.Now()
		c.c, _ = c.probe.Read() // what could not be read stays blank
	}
	return c.c
}

// conditionsText returns the temperature in °C to 0.1 and the throttle bits as text, ""
// for what is unknown.
func conditionsText(c board.Conditions) (temp, th string) {
	if c.HasTemp {
		temp = fmt.Sprintf("%.1f", c.Temp.Celsius())
	}
	if c.HasThrottled {
		th = fmt.Sprintf("0x%x", uint32(c.Throttled))
	}
	return temp, th
}

type powerPrinter struct {
	w        io.Writer
	csv      bool
	json     bool
	header   bool
	machine  bool
	lastLine string
}

func newPowerPrinter(w io.Writer, csv, json bool) *powerPrinter {
	return &powerPrinter{w: w, csv: csv, json: json, machine: csv || json}
}

type readingJSON struct {
	TimeS     float64  `json:"time_s"`
	Time      string   `json:"time"`
	Source    string   `json:"source"`
	Watts     float64  `json:"watts"`
	Volts     *float64 `json:"volts"`
	Amps      *float64 `json:"amps"`
	TempC     *float64 `json:"temp_c"`
	Throttled string   `json:"throttled,omitempty"`
	Flags     string   `json:"flags"`
	EnergyJ   float64  `json:"energy_j"`
}

func optional(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}

func (p *powerPrinter) reading(source string, t0 time.Time, r board.Reading, c board.Conditions, energy float64) error {
	ts := r.Time.Sub(t0).Seconds()
	temp, th := conditionsText(c)
	var err error
	switch {
	case p.json:
		v := readingJSON{TimeS: ts, Time: r.Time.UTC().Format(time.RFC3339Nano), Source: source, Watts: r.Watts(),
			Volts: optional(r.Volts()), Amps: optional(r.Amps()), Throttled: th, Flags: r.Flags.String(), EnergyJ: energy}
		if c.HasTemp {
			t := math.Round(c.Temp.Celsius()*10) / 10 // as in the text and CSV
			v.TempC = &t
		}
		var b []byte
		b, err = json.Marshal(v)
		if err == nil {
			_, err = fmt.Fprintf(p.w, "%s\n", b)
		}
	case p.csv:
		if !p.header {
			p.header = true
			if _, err = fmt.Fprintln(p.w, "time_s,source,watts,volts,amps,temp_c,throttled,flags,energy_j"); err != nil {
				return err
			}
		}
		_, err = fmt.Fprintf(p.w, "%.6f,%s,%.6f,%s,%s,%s,%s,%s,%.6f\n", ts, source, r.Watts(),
			blankZero(r.Volts(), "%.4f"), blankZero(r.Amps(), "%.4f"), temp, th, r.Flags, energy)
	default:
		if !p.header {
			p.header = true
			fmt.Fprintf(p.w, "source: %s\n%9s %9s %9s %9s %8s %-9s %-14s %11s\n", source,
				"time", "power", "voltage", "current", "temp", "throttled", "flags", "energy")
		}
		_, err = fmt.Fprintf(p.w, "%8.3fs %7.3f W %9s %9s %8s %-9s %-14s %9.4f J\n", ts, r.Watts(),
			withUnit(r.Volts(), "%.3f V"), withUnit(r.Amps(), "%.3f A"), dashEmpty(temp, " °C"), dashEmpty(th, ""), r.Flags, energy)
	}
	return err
}

// summary closes a --watch: on stdout for text, on stderr for CSV/JSON (stdout stays data).
func (p *powerPrinter) summary(stderr io.Writer, src board.Source, n int, first, last board.Reading, energy float64) error {
	if n < 2 {
		return nil
	}
	w := p.w
	if p.machine {
		w = stderr
	}
	d := last.Time.Sub(first.Time).Seconds()
	mean := 0.0
	if d > 0 {
		mean = energy / d
	}
	_, err := fmt.Fprintf(w, "%s: %d readings over %.3f s: %.4f J, mean %.3f W\n", src.Name(), n, d, energy, mean)
	return err
}

func blankZero(v float64, format string) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf(format, v)
}

func withUnit(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func dashEmpty(s, unit string) string {
	if s == "" {
		return "-"
	}
	return s + unit
}
