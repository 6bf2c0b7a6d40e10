package board

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// TraceSample is one row of a power trace.
type TraceSample struct {
	T         time.Duration // since the start of the trace
	Power     physic.Power
	Temp      physic.Temperature // 0 (absolute zero) when the trace has no temperature
	Throttled Throttle           // vcgencmd get_throttled bits; 0 when absent
}

// Trace is a recorded power trace: CSV rows "time_s,watts[,temp_c,throttled]", an optional
// header line, times strictly increasing, throttled in hex (0x50005) or decimal.
type Trace struct {
	Samples []TraceSample
}

// maxTraceRows bounds what ParseTrace accepts, so a wrong file cannot exhaust memory.
const maxTraceRows = 10_000_000

// ParseTrace reads a CSV power trace; see Trace for the format.
func ParseTrace(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<16)
	t := &Trace{}
	line, rows := 0, 0
	joules := 0.0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		rows++
		if rows == 1 && !looksNumeric(f[0]) {
			continue // header
		}
		if len(f) < 2 || len(f) > 4 {
			return nil, fmt.Errorf("board: trace line %d: %d fields, want time_s,watts[,temp_c,throttled]", line, len(f))
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 || sec > 1e9 {
			return nil, fmt.Errorf("board: trace line %d: time %q: want seconds >= 0 (e.g. 0.100)", line, f[0])
		}
		w, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 || w > 1e6 {
			return nil, fmt.Errorf("board: trace line %d: power %q: want watts between 0 and 1e6 (e.g. 3.25)", line, f[1])
		}
		s := TraceSample{T: time.Duration(math.Round(sec * 1e9)), Power: Watts(w)}
		if len(f) > 2 && f[2] != "" {
			c, err := strconv.ParseFloat(f[2], 64)
			if err != nil || math.IsNaN(c) || c < -273.15 || c > 1000 {
				return nil, fmt.Errorf("board: trace line %d: temperature %q: want degrees Celsius (e.g. 48.3)", line, f[2])
			}
			s.Temp = physic.ZeroCelsius + physic.Temperature(math.Round(c*float64(physic.Kelvin)))
		}
		if len(f) > 3 && f[3] != "" {
			v, err := strconv.ParseUint(f[3], 0, 32)
			if err != nil {
				return nil, fmt.Errorf("board: trace line %d: throttled %q: want vcgencmd get_throttled bits (e.g. 0x50005 or 0)", line, f[3])
			}
			s.Throttled = Throttle(v)
		}
		if n := len(t.Samples); n > 0 && s.T <= t.Samples[n-1].T {
			return nil, fmt.Errorf("board: trace line %d: time %s is not after the previous row's %s: sort the trace by time", line, f[0], t.Samples[n-1].T)
		}
		if len(t.Samples) >= maxTraceRows {
			return nil, fmt.Errorf("board: trace line %d: more than %d rows: split the trace", line, maxTraceRows)
		}
		if n := len(t.Samples); n > 0 {
			prev := t.Samples[n-1]
			joules += (s.T - prev.T).Seconds() * (watts(prev.Power) + w) / 2
			if joules > maxTraceJoules {
				return nil, fmt.Errorf("board: trace line %d: the trace integrates to more than %.0g J (a board at 5 W would need %.0f years): are the columns seconds and watts?", line, maxTraceJoules, maxTraceJoules/5/3.156e7)
			}
		}
		t.Samples = append(t.Samples, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("board: trace line %d: %w", line+1, err)
	}
	if len(t.Samples) == 0 {
		return nil, fmt.Errorf("board: trace has no rows: want CSV lines time_s,watts[,temp_c,throttled]")
	}
	return t, nil
}

// maxTraceJoules bounds a trace's energy well inside physic.Energy (int64 nanojoules, about
// 9.2e9 J), so that integrating it cannot overflow.
const maxTraceJoules = 1e9

func looksNumeric(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// Duration is the time of the last sample.
func (t *Trace) Duration() time.Duration { return t.Samples[len(t.Samples)-1].T }

// Energy is the trapezoid integral of the trace's power over its duration.
func (t *Trace) Energy() physic.Energy {
	var j float64
	for i := 1; i < len(t.Samples); i++ {
		a, b := t.Samples[i-1], t.Samples[i]
		j += (watts(a.Power) + watts(b.Power)) / 2 * (b.T - a.T).Seconds()
	}
	return joules(j)
}

// Replay is a Source that plays a Trace back. Without pacing, Read returns the next row at
// once, stamped Start + T, so a caller runs on the trace's virtual clock.
type Replay struct {
	name  string
	trace *Trace
	start time.Time
	pace  bool
	now   func() time.Time
	i     int
	last  TraceSample
}

// NewReplay returns a replay of t whose t = 0 is start. With pace, Read sleeps until
// start + T of the next row (by the real clock).
func NewReplay(name string, t *Trace, start time.Time, pace bool) *Replay {
	return &Replay{name: name, trace: t, start: start, pace: pace, now: time.Now}
}

// OpenReplay reads the trace at file (a path in fsys if fsys is not nil, else in the
// operating system) and returns a Replay.
func OpenReplay(file string, opt OpenOptions) (*Replay, error) {
	var (
		b   []byte
		err error
	)
	if opt.FS != nil {
		b, err = fs.ReadFile(opt.FS, strings.TrimPrefix(path.Clean(file), "/"))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, &SourceError{Source: "replay:" + file, Op: "open", Err: err,
			Hint: "pass an existing CSV file of time_s,watts rows, e.g. --power replay:board/testdata/replay/idle-load.csv"}
	}
	t, err := ParseTrace(strings.NewReader(string(b)))
	if err != nil {
		return nil, &SourceError{Source: "replay:" + file, Op: "parse", Err: err}
	}
	start := opt.Start
	if start.IsZero() {
		start = opt.now()
	}
	r := NewReplay("replay:"+file, t, start, opt.Pace)
	if opt.Now != nil {
		r.now = opt.Now
	}
	return r, nil
}

// Trace returns the trace being played.
func (r *Replay) Trace() *Trace { return r.trace }

// Start is the time of the trace's t = 0.
func (r *Replay) Start() time.Time { return r.start }

// Name implements Source.
func (r *Replay) Name() string { return r.name }

// Interval is the trace's mean sample period (1 s for a single-row trace).
func (r *Replay) Interval() time.Duration {
	n := len(r.trace.Samples)
	if n < 2 {
		return time.Second
	}
	return (r.trace.Samples[n-1].T - r.trace.Samples[0].T) / time.Duration(n-1)
}

// Read returns the next row, or io.EOF after the last.
func (r *Replay) Read() (Reading, error) {
	if r.i >= len(r.trace.Samples) {
		return Reading{}, io.EOF
	}
	s := r.trace.Samples[r.i]
	r.i++
	at := r.start.Add(s.T)
	if r.pace {
		if d := at.Sub(r.now()); d > 0 {
			time.Sleep(d)
		}
	}
	r.last = s
	return Reading{Time: at, Power: s.Power, Flags: s.Throttled.Quality()}, nil
}

// Conditions returns the temperature and throttle bits of the last row read; ok is false
// when the trace has no temperature column.
func (r *Replay) Conditions() (temp physic.Temperature, th Throttle, ok bool) {
	return r.last.Temp, r.last.Throttled, r.last.Temp != 0
}

// Close implements Source.
func (r *Replay) Close() error { return nil }
